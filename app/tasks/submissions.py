"""Form id → what a submitted form writes to domain tables, and which ids it hands to the process.

Task data is the process's integration surface: it holds ids and routing flags only. Clinical and
identifying answers go to relational tables here and never into the serialized state.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from app.accounts.models import User
from app.database import db
from app.tasks.form_definitions import FormDefinition
from app.tasks.models import OpenTask
from app.tasks.models import TaskSubmission
from app.workflows.models import ProcessInstance
from app.workflows.registry import register

SubmissionHandler = Callable[[User, ProcessInstance, dict[str, Any]], dict[str, Any]]
# What the answers people wrote on a task about a subject must not hold (the subject's id, the answers by field);
# raises InvalidInput. By subject type: a panel's texts must not identify its patient.
WrittenAnswersCheck = Callable[[int, dict[str, Any]], None]

# What must hold, beyond the form's own rules, before a form's answers are taken (by form id); raises InvalidInput.
SubmissionCheck = Callable[[User, ProcessInstance, dict[str, Any]], None]

SUBMISSION_HANDLERS: dict[str, SubmissionHandler] = {}
SUBMISSION_CHECKS: dict[str, SubmissionCheck] = {}
WRITTEN_ANSWERS_CHECKS: dict[str, WrittenAnswersCheck] = {}


def register_submissions(handlers: Mapping[str, SubmissionHandler]) -> None:
    """Make known where the answers of each form go (by form id); the feature packages offer them, create_app registers."""
    register(SUBMISSION_HANDLERS, handlers, "form")


def register_submission_checks(checks: Mapping[str, SubmissionCheck]) -> None:
    """Make known what must hold of the case before a form is taken (e.g. a review window before a sign-off)."""
    register(SUBMISSION_CHECKS, checks, "form check")


def register_written_answers_checks(checks: Mapping[str, WrittenAnswersCheck]) -> None:
    """Make known what the written answers on tasks about each kind of subject must not hold."""
    register(WRITTEN_ANSWERS_CHECKS, checks, "subject type")


def submit(actor: User, task: OpenTask, form: FormDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    """Store a task's answers where they belong; return the task data for the engine."""
    check = SUBMISSION_CHECKS.get(form.id)
    if check is not None:
        check(actor, task.instance, answers)
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
