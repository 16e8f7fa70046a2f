"""ERN managers adapt their network's processes (SPEC §10): check, deploy, roll back, migrate, inspect.

Nothing in a definition is run here: checking reads the XML and the safe evaluator's allow-list,
migrating moves state onto another version without running a step.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

import engine
from app import security
from app.accounts.models import PROCESS_ROLES
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.processes import elements
from app.processes import importing
from app.processes import queries
from app.tasks.form_definitions import load_form_definitions
from app.workflows import store
from app.workflows.effects import EFFECT_HANDLERS
from app.workflows.models import InstanceStatus
from app.workflows.models import ProcessDefinition
from app.workflows.models import ProcessInstance
from app.workflows.services import definition_problems
from app.workflows.services import deploy_definition
from engine import inspection
from engine import migration

_ROLE_LABELS = {"ern_manager": "ERN manager"}
STATUSES = (InstanceStatus.RUNNING, InstanceStatus.FAILED, InstanceStatus.COMPLETED, InstanceStatus.CANCELLED)


def _authorise(actor: User, ern_id: int, process_id: str | None = None) -> None:
    if not security.manages_ern(actor, ern_id):
        raise NotAllowed(_("Only the ERN's managers adapt its processes."))
    if process_id is not None and process_id not in queries.process_ids(ern_id):
        raise NotFound(_("No such process."))


def role_choices() -> list[dict[str, str]]:
    """The roles a lane may name, as the editor offers them: key and the lane name that gives it."""
    return [{"key": key, "label": _ROLE_LABELS.get(key, key.replace("_", " ").capitalize())} for key in sorted(PROCESS_ROLES)]


def known(forms_dir: str) -> importing.Known:
    """The forms, handlers and roles a definition may name in this installation."""
    return importing.Known(
        forms=sorted(load_form_definitions(forms_dir)),
        handlers=sorted(EFFECT_HANDLERS),
        roles=sorted(PROCESS_ROLES),
        role_labels=[choice["label"] for choice in role_choices()],
    )


def check(xml: bytes, process_id: str, forms_dir: str, ern_id: int) -> importing.Report:
    """Every problem of a definition in plain words, with the safe fixes on offer; nothing in it runs.

    Notes also name the tasks of the version in use that the definition drops: the application may rely on them.
    """
    report = importing.check(xml, process_id, known(forms_dir), lambda text: definition_problems(text, process_id, forms_dir))
    if not report.readable:
        return report
    kept = {element.element_id for element in elements.elements(xml)}
    in_use = elements.elements(bytes(store.current_definition(process_id, ern_id).xml))
    dropped = [
        importing.Finding(
            element.element_id,
            _(
                "The version in use has the %(kind)s '%(name)s', which this definition does not have: parts of Consilium may rely on it.",
                kind=element.kind_label,
                name=element.name or element.element_id,
            ),
            blocking=False,
        )
        for element in in_use
        if element.kind in ("userTask", "serviceTask") and element.element_id not in kept
    ]
    return dataclasses.replace(report, findings=report.findings + tuple(dropped))


def deploy(actor: User, ern_id: int, process_id: str, xml: bytes, forms_dir: str) -> ProcessDefinition:
    """Deploy a definition as the ERN's next, immutable version; new cases use it, running ones keep theirs."""
    _authorise(actor, ern_id, process_id)
    return _deploy(actor, ern_id, process_id, xml, forms_dir)


def roll_back(actor: User, ern_id: int, process_id: str, definition_id: int, forms_dir: str) -> ProcessDefinition:
    """Deploy an earlier version's text again, as the ERN's next version."""
    _authorise(actor, ern_id, process_id)
    earlier = queries.version(ern_id, process_id, definition_id)
    if earlier is None:
        raise NotFound(_("No such version."))
    return _deploy(actor, ern_id, process_id, bytes(earlier.xml), forms_dir)


def _deploy(actor: User, ern_id: int, process_id: str, xml: bytes, forms_dir: str) -> ProcessDefinition:
    report = check(xml, process_id, forms_dir, ern_id)
    if report.blocking:
        raise InvalidInput(_("The definition cannot be deployed: %(problems)s", problems=" ".join(f.message for f in report.problems)))
    if store.current_definition(process_id, ern_id).checksum == engine.checksum(xml):
        raise Conflict(_("This is the version in use already: there is nothing to deploy."))
    # deploy_definition validates again and records who deployed which version when, in one transaction.
    return deploy_definition(xml, process_id, forms_dir, ern_id=ern_id, actor=actor)


@dataclass(frozen=True)
class Candidate:
    """One instance in a migration's dry run."""

    instance: ProcessInstance
    reasons: tuple[str, ...]
    resets: tuple[str, ...]

    @property
    def migratable(self) -> bool:
        return not self.reasons


def dry_run(actor: User, ern_id: int, process_id: str, from_id: int, to_id: int, status: str) -> list[Candidate]:
    """For each of the ERN's instances on one version (in one state): could it move to ``to_id``, and what would reset."""
    _authorise(actor, ern_id, process_id)
    if status not in STATUSES:
        raise InvalidInput(_("Choose the state of the cases to migrate."))
    source, target = queries.version(ern_id, process_id, from_id), queries.version(ern_id, process_id, to_id)
    if source is None or target is None:
        raise NotFound(_("No such version."))
    parsed = _parsed(target)
    return [_candidate(instance, target, parsed) for instance in queries.instances_on(ern_id, source.id, status)]


def _candidate(instance: ProcessInstance, target: ProcessDefinition, parsed: engine.Definition) -> Candidate:
    if instance.status != InstanceStatus.RUNNING:
        return Candidate(instance, (_("only running cases can move to another version"),), ())
    if instance.definition_id == target.id:
        return Candidate(instance, (_("the case already runs on this version"),), ())
    try:
        plan = migration.plan_migration(store.definition_of(instance), parsed, instance.state)
    except (engine.EngineError, ValueError, KeyError) as error:
        return Candidate(instance, (_("its state cannot be read: %(error)s", error=error),), ())
    return Candidate(instance, plan.reasons, plan.resets)


def migrate(actor: User, ern_id: int, process_id: str, to_id: int, instance_ids: list[int], origin: RequestInfo) -> int:
    """Move the chosen instances to another version in one step (all or none), each audited; returns how many moved."""
    try:
        with transaction():
            _authorise(actor, ern_id, process_id)
            target = queries.version(ern_id, process_id, to_id)
            if target is None:
                raise NotFound(_("No such version."))
            moves = _moves(_chosen(ern_id, process_id, instance_ids), target)
            for instance, source, advance, resets in moves:
                label = (
                    _("Moved to shared version %(n)d", n=target.version)
                    if target.ern_id is None
                    else _("Moved to the ERN's version %(n)d", n=target.version)
                )
                store.move(instance, target, advance, actor=actor, label=label)
                details = {"process": process_id, "from_definition": source.id, "to_definition": target.id, "reset": list(resets)}
                audit.record(actor, "process.migrated", "process_instance", instance.id, origin, **details)
            return len(moves)
    except StaleDataError:
        raise Conflict(_("A case moved on while it was being migrated, so no case was migrated: run the dry run again.")) from None


@dataclass(frozen=True)
class Upgrade:
    """Running instances of a shipped process's older shared versions, and which of them moved to the newest."""

    target: ProcessDefinition
    candidates: list[Candidate]
    moved: int


def upgrade_running(process_id: str, origin: RequestInfo, *, dry_run: bool) -> Upgrade:
    """After Consilium's shipped definition of a process changed (``flask bpmn deploy``), move the running instances
    of its older shared versions onto the newest shared one, each audited. An instance that cannot move stays where
    it is and is listed with the reason; instances on an ERN's own versions are the ERN's to migrate."""
    with transaction():
        target = store.current_definition(process_id, None)
        parsed = _parsed(target)
        older = db.session.scalars(
            select(ProcessInstance)
            .join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
            .where(
                ProcessInstance.process_id == process_id,
                ProcessInstance.status == InstanceStatus.RUNNING,
                ProcessDefinition.ern_id.is_(None),
                ProcessDefinition.id != target.id,
            )
            .order_by(ProcessInstance.id)
            .with_for_update(of=ProcessInstance)
        ).all()
        candidates = [_candidate(instance, target, parsed) for instance in older]
        if dry_run:
            return Upgrade(target, candidates, 0)
        label = _("Moved to shared version %(n)d", n=target.version)
        for candidate in candidates:
            if not candidate.migratable:
                continue
            instance = candidate.instance
            source = instance.definition_id
            store.move(instance, target, migration.migrate(store.definition_of(instance), parsed, instance.state), actor=None, label=label)
            details = {"process": process_id, "from_definition": source, "to_definition": target.id, "reset": list(candidate.resets)}
            audit.record(None, "process.migrated", "process_instance", instance.id, origin, **details)
        return Upgrade(target, candidates, sum(candidate.migratable for candidate in candidates))


def _chosen(ern_id: int, process_id: str, instance_ids: list[int]) -> list[ProcessInstance]:
    wanted = set(instance_ids)
    instances = [instance for instance_id in sorted(wanted) if (instance := queries.instance_in(ern_id, instance_id)) is not None]
    if not wanted or len(instances) != len(wanted) or any(instance.process_id != process_id for instance in instances):
        raise NotFound(_("Choose cases of this process to migrate."))
    return instances


def _moves(
    instances: list[ProcessInstance], target: ProcessDefinition
) -> list[tuple[ProcessInstance, ProcessDefinition, engine.Advance, tuple[str, ...]]]:
    """Each instance's move, worked out before anything changes; Conflict naming every case that cannot move."""
    parsed = _parsed(target)
    moves, refused = [], []
    for instance in instances:
        candidate = _candidate(instance, target, parsed)
        try:
            if not candidate.migratable:
                raise migration.MigrationRefused(candidate.reasons)
            advance = migration.migrate(store.definition_of(instance), parsed, instance.state)
        except engine.EngineError as error:
            refused.append(_("case %(id)d: %(reasons)s", id=instance.id, reasons=error))
            continue
        moves.append((instance, instance.definition, advance, candidate.resets))
    if refused:
        raise Conflict(_("No case was migrated, because %(refused)s.", refused=" · ".join(refused)))
    return moves


def _parsed(row: ProcessDefinition) -> engine.Definition:
    try:
        return engine.parse(bytes(row.xml), row.process_id, version=row.id)
    except engine.DefinitionError as error:
        raise InvalidInput(_("That version cannot be read: %(problems)s", problems=error)) from None


@dataclass(frozen=True)
class DataItem:
    key: str
    value: str | None  # None: not shown


@dataclass(frozen=True)
class Inspection:
    instance: ProcessInstance
    view: inspection.InstanceView | None
    problem: str
    data: list[DataItem]


def inspect(actor: User, ern_id: int, instance_id: int) -> Inspection:
    """Where one of the ERN's cases stands: its diagram states, timers and task data keys (routing values only)."""
    if not security.manages_ern(actor, ern_id):
        raise NotAllowed(_("Only the ERN's managers inspect its processes."))
    instance = queries.instance_in(ern_id, instance_id)
    if instance is None:
        raise NotFound(_("No such case."))
    try:
        view = inspection.inspect(store.definition_of(instance), instance.state)
    except (engine.EngineError, ValueError, KeyError) as error:
        return Inspection(instance, None, _("The state of this case cannot be read: %(error)s", error=error), [])
    xml = bytes(instance.definition.xml).decode("utf-8", "replace")
    return Inspection(instance, view, "", [DataItem(key, _shown(value, xml)) for key, value in sorted(view.data.items())])


def _shown(value: Any, xml: str) -> str | None:
    """Routing flags only: yes/no values, and short texts the definition itself names (such as "approve").

    Task data holds ids and routing flags by design; ids and anything else stay hidden.
    """
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and 0 < len(value) <= 40 and (f'"{value}"' in xml or f"'{value}'" in xml or f"&quot;{value}&quot;" in xml):
        return value
    return None
