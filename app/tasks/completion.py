"""Advancing a process by one completed user task: the steps every completion shares. Only flushes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from app.accounts.models import User
from app.database import db
from app.tasks import submissions
from app.tasks.form_definitions import FormDefinition
from app.tasks.models import OpenTask
from app.tasks.models import TaskDraft
from app.workflows import store


def advance(actor: User, task: OpenTask, form: FormDefinition, answers: dict[str, Any]) -> None:
    """Store the cleaned answers, complete the engine task, apply effects and save the instance."""
    instance = task.instance
    task_data = submissions.submit(actor, task, form, answers)
    store.complete(instance, task.engine_task_id, task_data, actor)
    db.session.execute(delete(TaskDraft).where(TaskDraft.engine_task_id == task.engine_task_id))
