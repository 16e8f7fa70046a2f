"""Steering open tasks: claim, reassign with a reason, remind, service levels and their escalation."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import load_only
from sqlalchemy.orm import selectinload

from app import security
from app.accounts.models import Membership
from app.accounts.models import Role
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.i18n import N_
from app.notifications.models import Message
from app.notifications.services import notify
from app.organisations.models import Ern
from app.panels.models import Panel
from app.tasks.models import DUE
from app.tasks.models import OpenTask
from app.tasks.models import SlaRule

MAX_SLA_HOURS = 365 * 24
PERSONAL_ROLES = ("invitee",)  # tasks that belong to one person by nature: never reassigned


def _require_steering(user: User, ern_id: int) -> None:
    if not security.steers_queue(user, ern_id):
        raise NotAllowed(_("Only the ERN's coordinators and managers steer its tasks."))


def _eligible(user: User, task: OpenTask) -> bool:
    """Whether the user could take the task by their own role (whoever it is assigned to now)."""
    return user.is_active and security.could_take(user, task)


def may_take(user: User, task: OpenTask) -> bool:
    """Whether the user may take the task from the pool themselves (an invitation is the invitee's alone)."""
    return task.role not in PERSONAL_ROLES and _eligible(user, task)


def takeable(user: User, engine_task_ids: list[str]) -> set[str]:
    """Which of these tasks the user may take (one statement for a page of tasks, whatever its length)."""
    if not engine_task_ids:
        return set()
    loaded = db.session.execute(_tasks_with_panels(), {"ids": engine_task_ids}).all()
    return {task.engine_task_id for task, _panel in loaded if may_take(user, task)}


@cache
def _tasks_with_panels() -> Select[OpenTask, Panel]:
    """Open tasks with their panels, so that the policy finds each panel's lead without a statement per task (built once)."""
    return (
        select(OpenTask, Panel)
        .outerjoin(Panel, and_(OpenTask.subject_type == "panel", Panel.id == OpenTask.subject_id))
        .options(  # only what the policy reads
            load_only(
                OpenTask.engine_task_id,
                OpenTask.name,
                OpenTask.role,
                OpenTask.ern_id,
                OpenTask.centre_id,
                OpenTask.subject_type,
                OpenTask.subject_id,
            ),
            load_only(Panel.lead_id, Panel.created_by_id),
        )
        .where(OpenTask.engine_task_id.in_(bindparam("ids", expanding=True)))
    )


def candidates(task: OpenTask) -> list[User]:
    """The people of the ERN who could take this task (the only ones it may be reassigned to), by name."""
    users = db.session.scalars(
        select(User)
        .options(selectinload(User.memberships).selectinload(Membership.centre))
        .where(User.active, User.id.in_(select(Membership.user_id).where(Membership.ern_id == task.ern_id)))
        .order_by(User.last_name, User.first_name)
    )
    return [user for user in users if _eligible(user, task)]


def _task(engine_task_id: str) -> OpenTask:
    task = db.session.scalar(select(OpenTask).where(OpenTask.engine_task_id == engine_task_id).with_for_update())
    if task is None:
        raise NotFound(_("This task is no longer open."))
    return task


def claim(actor: User, engine_task_id: str, origin: RequestInfo) -> OpenTask:
    """Take a task one's role allows, so that colleagues see it is being handled."""
    with transaction():
        task = _task(engine_task_id)
        if not may_take(actor, task):
            raise NotAllowed(_("You cannot take this task: it is not for your role."))
        task.assignee_id = actor.id
        audit.record(actor, "task.claimed", "task", task.engine_task_id, origin)
        return task


def reassign(actor: User, engine_task_id: str, assignee_id: int | None, reason: str, origin: RequestInfo) -> OpenTask:
    """A coordinator gives a task to someone else who could take it (or back to everyone who could), saying why."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Say why the task is reassigned."), {"reason": [_("Say why the task is reassigned.")]})
    with transaction():
        task = _task(engine_task_id)
        if task.ern_id is None:
            raise NotFound(_("This task is no longer open."))
        _require_steering(actor, task.ern_id)
        if task.role in PERSONAL_ROLES:
            raise InvalidInput(_("An invitation belongs to the invitee: withdraw it or invite someone else instead."))
        assignee = db.session.get(User, assignee_id) if assignee_id else None
        if assignee_id and (assignee is None or not _eligible(assignee, task)):
            raise InvalidInput(_("This person cannot take the task: choose someone whose role allows it."))
        task.assignee_id = assignee.id if assignee else None
        audit.record(actor, "task.reassigned", "task", task.engine_task_id, origin, assignee_id=task.assignee_id, reason=reason[:500])
        if assignee is not None:
            notify(
                [assignee],
                N_("%(name)s gave you a task: %(task)s. Reason: %(reason)s"),
                f"/tasks/{task.engine_task_id}",
                name=actor.full_name,
                task=Message(task.label),
                reason=reason[:300],
            )
        return task


def remind(actor: User, engine_task_ids: list[str], origin: RequestInfo) -> int:
    """Remind whoever a task waits on (its assignee, else everyone who could take it); the number of tasks."""
    with transaction():
        tasks = db.session.scalars(select(OpenTask).where(OpenTask.engine_task_id.in_(engine_task_ids[:500]))).all()
        for task in tasks:
            if task.ern_id is None:
                continue
            _require_steering(actor, task.ern_id)
            people = [task.assignee] if task.assignee is not None else candidates(task)
            notify(people, N_("Reminder: %(task)s is waiting for you."), f"/tasks/{task.engine_task_id}", task=Message(task.label))
            audit.record(actor, "task.reminded", "task", task.engine_task_id, origin, people=len(people))
        return len(tasks)


def rules(ern_id: int) -> list[SlaRule]:
    return list(db.session.scalars(select(SlaRule).where(SlaRule.ern_id == ern_id).order_by(SlaRule.task_name)))


def set_rule(actor: User, ern_id: int, task_name: str, hours: int | None, origin: RequestInfo) -> None:
    """Set (or with no hours, remove) the ERN's service level for a task; open tasks of that name get the new due date."""
    if hours is not None and not 1 <= hours <= MAX_SLA_HOURS:
        raise InvalidInput(_("Give a service level between 1 hour and %(n)d days.", n=MAX_SLA_HOURS // 24))
    if not task_name or len(task_name) > 100:
        raise InvalidInput(_("Choose a task."))
    with transaction():
        if not security.manages_ern(actor, ern_id):
            raise NotAllowed(_("Only the ERN's managers set its service levels."))
        rule = db.session.scalar(select(SlaRule).where(SlaRule.ern_id == ern_id, SlaRule.task_name == task_name))
        if hours is None:
            if rule is not None:
                db.session.delete(rule)
        elif rule is None:
            db.session.add(SlaRule(ern_id=ern_id, task_name=task_name, hours=hours))
        else:
            rule.hours = hours
        _redate_open_tasks(ern_id, task_name, hours)
        audit.record(actor, "ern.service_level", "ern", ern_id, origin, task=task_name, hours=hours)


def _redate_open_tasks(ern_id: int, task_name: str, hours: int | None) -> None:
    tasks = db.session.execute(select(OpenTask.id, OpenTask.created_at).where(OpenTask.ern_id == ern_id, OpenTask.name == task_name)).all()
    if not tasks:
        return
    values = [{"task_id": task_id, "due": created + timedelta(hours=hours) if hours else None} for task_id, created in tasks]
    db.session.execute(
        update(OpenTask.__table__)
        .where(OpenTask.__table__.c.id == bindparam("task_id"))
        .values(sla_due_at=bindparam("due"), escalated_at=None),
        values,
    )


def escalate_overdue(now: datetime, limit: int = 500) -> int:
    """Tell each ERN's coordinators which of its tasks went past their due date (once per task); the number told."""
    with transaction():
        overdue = db.session.scalars(
            select(OpenTask)
            .where(DUE < now, OpenTask.escalated_at.is_(None), OpenTask.ern_id.is_not(None))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        by_ern: dict[int, list[OpenTask]] = {}
        for task in overdue:
            task.escalated_at = now
            by_ern.setdefault(int(task.ern_id or 0), []).append(task)
        for ern_id, tasks in by_ern.items():
            coordinators = db.session.scalars(
                select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.ern_id == ern_id, Membership.role == Role.COORDINATOR)
            ).all()
            ern = db.session.get(Ern, ern_id)
            link = f"/erns/{ern.code}/queue?overdue=1" if ern else "/"
            text = N_("%(count)s task(s) are past their due date: %(tasks)s.")
            notify(coordinators, text, link, count=len(tasks), tasks=_listed(sorted({task.label for task in tasks})))
        return len(overdue)


def _listed(labels: list[str], limit: int = 200) -> Message:
    """Task names (BPMN's English) as one value, each shown in the reader's language, "a, b, c": as many as fit in
    ``limit`` characters of English."""
    kept: list[str] = []
    for label in labels:
        if kept and len(", ".join([*kept, label])) > limit:
            break
        kept.append(label)
    values = {f"task{number}": Message(label) for number, label in enumerate(kept)}
    return Message(", ".join(f"%({name})s" for name in values), values)
