"""Completing user tasks: the form's answers are checked, stored, and the process advances, in one transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app import security
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.errors import PreconditionFailed
from app.tasks import completion
from app.tasks import queries
from app.tasks.answers import clean_answers
from app.tasks.answers import written_answers
from app.tasks.form_definitions import FormDefinition
from app.tasks.forms import definition_for
from app.tasks.models import OpenTask
from app.tasks.models import TaskDraft
from app.tasks.submissions import WRITTEN_ANSWERS_CHECKS
from app.workflows.models import InstanceEvent
from app.workflows.models import InstanceStatus
from app.workflows.models import ProcessInstance
from engine import TaskNotFound
from engine import TaskNotReady

_TASK_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# The timer (its id in bpmn/invitation.bpmn) that closes an invitation nobody answered in time.
INVITATION_EXPIRY = "invitation_expiry"


@dataclass(frozen=True)
class Completed:
    """What a completion led to: the actor's next task in the same case, and the case's subject."""

    next_task_id: str | None
    subject_type: str
    subject_id: int | None
    failure: str = ""  # the process stopped on an error after this task (shown to the user, logged)


def complete_task(
    actor: User,
    engine_task_id: str,
    raw_answers: dict[str, Any],
    forms: dict[str, FormDefinition],
    today: date,
    origin: RequestInfo,
    expected_version: int | None = None,
) -> Completed:
    """Submit a user task's form, advance its process, and say where the actor goes next. With ``expected_version``
    (the API's If-Match), a case that moved on since the client read it refuses the completion (412, nothing changed)."""
    try:
        with transaction():
            task = _task_for(actor, engine_task_id, lock=True)
            if expected_version is not None and task.instance.version_id != expected_version:
                raise PreconditionFailed(_("This case changed since you read it: read the task again and send its new ETag."))
            if security.prepares_only(actor, task):
                raise NotAllowed(_("As an assistant you prepare this form: save it as a draft, and a clinician of the centre submits it."))
            form = definition_for(task, forms)
            answers, errors = clean_answers(form, raw_answers, today)
            if errors:
                raise InvalidInput(_("Some answers need correcting."), errors)
            if (check := WRITTEN_ANSWERS_CHECKS.get(task.subject_type)) is not None and task.subject_id is not None:
                check(task.subject_id, written_answers(form, answers))
            instance = task.instance
            completion.advance(actor, task, form, answers)
            audit.record(actor, "task.completed", "process_instance", instance.id, origin, task=task.name, form=form.id)
            subject = (instance.id, instance.subject_type, instance.subject_id, instance.failure)
    except (StaleDataError, TaskNotReady, TaskNotFound):
        # Another completion got there first (PostgreSQL lets the second one read the task row
        # while it waits for the instance lock; the engine then finds the task done).
        raise _gone(actor, engine_task_id, fallback=_("This case changed while you were working on it. Reload and try again.")) from None
    next_task = queries.next_task_for(actor, subject[0])
    return Completed(next_task.engine_task_id if next_task else None, subject[1], subject[2], subject[3])


def save_draft(
    actor: User, engine_task_id: str, raw_answers: dict[str, Any], base_revision: int, origin: RequestInfo, *, strict: bool = False
) -> int:
    """Keep what the actor typed without checking it; never overwrites a newer draft someone else saved.

    ``base_revision`` is the draft revision the actor's form started from (0: none). Returns the new
    revision. On a conflict both versions are kept: the newer draft stays, the actor's version is
    stored beside it for anyone to open, and Conflict tells the actor. ``strict`` (the API's If-Match): any other
    revision than ``base_revision``, the actor's own included, refuses the save (412) and changes nothing.
    """
    conflict: Conflict | None = None
    with transaction():
        task = _task_for(actor, engine_task_id, lock=True)
        draft = queries.draft_of(engine_task_id)
        if strict and (draft.revision if draft else 0) != base_revision:
            raise PreconditionFailed(_("Someone saved this draft since you read it: read it again and send its new ETag."))
        if draft is not None and draft.revision != base_revision and draft.saved_by_id != actor.id:
            who = draft.saved_by.full_name if draft.saved_by else _("someone")
            draft.conflict_answers = {name: _storable(value) for name, value in raw_answers.items()}
            draft.conflict_by_id, draft.conflict_at = actor.id, utcnow()
            audit.record(actor, "task.draft_conflict", "process_instance", task.instance_id, origin, task=task.name)
            conflict = Conflict(
                _(
                    "%(who)s saved this form at %(when)s after you opened it. Both versions are kept: the form shows "
                    "theirs when reloaded, and yours is one click away above the form. Compare them, then save again.",
                    who=who,
                    when=format_datetime(draft.saved_at, "short"),
                )
            )
        else:
            if draft is None:
                draft = TaskDraft(engine_task_id=engine_task_id, instance_id=task.instance_id, revision=0)
                db.session.add(draft)
            draft.raw_answers = {name: _storable(value) for name, value in raw_answers.items()}
            draft.saved_by_id, draft.saved_at, draft.revision = actor.id, utcnow(), draft.revision + 1
            if draft.conflict_by_id == actor.id:
                draft.conflict_answers, draft.conflict_by_id, draft.conflict_at = None, None, None  # reconciled
            audit.record(actor, "task.draft_saved", "process_instance", task.instance_id, origin, task=task.name)
            db.session.flush()
            revision = draft.revision
    if conflict is not None:
        raise conflict  # after the commit: the refused version is kept beside the newer draft
    return revision


def _storable(value: Any) -> Any:
    # Drafts keep what was typed, minus the NUL character that PostgreSQL cannot store.
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {str(key)[:100]: _storable(item) for key, item in value.items()}
    return str(value if value is not None else "").replace("\x00", "")[:20000]


def task_for(actor: User, engine_task_id: str) -> OpenTask:
    """An open task the actor may complete (NotFound, Conflict if already done, NotAllowed)."""
    return _task_for(actor, engine_task_id, lock=False)


@dataclass(frozen=True)
class TaskPage:
    """What a task's page is built from: the task, the form definition its answers follow, the saved draft."""

    task: OpenTask
    definition: FormDefinition
    draft: TaskDraft | None


def task_page(actor: User, engine_task_id: str, forms: dict[str, FormDefinition]) -> TaskPage:
    """An open task the actor may complete, with its form and draft (NotFound, Conflict if already done, NotAllowed)."""
    task = task_for(actor, engine_task_id)
    return TaskPage(task, definition_for(task, forms), queries.draft_of(engine_task_id))


def _task_for(actor: User, engine_task_id: str, *, lock: bool) -> OpenTask:
    task = queries.open_task(engine_task_id, lock=lock)
    if task is None:
        raise _gone(actor, engine_task_id)
    if not security.can_complete(actor, task):
        raise NotAllowed(_("This task is not yours to complete."))
    return task


def _gone(actor: User, engine_task_id: str, fallback: str | None = None) -> Exception:
    """Why a task is no longer open, told to those who had a part in it; for anyone else it does not exist."""
    completion = queries.completion_of(engine_task_id)
    instance = completion.instance if completion is not None else _instance_of_closed_task(actor, engine_task_id)
    if instance is not None and _took_part(actor, instance, completion, engine_task_id):
        return Conflict(_what_happened(actor, instance, completion))
    if fallback:
        return Conflict(fallback)
    return NotFound(_("No such task."))


def _instance_of_closed_task(actor: User, engine_task_id: str) -> ProcessInstance | None:
    """The case a task closed without completion (a timer, a cancellation) belonged to, when the actor can know it:
    through a draft of it, or among the actor's own cases, whose engine state still holds the closed task."""
    draft = queries.draft_of(engine_task_id)
    if draft is not None:
        return db.session.get(ProcessInstance, draft.instance_id)
    if not _TASK_ID.fullmatch(engine_task_id):
        return None
    return db.session.scalar(
        select(ProcessInstance)
        .where(
            or_(ProcessInstance.assignee_id == actor.id, ProcessInstance.started_by_id == actor.id),
            ProcessInstance.state.contains(engine_task_id, autoescape=True),
        )
        .limit(1)
    )


def _took_part(actor: User, instance: ProcessInstance, completion: InstanceEvent | None, engine_task_id: str) -> bool:
    """Whoever completed the task, the one person it was for, whoever saved a draft of it, and those who follow the case."""
    draft = queries.draft_of(engine_task_id)
    return (
        (completion is not None and completion.actor_id == actor.id)
        or instance.assignee_id == actor.id
        or (draft is not None and actor.id in (draft.saved_by_id, draft.conflict_by_id))
        or security.can_follow(actor, instance)
    )


def _what_happened(actor: User, instance: ProcessInstance, completion: InstanceEvent | None) -> str:
    if completion is not None:
        when = format_datetime(completion.at, "short")
        if completion.actor_id == actor.id:
            return _("You already answered on %(when)s.", when=when)
        if security.can_follow(actor, instance):
            who = completion.actor.full_name if completion.actor else _("the system")
            return _("This task was already completed by %(who)s at %(when)s.", who=who, when=when)
        return _("This task was already completed at %(when)s.", when=when)
    expiry = db.session.scalar(
        select(InstanceEvent.at)
        .where(InstanceEvent.instance_id == instance.id, InstanceEvent.task_name == INVITATION_EXPIRY)
        .order_by(InstanceEvent.at.desc())
        .limit(1)
    )
    if expiry is not None and instance.assignee_id == actor.id:
        return _("This invitation expired on %(when)s; ask the panel lead to invite you again.", when=format_datetime(expiry, "short"))
    if expiry is not None:
        return _("This invitation expired on %(when)s.", when=format_datetime(expiry, "short"))
    if instance.status == InstanceStatus.CANCELLED:
        return _("This task was cancelled with its case on %(when)s.", when=format_datetime(instance.updated_at, "short"))
    return _("This task is closed: its time ran out or the case moved on without it.")
