"""Form id → what a submitted form writes to domain tables, and which ids it hands to the process.

Task data is the process's integration surface: it holds ids and routing flags only. Clinical and
identifying answers go to relational tables here and never into the serialized state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.accounts.models import User
from app.database import db
from app.panels import process as panel_process
from app.patients import enrolment
from app.tasks.form_definitions import FormDefinition
from app.tasks.models import OpenTask
from app.tasks.models import TaskSubmission
from app.workflows.models import ProcessInstance

SubmissionHandler = Callable[[User, ProcessInstance, dict[str, Any]], dict[str, Any]]

SUBMISSION_HANDLERS: dict[str, SubmissionHandler] = {
    "enrolment": enrolment.record_enrolment,
    "consultation": panel_process.submit_consultation,
    "invitation_reply": panel_process.submit_invitation_reply,
    "contribution": panel_process.submit_contribution,
    "additional_data": panel_process.submit_additional_data,
    "outcome": panel_process.submit_outcome,
    "panel_closing": panel_process.submit_panel_closing,
    "expert_suggestion": panel_process.submit_expert_suggestion,
}


def submit(actor: User, task: OpenTask, form: FormDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    """Store a task's answers where they belong; return the task data for the engine."""
    handler = SUBMISSION_HANDLERS.get(form.id)
    if handler is not None:
        return handler(actor, task.instance, answers)
    submission = TaskSubmission(
        instance_id=task.instance_id,
        engine_task_id=task.engine_task_id,
        form_key=form.id,
        actor_id=actor.id,
        answers={name: _jsonable(value) for name, value in answers.items()},
    )
    db.session.add(submission)
    db.session.flush()
    routing = {f.name: answers.get(f.name) for f in form.fields if f.routing}
    return {f"{task.name}_submission_id": submission.id, **routing}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
