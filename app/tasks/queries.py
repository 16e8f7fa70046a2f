"""Reads of the open-task queue."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm import joinedload

from app import security
from app.accounts.models import User
from app.database import db
from app.tasks.models import OpenTask
from app.tasks.models import TaskDraft
from app.workflows.models import InstanceEvent
from app.workflows.models import ProcessInstance


def open_tasks_for(user: User, limit: int = 100) -> list[OpenTask]:
    """The open tasks the user may complete, oldest first."""
    query = (
        select(OpenTask)
        .options(joinedload(OpenTask.instance, innerjoin=True).joinedload(ProcessInstance.started_by))
        .where(security.open_task_filter(user, OpenTask))
        .order_by(OpenTask.created_at, OpenTask.id)
    )
    return list(db.session.scalars(query.limit(limit)))


_OPEN_TASK = (
    select(OpenTask)
    .join(OpenTask.instance)
    .options(contains_eager(OpenTask.instance))
    .where(OpenTask.engine_task_id == bindparam("task_id"))
)
# Locks the instance row only, as the scheduler does: every change to an instance's open tasks
# happens under its instance lock, so one lock order everywhere and no deadlock. Fresh values:
# the instance may have been read earlier in the request.
_LOCKED_OPEN_TASK = _OPEN_TASK.with_for_update(of=ProcessInstance).execution_options(populate_existing=True)


def open_task(engine_task_id: str, *, lock: bool = False) -> OpenTask | None:
    """The open task with its process instance (one query; with ``lock``, the instance row is locked)."""
    return db.session.scalar(_LOCKED_OPEN_TASK if lock else _OPEN_TASK, {"task_id": engine_task_id})


def draft_of(engine_task_id: str) -> TaskDraft | None:
    return db.session.scalar(select(TaskDraft).where(TaskDraft.engine_task_id == engine_task_id))


def completion_of(engine_task_id: str) -> InstanceEvent | None:
    """The event log entry of a user task that was completed, if it was."""
    return db.session.scalar(select(InstanceEvent).where(InstanceEvent.engine_task_id == engine_task_id).limit(1))


def next_task_for(user: User, instance_id: int) -> OpenTask | None:
    """The user's next open task in the same case, to take them straight on."""
    query = select(OpenTask).where(OpenTask.instance_id == instance_id, security.open_task_filter(user, OpenTask))
    return db.session.scalar(query.order_by(OpenTask.created_at).limit(1))
