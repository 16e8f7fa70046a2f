"""Patients' rights, exercised by the patient's centre on the patient's request: a copy of everything held about them
(export), and the erasure of their identifying data. After an erasure the pseudonymised record stays under its CPMS ID:
the consents, the panels with their consultation forms, contributions and signed outcomes, the files shared with them."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from typing import Protocol

from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from app import security
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.documents.models import HELD
from app.documents.models import Document
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.identifying import Identity
from app.identifying import mentions_patient
from app.panels.models import Outcome
from app.panels.models import Panel
from app.patients import export
from app.patients import history
from app.patients import privacy
from app.patients import queries
from app.patients.models import Patient
from app.patients.models import PatientChange
from app.patients.models import PatientTransfer

# What takes the place of erased values: the columns are required. No one is born on 01/01/0001; pages show "erased".
log = logging.getLogger(__name__)

ERASED = "—"
ERASED_BIRTH_DATE = date(1, 1, 1)
IDENTIFYING_FIELDS = ("first_name", "last_name", "date_of_birth", "record_label")
MAX_REASON = 1000
FORMATS = {"pdf": "application/pdf", "json": "application/json"}


class ContentStore(Protocol):
    """Where file contents live (app/documents/storage.py), handed in by the route: patients do not build on documents."""

    def delete(self, content_hash: str) -> None: ...


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class ErasurePlan:
    """What an erasure removes and what stays, for the confirmation page."""

    patient: Patient
    documents: int  # files kept in the record at the centre (outside any panel): deleted
    panels: int
    signed_outcomes: int


def _record_for_centre(actor: User, patient_id: int) -> Patient:
    """The patient, for the health professionals of their centre in their ERN (NotFound for whoever may not see it)."""
    patient = queries.visible_patient(actor, patient_id)
    if patient is None:
        raise NotFound(_("No such patient."))
    if not security.can_change_record(actor, patient):
        raise NotAllowed(_("Only the health professionals of the patient's centre export or erase a patient's record."))
    return patient


def export_record(actor: User, patient_id: int, format: str, origin: RequestInfo) -> Download:
    """A copy of everything held about the patient (PDF or JSON) for their centre to hand to them; audited."""
    if format not in FORMATS:
        raise NotFound(_("No such format."))
    with transaction():
        patient = _record_for_centre(actor, patient_id)
        record = export.held(patient, actor)
        content = export.as_pdf(record) if format == "pdf" else export.as_json(record)
        audit.record(actor, "patient.exported", "patient", patient.id, origin, format=format)
    name = re.sub(r"[^A-Za-z0-9-]", "", patient.cpms_id or str(patient.id))
    return Download(f"{name}-record.{format}", FORMATS[format], content)


def erasure_plan(actor: User, patient_id: int, origin: RequestInfo) -> ErasurePlan:
    """What erasing the patient's identifying data would remove and keep (the page shows their identifying data: audited)."""
    with transaction():
        patient = _record_for_centre(actor, patient_id)
        documents = db.session.scalar(select(func.count()).where(*_erased_files(patient)))
        panels = db.session.scalar(select(func.count()).where(Panel.patient_id == patient.id))
        signed = db.session.scalar(
            select(func.count()).select_from(Outcome).join(Panel).where(Panel.patient_id == patient.id, Outcome.signed_at.is_not(None))
        )
        audit.record(actor, "patient.viewed", "patient", patient.id, origin, page="erasure")
    return ErasurePlan(patient, documents or 0, panels or 0, signed or 0)


def erase_identifying_data(
    actor: User, patient_id: int, confirmation: str, reason: str, store: ContentStore, origin: RequestInfo
) -> Patient:
    """Erase the patient's identifying data on their request, for good: names, birth date and record label, the earlier
    values in the record's history, and the files kept in the record at the centre. The CPMS ID and the pseudonymised
    record stay; the record says when the data were erased. Confirmed by typing the CPMS ID; the reason is kept; audited."""
    with transaction():
        patient = _record_for_centre(actor, patient_id)
        db.session.refresh(patient, with_for_update=True)  # two erasures of one record: the second waits, then finds it done
        if patient.identifying_erased_at is not None:
            raise Conflict(_("The identifying data of this patient were erased already."))
        if " ".join(confirmation.split()).casefold() != (patient.cpms_id or "").casefold():
            raise InvalidInput(
                _("Type the CPMS ID %(cpms_id)s to confirm the erasure.", cpms_id=patient.cpms_id),
                {"confirmation": [_("Type the CPMS ID exactly.")]},
            )
        text = _checked_reason(reason, patient)
        identity = _every_identity(patient)
        _scrub_history(patient, identity)
        if _mentions(patient.frozen_reason, identity):
            patient.frozen_reason = ERASED
        contents = _delete_record_documents(patient)
        patient.first_name = patient.last_name = ERASED
        patient.date_of_birth = ERASED_BIRTH_DATE
        patient.record_label = ""
        patient.refresh_search_text()
        patient.identifying_erased_at, patient.identifying_erased_by_id, patient.identifying_erasure_reason = utcnow(), actor.id, text
        history.record(patient, "erased", actor, note=text)
        audit.record(actor, "patient.identifying_data_erased", "patient", patient.id, origin, documents=len(contents))
        db.session.flush()
        unused = contents - set(db.session.scalars(select(Document.content_hash).where(Document.content_hash.in_(contents))))
    # Only once the rows are gone for good: a rolled-back erasure must find its files. The erasure is done by then: a
    # storage that does not answer leaves unreferenced files (counted in the log), never an error page.
    left = 0
    for content_hash in sorted(unused):
        try:
            store.delete(content_hash)
        except Exception:  # the storage backends' errors (folder or bucket) are theirs to name
            left += 1
    if left:
        log.warning("erasure of patient %s: %d stored file(s) could not be deleted now; no row refers to them", patient.id, left)
    return patient


def _checked_reason(reason: str, patient: Patient) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(_("Say why: the reason is kept on the record."), {"reason": [_("Say why.")]})
    if len(text) > MAX_REASON or any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        message = _("The reason must be plain text of at most %(n)d characters.", n=MAX_REASON)
        raise InvalidInput(message, {"reason": [message]})
    if privacy.problem_with(text, patient):
        message = _("The reason stays on the record after the erasure: it must not identify the patient (no name, birth date or label).")
        raise InvalidInput(message, {"reason": [message]})
    return text


def _every_identity(patient: Patient) -> Identity:
    """Who the patient is now and was: the record's values and the earlier ones its history keeps (a maiden name, a
    corrected birth date), so that a note naming an earlier value goes too."""
    names: list[str] = []
    birth_dates: list[date] = []
    labels: list[str] = []
    for row in db.session.scalars(select(PatientChange).where(PatientChange.patient_id == patient.id)):
        for change in row.changes:
            values = [v for v in (change.get("before"), change.get("after")) if isinstance(v, str) and v]
            if change.get("field") in ("first_name", "last_name"):
                names += values
            elif change.get("field") == "record_label":
                labels += values
            elif change.get("field") == "date_of_birth":
                birth_dates += [date.fromisoformat(v) for v in values if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v)]
    return patient.identity().merged(Identity(tuple(names), tuple(birth_dates), tuple(labels)))


def _scrub_history(patient: Patient, identity: Identity) -> None:
    """Earlier identifying values in the record's history go too, and any note or transfer reason that mentions the patient."""
    for row in db.session.scalars(select(PatientChange).where(PatientChange.patient_id == patient.id)):
        row.changes = [{**change, "before": None, "after": None} if _identifying(change, identity) else change for change in row.changes]
        if _mentions(row.note, identity):
            row.note = ERASED
    for transfer in db.session.scalars(select(PatientTransfer).where(PatientTransfer.patient_id == patient.id)):
        if _mentions(transfer.reason, identity):
            transfer.reason = ERASED
        if _mentions(transfer.comment, identity):
            transfer.comment = ERASED


def _identifying(change: dict[str, Any], identity: Identity) -> bool:
    return change.get("field") in IDENTIFYING_FIELDS or any(_mentions(change.get(side), identity) for side in ("before", "after"))


def _mentions(value: object, identity: Identity) -> bool:
    return isinstance(value, str) and mentions_patient(value, identity)


def _erased_files(patient: Patient) -> tuple[Any, ...]:
    """The record's own files, and panel files still held for the centre's review (they may show the name burned in)."""
    return (Document.patient_id == patient.id, or_(Document.panel_id.is_(None), Document.status == HELD))


def _delete_record_documents(patient: Patient) -> set[str]:
    """Step: the files kept in the record at the centre (outside any panel) go; their contents' hashes are returned."""
    place = _erased_files(patient)
    contents = set(db.session.scalars(select(Document.content_hash).where(*place)))
    db.session.execute(delete(Document).where(*place))
    return contents
