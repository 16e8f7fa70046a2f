"""The one door to the engine: start an instance, complete a task, signal an event, cancel, fire due timers, move to
another version.

Each operation runs the engine step, applies the effects it names and stores the new state with the open-task rows
and the event log, so that they change together; nothing else writes instance state or open tasks. Operations only
flush: the calling service owns the transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Mapping
from datetime import datetime
from datetime import timedelta

from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

import engine
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.tasks.models import OpenTask
from app.tasks.models import SlaRule
from app.workflows.effects import apply_effects
from app.workflows.models import InstanceEvent
from app.workflows.models import InstanceStatus
from app.workflows.models import ProcessDefinition
from app.workflows.models import ProcessInstance
from app.workflows.registry import register

log = logging.getLogger(__name__)
_ENGINE = engine.Engine()
_EVENTS = InstanceEvent.__table__
_OPEN_TASKS = OpenTask.__table__
_INSTANCES = ProcessInstance.__table__
# Built once: constructing statements costs about as much as running them on this hot path.
_UPDATE_STATE = _INSTANCES.update().where(_INSTANCES.c.id == bindparam("instance_id"), _INSTANCES.c.version_id == bindparam("read_version"))
_INSERT_EVENTS = _EVENTS.insert()
_INSERT_OPEN_TASKS = _OPEN_TASKS.insert()
_DELETE_OPEN_TASKS = _OPEN_TASKS.delete().where(
    _OPEN_TASKS.c.instance_id == bindparam("instance_id"), _OPEN_TASKS.c.engine_task_id.in_(bindparam("closed", expanding=True))
)
_DEFINITIONS = engine.DefinitionCache()


def definition_of(instance: ProcessInstance) -> engine.Definition:
    """The parsed definition an instance runs on (parsed once per version, then cached; no query when cached)."""
    return _DEFINITIONS.get(instance.process_id, instance.definition_id, lambda: _definition_xml(instance.definition_id))


def definition_for_row(row: ProcessDefinition) -> engine.Definition:
    """The parsed definition of a deployed version (cached like the instances' ones)."""
    return _DEFINITIONS.get(row.process_id, row.id, lambda: bytes(row.xml))


def _definition_xml(definition_id: int) -> bytes:
    return bytes(db.session.scalars(select(ProcessDefinition.xml).where(ProcessDefinition.id == definition_id)).one())


def current_definition(process_id: str, ern_id: int | None) -> ProcessDefinition:
    """The newest version for the ERN, or the newest shared version when the ERN has none of its own."""
    query = select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
    for scope in ([ern_id] if ern_id is not None else []) + [None]:
        row = db.session.scalar(
            query.where(ProcessDefinition.ern_id.is_(scope) if scope is None else ProcessDefinition.ern_id == scope)
            .order_by(ProcessDefinition.version.desc())
            .limit(1)
        )
        if row is not None:
            return row
    raise LookupError(f"process '{process_id}' is not deployed")


def _create(
    definition: ProcessDefinition,
    *,
    subject_type: str,
    subject_id: int | None,
    ern_id: int | None,
    centre_id: int | None,
    actor: User | None,
) -> ProcessInstance:
    instance = ProcessInstance(
        definition=definition,
        process_id=definition.process_id,
        subject_type=subject_type,
        subject_id=subject_id,
        ern_id=ern_id,
        centre_id=centre_id,
        state="",
        started_by_id=actor.id if actor else None,
    )
    db.session.add(instance)
    db.session.flush()
    return instance


def _save(instance: ProcessInstance, advance: engine.Advance, *, actor: User | None, completed_task_id: str = "") -> None:
    """Store the new state and bring the open-task rows and the event log in line with it.

    This is the hot path of every task completion, so it writes with Core statements on the
    session's connection and transaction (the ORM's unit of work about doubles its cost; see
    benchmarks/engine_bench.py). The instance UPDATE checks the version it read: a concurrent
    advance makes it match no row, which raises StaleDataError as the ORM would.
    """
    now = utcnow()
    if advance.failure:
        log.warning("process instance %s failed: %s", instance.id, advance.failure)
    db.session.flush()  # changes effect handlers made to the instance go first, with their own version check
    version = instance.version_id
    values: dict[str, object] = {
        "state": advance.state,
        "updated_at": now,
        "next_timer_at": advance.next_timer_at,
        "status": _status(instance, advance),
        "failure": advance.failure or instance.failure,
        "version_id": version + 1,
    }
    connection = db.session.connection()
    updated = connection.execute(_UPDATE_STATE, {"instance_id": instance.id, "read_version": version, **values})
    if updated.rowcount != 1:
        raise StaleDataError(f"process instance {instance.id} changed since it was read (version {version})")
    for key, value in values.items():
        set_committed_value(instance, key, value)
    if advance.events:
        connection.execute(
            _INSERT_EVENTS,
            [
                {
                    "instance_id": instance.id,
                    "engine_task_id": completed_task_id if event.manual else "",
                    "task_name": event.task_name,
                    "label": event.label,
                    "kind": event.kind,
                    "actor_id": actor.id if actor and event.manual else None,
                    "at": now,
                    "changed_keys": list(event.changed_keys),
                }
                for event in advance.events
            ],
        )
    _sync_open_tasks(instance, advance, now)
    if instance.subject_moved:
        instance.subject_moved = False
        connection.execute(
            _OPEN_TASKS.update()
            .where(_OPEN_TASKS.c.instance_id == instance.id)
            .values(subject_type=instance.subject_type, subject_id=instance.subject_id, thematic_area_id=thematic_area_of(instance))
        )


def _status(instance: ProcessInstance, advance: engine.Advance) -> str:
    if advance.failure:
        return InstanceStatus.FAILED
    if advance.cancelled:
        return InstanceStatus.CANCELLED
    if advance.completed:
        return InstanceStatus.COMPLETED
    return instance.status


def _sync_open_tasks(instance: ProcessInstance, advance: engine.Advance, now: datetime) -> None:
    connection = db.session.connection()
    if advance.closed:
        connection.execute(_DELETE_OPEN_TASKS, {"instance_id": instance.id, "closed": list(advance.closed)})
    if advance.opened:
        service_levels = _service_levels(instance.ern_id, {task.name for task in advance.opened})
        area_id = thematic_area_of(instance)
        rows = [_open_task_row(instance, task, now, service_levels, area_id) for task in advance.opened]
        connection.execute(_INSERT_OPEN_TASKS, rows)


def _open_task_row(
    instance: ProcessInstance, task: engine.OpenTask, now: datetime, service_levels: dict[str, int], area_id: int | None
) -> dict[str, object]:
    """The queue's row of a task that became ready: what it is, whose it is, when it is due."""
    return {
        "instance_id": instance.id,
        "engine_task_id": task.task_id,
        "process_id": instance.process_id,
        "name": task.name,
        "label": task.label,
        "form_key": task.form_key,
        "role": task.role,
        "ern_id": instance.ern_id,
        "centre_id": instance.centre_id,
        "subject_type": instance.subject_type,
        "subject_id": instance.subject_id,
        "thematic_area_id": area_id,
        "assignee_id": instance.assignee_id,
        "created_at": now,
        "due_at": task.due_at,
        "sla_due_at": now + timedelta(hours=service_levels[task.name]) if task.name in service_levels else None,
        "escalated_at": None,
    }


# By subject type: the thematic area of a subject (the queue counts and filters tasks by it). Registered by create_app.
SUBJECT_AREAS: dict[str, Callable[[int], int | None]] = {}


def register_subject_areas(areas: Mapping[str, Callable[[int], int | None]]) -> None:
    """Make known how to find the thematic area of each kind of subject (a panel's is its own)."""
    register(SUBJECT_AREAS, areas, "thematic area of a subject type")


def thematic_area_of(instance: ProcessInstance) -> int | None:
    """The thematic area of what the instance is about, where its kind of subject has one."""
    area_of = SUBJECT_AREAS.get(instance.subject_type or "")
    return area_of(instance.subject_id) if area_of is not None and instance.subject_id is not None else None


def _service_levels(ern_id: int | None, names: set[str]) -> dict[str, int]:
    """Hours within which the ERN wants these tasks done (its SLA rules), by task name."""
    if ern_id is None:
        return {}
    rows = db.session.execute(select(SlaRule.task_name, SlaRule.hours).where(SlaRule.ern_id == ern_id, SlaRule.task_name.in_(names)))
    return {name: hours for name, hours in rows}


def start(
    process_id: str,
    *,
    subject_type: str,
    subject_id: int | None,
    ern_id: int | None,
    centre_id: int | None,
    data: dict[str, object],
    actor: User | None,
    assignee: User | None = None,
) -> tuple[ProcessInstance, engine.Advance]:
    """Start an instance of the current definition, apply its first effects and store it."""

    row = current_definition(process_id, ern_id)
    instance = _create(row, subject_type=subject_type, subject_id=subject_id, ern_id=ern_id, centre_id=centre_id, actor=actor)
    instance.assignee_id = assignee.id if assignee is not None else None
    advance = _ENGINE.start(definition_of(instance), {**data, "instance_id": instance.id})
    _apply(instance, advance, actor)
    return instance, advance


def complete(instance: ProcessInstance, engine_task_id: str, task_data: dict[str, object], actor: User | None) -> engine.Advance:
    """Complete a user task with its routing data (ids and flags), then run the process on to its next wait."""
    advance = _ENGINE.complete(definition_of(instance), instance.state, engine_task_id, task_data)
    _apply(instance, advance, actor, completed_task_id=engine_task_id)
    return advance


def cancel(instance: ProcessInstance, actor: User | None) -> engine.Advance:
    """Cancel the instance: its open tasks close, its timers stop."""
    advance = _ENGINE.cancel(definition_of(instance), instance.state)
    _apply(instance, advance, actor)
    return advance


def signal(instance: ProcessInstance, name: str, actor: User | None, payload: dict[str, object] | None = None) -> engine.Advance | None:
    """Tell the instance that something happened that its process reacts to (a BPMN signal such as
    "lead_handed_over"), with ids and routing values for its task data if the signal carries any; None when its
    version does not model that event or it has ended: nothing to react."""
    try:
        advance = _ENGINE.signal(definition_of(instance), instance.state, name, payload)
    except engine.EventNotAwaited:
        return None
    _apply(instance, advance, actor)
    return advance


def fire_timers(instance: ProcessInstance, now: datetime) -> engine.Advance:
    """Fire the instance's timers that are due at ``now``."""
    advance = _ENGINE.fire_timers(definition_of(instance), instance.state, now)
    _apply(instance, advance, None)
    return advance


def _apply(instance: ProcessInstance, advance: engine.Advance, actor: User | None, completed_task_id: str = "") -> None:
    apply_effects(instance, advance.effects, actor)
    _save(instance, advance, actor=actor, completed_task_id=completed_task_id)


def move(instance: ProcessInstance, target: ProcessDefinition, advance: engine.Advance, *, actor: User | None, label: str) -> None:
    """Point the instance at another version with the state a migration worked out (nothing runs), and bring its
    open-task rows in line: a task that stays keeps its row and age, a new one gets its service level."""
    now = utcnow()
    instance.definition = target
    instance.state = advance.state
    instance.next_timer_at = advance.next_timer_at
    instance.updated_at = now
    rows = {row.engine_task_id: row for row in db.session.scalars(select(OpenTask).where(OpenTask.instance_id == instance.id))}
    new = [task for task in advance.open_tasks if task.task_id not in rows]
    for task in advance.open_tasks:
        if (row := rows.pop(task.task_id, None)) is not None:  # the same task: it keeps its row and its age
            row.name, row.label, row.form_key, row.role, row.due_at = task.name, task.label, task.form_key, task.role, task.due_at
    for row in rows.values():
        db.session.delete(row)
    if new:
        service_levels = _service_levels(instance.ern_id, {task.name for task in new})
        area_id = thematic_area_of(instance)
        db.session.flush()
        db.session.connection().execute(_INSERT_OPEN_TASKS, [_open_task_row(instance, task, now, service_levels, area_id) for task in new])
    actor_id = actor.id if actor else None
    db.session.add(InstanceEvent(instance_id=instance.id, task_name="", label=label, kind="migration", actor_id=actor_id, at=now))
    db.session.flush()  # the version check on the instance row happens here
