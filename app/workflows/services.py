"""Process-definition and timer use cases."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

import engine
from app.accounts.models import PROCESS_ROLES
from app.accounts.models import User
from app.database import db
from app.database import transaction
from app.errors import InvalidInput
from app.logsafe import describe
from app.logsafe import safe_traceback
from app.tasks.form_definitions import load_form_definitions
from app.workflows import store
from app.workflows.effects import EFFECT_HANDLERS
from app.workflows.models import InstanceStatus
from app.workflows.models import ProcessDefinition
from app.workflows.models import ProcessInstance

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileReport:
    path: str
    problems: list[engine.Problem]


def definition_problems(xml: bytes, process_id: str, forms_dir: str) -> list[engine.Problem]:
    """Every problem of one BPMN text against this installation's forms, handlers and roles."""
    return engine.validate(
        xml,
        known_forms=load_form_definitions(forms_dir).keys(),
        known_handlers=EFFECT_HANDLERS.keys(),
        known_roles=PROCESS_ROLES,
        expected_process_id=process_id,
    )


def validate_files(paths: Iterable[str], forms_dir: str) -> list[FileReport]:
    """Validate BPMN files; the file name (without .bpmn) must be the process id."""
    reports = []
    for path in paths:
        file = Path(path)
        try:
            xml = file.read_bytes()
        except OSError as error:
            reports.append(FileReport(path, [engine.Problem("(file)", f"cannot read: {error.strerror}")]))
            continue
        reports.append(FileReport(path, definition_problems(xml, file.stem, forms_dir)))
    return reports


def deploy_shipped_definitions(bpmn_dir: str, forms_dir: str) -> list[ProcessDefinition]:
    """Deploy every bpmn/ file whose content differs from its newest shared version; returns the new versions."""
    deployed = []
    with transaction():
        for path in sorted(Path(bpmn_dir).glob("*.bpmn")):
            xml = path.read_bytes()
            latest = db.session.scalar(
                select(ProcessDefinition)
                .where(ProcessDefinition.process_id == path.stem, ProcessDefinition.ern_id.is_(None))
                .order_by(ProcessDefinition.version.desc())
                .limit(1)
            )
            if latest is not None and latest.checksum == engine.checksum(xml):
                continue
            deployed.append(_deploy(xml, path.stem, forms_dir, ern_id=None, actor=None, previous=latest))
    return deployed


def deploy_definition(xml: bytes, process_id: str, forms_dir: str, *, ern_id: int | None, actor: User | None) -> ProcessDefinition:
    """Deploy a definition as the next version for the ERN (or for all ERNs); invalid ones are refused."""
    with transaction():
        previous = db.session.scalar(
            select(ProcessDefinition)
            .where(
                ProcessDefinition.process_id == process_id,
                ProcessDefinition.ern_id.is_(None) if ern_id is None else ProcessDefinition.ern_id == ern_id,
            )
            .order_by(ProcessDefinition.version.desc())
            .limit(1)
        )
        return _deploy(xml, process_id, forms_dir, ern_id=ern_id, actor=actor, previous=previous)


def _deploy(
    xml: bytes, process_id: str, forms_dir: str, *, ern_id: int | None, actor: User | None, previous: ProcessDefinition | None
) -> ProcessDefinition:
    problems = definition_problems(xml, process_id, forms_dir)
    if problems:
        raise InvalidInput(f"{process_id}: " + "; ".join(str(p) for p in problems))
    row = ProcessDefinition(
        process_id=process_id,
        version=(previous.version + 1) if previous else 1,
        checksum=engine.checksum(xml),
        xml=xml,
        ern_id=ern_id,
        deployed_by_id=actor.id if actor else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def fire_due_timers(now: datetime, limit: int = 100) -> int:
    """Fire the timers that are due at ``now``; each instance in its own transaction. Returns how many fired.

    Instances are claimed with FOR UPDATE SKIP LOCKED, so several app processes sharing one
    PostgreSQL database never fire the same timer twice.
    """
    fired = 0
    for _ in range(limit):
        claimed: int | None = None
        try:
            with transaction():
                instance = db.session.scalar(
                    select(ProcessInstance)
                    .where(ProcessInstance.next_timer_at <= now, ProcessInstance.status == InstanceStatus.RUNNING)
                    .order_by(ProcessInstance.next_timer_at)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
                if instance is None:
                    break
                claimed, due = instance.id, instance.next_timer_at
                store.fire_timers(instance, now)
                if instance.next_timer_at is not None and instance.next_timer_at <= now:
                    instance.next_timer_at = None  # a timer that cannot fire must not spin the scheduler
        except StaleDataError:
            continue  # another process advanced it meanwhile; it will be looked at again
        except Exception as error:  # noqa: BLE001 - one broken instance must not stop every other timer
            if claimed is None:
                raise
            _mark_failed(claimed, error)
            continue
        fired += 1
        log.info("fired the due timers of process instance %s, %.0f s after they were due", claimed, (now - due).total_seconds())
    return fired


def _mark_failed(instance_id: int, error: Exception) -> None:
    log.error("process instance %s failed while firing timers\n%s", instance_id, safe_traceback(error))
    with transaction():
        instance = db.session.get(ProcessInstance, instance_id)
        if instance is not None:
            instance.status, instance.failure, instance.next_timer_at = InstanceStatus.FAILED, f"timer: {describe(error)}", None
