"""Moving a patient's record to another centre of the ERN (bpmn/transfer.bpmn): the patient's centre asks, with a
reason; a health professional of the receiving centre accepts or declines. On acceptance the record, its identifying
data and its documents move; the CPMS ID and the panels stay; the old centre no longer sees the identifying data."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from app import security
from app.accounts.models import CLINICAL_ROLES
from app.accounts.models import Membership
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
from app.i18n import N_
from app.meetings.models import Meeting
from app.notifications.services import notify
from app.organisations.models import Centre
from app.panels.models import Outcome
from app.panels.models import Panel
from app.panels.models import TimelineEntry
from app.patients import history
from app.patients import privacy
from app.patients import queries
from app.patients.models import Patient
from app.patients.models import PatientTransfer
from app.patients.models import TransferStatus
from app.tasks.models import OpenTask
from app.workflows import store
from app.workflows.models import ProcessInstance

MAX_REASON = 1000


def receiving_centres(patient: Patient) -> list[Centre]:
    """The hospitals of the patient's ERN a record may move to (not its own, not a guest virtual centre)."""
    return [c for c in patient.ern.centres if c.id != patient.centre_id and not c.is_guest]


def pending(patient_id: int) -> PatientTransfer | None:
    return db.session.scalar(
        select(PatientTransfer).where(PatientTransfer.patient_id == patient_id, PatientTransfer.status == TransferStatus.REQUESTED)
    )


def request_transfer(actor: User, patient_id: int, to_centre_id: int | None, reason: str, origin: RequestInfo) -> PatientTransfer:
    """The patient's centre asks another centre of the ERN to take the record over; audited."""
    with transaction():
        patient = queries.visible_patient(actor, patient_id)
        if patient is None:
            raise NotFound(_("No such patient."))
        if not security.can_change_record(actor, patient):
            raise NotAllowed(_("Only the health professionals of the patient's centre ask for a transfer."))
        db.session.refresh(patient, with_for_update=True)  # two requests at once: the second waits, then finds the first
        if to_centre_id == patient.centre_id:
            raise InvalidInput(_("The patient is at this centre already: choose the centre that should take the record over."))
        centre = next((c for c in receiving_centres(patient) if c.id == to_centre_id), None)
        if centre is None:
            raise InvalidInput(_("Choose a centre of %(ern)s to transfer the patient to.", ern=patient.ern.code))
        if pending(patient.id) is not None:
            raise Conflict(_("A transfer of this patient already waits for an answer."))
        text = (reason or "").strip()
        if not text or len(text) > MAX_REASON or any(ord(c) < 32 and c not in "\n\r\t" for c in text):
            raise InvalidInput(_("Say why, in plain text of at most %(n)d characters.", n=MAX_REASON))
        # The receiving centre reads the reason before the record is theirs: it must not identify the patient yet.
        privacy.refuse_identifying(patient, {"reason": text})
        transfer = PatientTransfer(
            patient_id=patient.id, from_centre_id=patient.centre_id, to_centre_id=centre.id, reason=text, requested_by_id=actor.id
        )
        db.session.add(transfer)
        db.session.flush()
        store.start(
            "transfer",
            subject_type="transfer",
            subject_id=transfer.id,
            ern_id=patient.ern_id,
            centre_id=centre.id,
            data={"transfer_id": transfer.id},
            actor=actor,
        )
        moving = [{"field": "centre", "before": patient.centre.code, "after": centre.code}]
        history.record(patient, "transfer_requested", actor, moving, text)
        notify(
            _clinicians(centre.id, patient.ern_id),
            N_("%(centre)s asks your centre to take over patient %(patient)s: accept or decline."),
            "/tasks/",
            subject=N_("A patient transfer waits for your answer"),
            centre=patient.centre.code,
            patient=patient.cpms_id,
        )
        audit.record(actor, "patient.transfer_requested", "patient", patient.id, origin, to_centre=centre.code)
    return transfer


def _clinicians(centre_id: int, ern_id: int) -> list[User]:
    query = (
        select(User)
        .join(Membership)
        .where(Membership.centre_id == centre_id, Membership.ern_id == ern_id, Membership.role.in_(CLINICAL_ROLES))
    )
    return list(db.session.scalars(query.distinct().order_by(User.id)))


# Workflow steps (called inside the task and effect transactions; they only flush) -----------------------------


def load(transfer_id: int) -> PatientTransfer | None:
    return db.session.get(PatientTransfer, transfer_id)


def record_decision(actor: User, instance: ProcessInstance, answers: dict[str, Any]) -> dict[str, Any]:
    """The receiving centre's answer; the process moves the record (or tells the patient's centre) next."""
    transfer = _transfer(instance.subject_id)
    if transfer.status != TransferStatus.REQUESTED:
        raise Conflict(_("This transfer was answered already."))
    transfer.decided_by_id, transfer.decided_at = actor.id, utcnow()
    transfer.comment = str(answers.get("comment") or "")
    return {"decision": answers["decision"]}


def transfer_patient(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """Effect: the record, its identifying data and documents move; its panels and their open work follow the patient."""
    transfer = _transfer(params["transfer_id"])
    patient = transfer.patient
    if patient.centre_id != transfer.from_centre_id:
        raise LookupError(f"patient {patient.id} is no longer at the centre that asked for transfer {transfer.id}")
    old, new = transfer.from_centre, transfer.to_centre
    transfer.status = TransferStatus.ACCEPTED
    # The CPMS ID keeps the old centre's number; the (centre, ERN, sequence) slot stays the old centre's for good.
    patient.centre_id, patient.sequence = new.id, None
    panels = list(db.session.scalars(select(Panel).where(Panel.patient_id == patient.id)))
    panel_ids = [panel.id for panel in panels]
    if panel_ids:
        db.session.execute(update(Panel).where(Panel.id.in_(panel_ids)).values(centre_id=new.id))
        # The panels' own processes, their meetings', and the follow-ups of their outcomes (the new centre answers them).
        outcomes = select(Outcome.id).where(Outcome.panel_id.in_(panel_ids))
        meetings = select(Meeting.id).where(Meeting.panel_id.in_(panel_ids))
        instances = select(ProcessInstance.id).where(
            or_(
                and_(ProcessInstance.subject_type == "panel", ProcessInstance.subject_id.in_(panel_ids)),
                and_(ProcessInstance.subject_type == "outcome", ProcessInstance.subject_id.in_(outcomes)),
                and_(ProcessInstance.subject_type == "meeting", ProcessInstance.subject_id.in_(meetings)),
            )
        )
        db.session.execute(update(ProcessInstance).where(ProcessInstance.id.in_(instances)).values(centre_id=new.id))
        db.session.execute(update(OpenTask).where(OpenTask.instance_id.in_(instances)).values(centre_id=new.id))
        # A follow-up given to the guest who enrolled the patient is the new centre's now.
        follow_ups = select(ProcessInstance.id).where(ProcessInstance.subject_type == "outcome", ProcessInstance.subject_id.in_(outcomes))
        db.session.execute(update(ProcessInstance).where(ProcessInstance.id.in_(follow_ups)).values(assignee_id=None))
        db.session.execute(update(OpenTask).where(OpenTask.instance_id.in_(follow_ups)).values(assignee_id=None))
    moved = [{"field": "centre", "before": old.code, "after": new.code}]
    history.record(patient, "transferred", transfer.decided_by, moved, transfer.reason)
    line, values = N_("The patient's record moved from %(old)s to %(new)s."), {"old": old.code, "new": new.code}
    for panel in panels:
        db.session.add(TimelineEntry(panel_id=panel.id, kind="transfer", text=line % values, message=line, params=values))
    told = [transfer.requested_by, transfer.decided_by, *(panel.lead for panel in panels if panel.lead_id)]
    moved_text = N_("Patient %(patient)s moved from %(old)s to %(new)s.")
    notify(told, moved_text, f"/patients/{patient.id}", patient=patient.cpms_id, old=old.code, new=new.code)


def decline_transfer(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """Effect: the record stays; the patient's centre learns why on the record."""
    transfer = _transfer(params["transfer_id"])
    transfer.status = TransferStatus.DECLINED
    history.record(transfer.patient, "transfer_declined", transfer.decided_by, [], transfer.comment)
    notify(
        [transfer.requested_by],
        N_("%(centre)s declined the transfer of patient %(patient)s; the reason is on the record."),
        f"/patients/{transfer.patient_id}",
        centre=transfer.to_centre.code,
        patient=transfer.patient.cpms_id,
    )


def confirm_decision(transfer_id: int | None, answers: dict[str, Any]) -> str | None:
    transfer = db.session.get(PatientTransfer, transfer_id) if transfer_id is not None else None
    if transfer is None:
        return None
    if answers.get("decision") == "accept":
        return _("Patient %(cpms_id)s is now a patient of your centre.", cpms_id=transfer.patient.cpms_id)
    return _("Transfer of patient %(cpms_id)s declined; the patient's centre was told.", cpms_id=transfer.patient.cpms_id)


def _transfer(transfer_id: Any) -> PatientTransfer:
    transfer = db.session.get(PatientTransfer, int(transfer_id)) if transfer_id is not None else None
    if transfer is None:
        raise LookupError(f"no patient transfer {transfer_id}")
    return transfer
