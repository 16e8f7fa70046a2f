"""Importing a patient summary into a consultation form's draft: what it proposes is kept item by item, marked, and goes
into the draft only when someone who may fill the form accepts it (nothing is filled silently)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotFound
from app.identifying import Identity
from app.interop.ips_import import NOTE
from app.interop.ips_import import Proposed
from app.interop.ips_import import read_summary
from app.interop.models import ACCEPTED
from app.interop.models import PENDING
from app.interop.models import REJECTED
from app.interop.models import ImportedItem
from app.panels.models import Panel
from app.patients.models import Patient
from app.tasks import queries as task_queries
from app.tasks.answers import is_empty
from app.tasks.form_definitions import FieldDefinition
from app.tasks.form_definitions import FormDefinition
from app.tasks.forms import definition_for
from app.tasks.models import OpenTask
from app.tasks.models import TaskDraft
from app.tasks.services import task_for

CONSULTATION = "consultation"  # the one form a patient summary is imported into


@dataclass(frozen=True)
class Imported:
    """What one upload proposed: items to review, and notes (sections with nothing recorded, items left out)."""

    batch: str
    items: int
    notes: int


def import_bundle(actor: User, engine_task_id: str, data: bytes, origin: RequestInfo, forms: dict[str, FormDefinition]) -> Imported:
    """Read a FHIR patient summary and keep what it proposes for the consultation form's draft, each item to review."""
    task = _consultation_task(actor, engine_task_id)
    patient = _patient_of(task)
    # Read before the transaction: a large file takes a moment, and SQLite writers would wait for it meanwhile.
    summary = read_summary(data, patient.identity() if patient is not None else Identity())
    definition = definition_for(task, forms)
    proposed = [*_compared_with_record(summary.gender, summary.birth_date, patient), *(_fitted(p, definition) for p in summary.items)]
    if not proposed:
        raise InvalidInput(_("This patient summary holds nothing the consultation form can take."))
    with transaction():
        task = _consultation_task(actor, engine_task_id)
        batch = secrets.token_hex(8)
        for position, item in enumerate(proposed):
            db.session.add(
                ImportedItem(
                    engine_task_id=engine_task_id,
                    instance_id=task.instance_id,
                    batch=batch,
                    position=position,
                    field=item.field,
                    source=item.source[:80],
                    summary=item.summary[:1000],
                    value=item.value,
                    status=PENDING,
                    imported_by_id=actor.id,
                )
            )
        notes = sum(1 for item in proposed if item.field == NOTE)
        audit.record(
            actor,
            "task.summary_imported",
            "process_instance",
            task.instance_id,
            origin,
            task=task.name,
            items=len(proposed) - notes,
            notes=notes,
        )
    return Imported(batch, len(proposed) - notes, notes)


def pending(engine_task_id: str) -> list[ImportedItem]:
    """What imports proposed for a task's form and nobody decided yet, in the order of the uploads."""
    query = select(ImportedItem).where(ImportedItem.engine_task_id == engine_task_id, ImportedItem.status == PENDING)
    return list(db.session.scalars(query.order_by(ImportedItem.imported_at, ImportedItem.batch, ImportedItem.position)))


def decide(
    actor: User, item_id: int, accept: bool, origin: RequestInfo, forms: dict[str, FormDefinition], task_id: str | None = None
) -> ImportedItem:
    """Accept an imported item into the form's draft, or reject it; either way it is no longer proposed.

    ``task_id``, when given, is the task the actor is on: an item of another task is not found there."""
    with transaction():
        item = _pending_item(actor, item_id, task_id)
        task = _consultation_task(actor, item.engine_task_id)
        if accept:
            if item.field == NOTE:
                raise InvalidInput(_("A note has nothing to accept: dismiss it."))
            _merge(actor, task, definition_for(task, forms), [item], origin)
        _decided(actor, item, ACCEPTED if accept else REJECTED)
        action = "task.imported_item_accepted" if accept else "task.imported_item_rejected"
        audit.record(actor, action, "process_instance", task.instance_id, origin, task=task.name, field=item.field or "note")
    return item


def accept_all(actor: User, engine_task_id: str, origin: RequestInfo, forms: dict[str, FormDefinition]) -> int:
    """Accept every item still proposed for the task's form into its draft (notes are dismissed); how many went in."""
    with transaction():
        task = _consultation_task(actor, engine_task_id)
        items = pending(engine_task_id)
        accepted = [item for item in items if item.field != NOTE]
        if accepted:
            _merge(actor, task, definition_for(task, forms), accepted, origin)
        for item in items:
            _decided(actor, item, ACCEPTED if item.field != NOTE else REJECTED)
        audit.record(
            actor, "task.imported_items_accepted", "process_instance", task.instance_id, origin, task=task.name, items=len(accepted)
        )
    return len(accepted)


# ---- Helpers (they flush, the services above commit) -------------------------------------------------------------------


def _consultation_task(actor: User, engine_task_id: str) -> OpenTask:
    """The open consultation task the actor may fill (NotFound, Conflict when done, NotAllowed)."""
    task = task_for(actor, engine_task_id)
    if task.form_key != CONSULTATION:
        raise InvalidInput(_("A patient summary can be imported into a consultation form only."))
    return task


def _patient_of(task: OpenTask) -> Patient | None:
    if task.subject_type != "panel" or task.subject_id is None:
        return None
    panel = db.session.get(Panel, task.subject_id)
    return panel.patient if panel is not None else None


def _compared_with_record(gender: str, birth_date: Any, patient: Patient | None) -> list[Proposed]:
    """Notes when the summary's person differs from the patient's record (the wrong patient's file?). The values are
    compared, never copied: the record's birth date was given at enrolment, and the form has no gender field."""
    if patient is None:
        return []
    source = _("Patient")
    notes = []
    if birth_date is not None and patient.identifying_erased_at is None and birth_date != patient.date_of_birth:
        notes.append(
            Proposed(NOTE, source, _("The birth date in this summary is not the patient's: make sure it is this patient's summary."), "")
        )
    known = {"male", "female"}
    if gender in known and patient.gender in known and gender != patient.gender:
        notes.append(
            Proposed(
                NOTE, source, _("The gender in this summary differs from the patient's record: make sure it is this patient's summary."), ""
            )
        )
    return notes


def _fitted(item: Proposed, definition: FormDefinition) -> Proposed:
    """The item, or a note when the form's version has no field of the kind it needs."""
    if item.field == NOTE:
        return item
    field = definition.by_name.get(item.field)
    expected = "group" if isinstance(item.value, dict) else ("long_text", "coded_term", "phenotype")
    if field is None or field.type not in expected:
        return Proposed(NOTE, item.source, _("%(summary)s — left out: this form has no field for it.", summary=item.summary[:300]), "")
    return item


def _pending_item(actor: User, item_id: int, task_id: str | None) -> ImportedItem:
    if task_id is not None:
        task_for(actor, task_id)  # whether an item exists is told only to those who may fill the form
    item = db.session.get(ImportedItem, item_id)
    if item is None or (task_id is not None and item.engine_task_id != task_id):
        raise NotFound(_("No such imported item."))
    task_for(actor, item.engine_task_id)  # only those who may fill the form learn what was imported for it
    if item.status != PENDING:
        raise Conflict(
            _("This imported item was already accepted.") if item.status == ACCEPTED else _("This imported item was already rejected.")
        )
    return item


def _decided(actor: User, item: ImportedItem, status: str) -> None:
    item.status, item.decided_by_id, item.decided_at = status, actor.id, utcnow()


def _merge(actor: User, task: OpenTask, definition: FormDefinition, items: list[ImportedItem], origin: RequestInfo) -> None:
    """Add items to the task's draft as saving the form would: a new revision by the actor (a form someone else has
    open then meets the conflict handling of drafts when saved, and neither version is lost)."""
    draft = task_queries.draft_of(task.engine_task_id)
    if draft is None:
        draft = TaskDraft(engine_task_id=task.engine_task_id, instance_id=task.instance_id, revision=0, raw_answers={})
        db.session.add(draft)
    answers = dict(draft.raw_answers or {})
    for item in items:
        field = definition.by_name.get(item.field)
        if field is None:
            raise InvalidInput(_("This form has no field for “%(summary)s”: reject it.", summary=item.summary[:200]))
        answers[field.name] = _added(field, answers.get(field.name), item)
    draft.raw_answers = answers
    draft.saved_by_id, draft.saved_at, draft.revision = actor.id, utcnow(), (draft.revision or 0) + 1
    audit.record(actor, "task.draft_saved", "process_instance", task.instance_id, origin, task=task.name)
    db.session.flush()


def _added(field: FieldDefinition, current: Any, item: ImportedItem) -> Any:
    """The field's raw answer with the item added: a new group entry, a paragraph, a phenotype line, or the code."""
    value = item.value
    if field.type == "group" and isinstance(value, dict):
        entries = [entry for entry in (current if isinstance(current, list) else []) if isinstance(entry, dict) and not is_empty(entry)]
        if len(entries) >= field.max_entries:
            raise InvalidInput(_("%(field)s already has %(n)d entries, its most.", field=field.label, n=field.max_entries))
        return [*entries, {sub.name: _clean(value.get(sub.name, "")) for sub in field.entry_fields}]
    text = _clean(value)
    existing = str(current or "").strip() if not isinstance(current, (list, dict)) else ""
    if field.type == "long_text":
        combined = f"{existing}\n{text}" if existing else text
        if len(combined) > field.max_length:
            raise InvalidInput(
                _("%(field)s would be longer than %(n)d characters: shorten it in the form first.", field=field.label, n=field.max_length)
            )
        return combined
    if field.type == "phenotype":
        code = text.split("—")[0].strip()
        if any(line.split("—")[0].strip().removeprefix("not ").strip() == code for line in existing.splitlines()):
            return existing
        return f"{existing}\n{text}" if existing else text
    if existing and existing != text:
        raise InvalidInput(_("%(field)s is already filled in the form: empty it there first, or reject this item.", field=field.label))
    return text


def _clean(value: Any) -> str:
    # As drafts keep typed text: without the NUL character PostgreSQL cannot store.
    return str(value if value is not None else "").replace("\x00", "")[:20000]
