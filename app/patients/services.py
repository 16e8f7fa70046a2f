"""Patient use cases: each is one transaction."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

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
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.patients import history
from app.patients import queries
from app.patients.models import Patient
from app.tasks import queries as task_queries
from app.workflows import store


def start_enrolment(actor: User, centre_id: int, ern_id: int, origin: RequestInfo) -> str:
    """Open the enrolment form for a new patient of the actor's centre in an ERN; returns the form's task id."""
    with transaction():
        centre = db.session.get(Centre, centre_id)
        ern = db.session.get(Ern, ern_id)
        if centre is None or ern is None:
            raise NotFound(_("No such centre or ERN."))
        if not security.can_enrol(actor, centre_id, ern_id):
            raise NotAllowed(_("You can enrol patients only at your own centre, in an ERN you belong to there."))
        instance, advance = store.start(
            "enrolment",
            subject_type="enrolment",
            subject_id=None,
            ern_id=ern_id,
            centre_id=centre_id,
            data={},
            actor=actor,
            # In a guest virtual centre colleagues are strangers: the form is for its starter only.
            assignee=actor if centre.is_guest else None,
        )
        audit.record(actor, "enrolment.started", "process_instance", instance.id, origin, centre=centre.code, ern=ern.code)
    return advance.open_tasks[0].task_id


def discard_enrolment(actor: User, engine_task_id: str, origin: RequestInfo) -> None:
    """Abandon an enrolment whose form was never submitted: the process is cancelled, nothing is kept."""
    with transaction():
        task = task_queries.open_task(engine_task_id, lock=True)
        if task is None or task.instance.process_id != "enrolment":
            raise NotFound(_("No enrolment waits for this form."))
        if not security.can_complete(actor, task):
            raise NotAllowed(_("Only a colleague of the patient's centre can discard this enrolment."))
        instance = task.instance
        store.cancel(instance, actor)
        audit.record(actor, "enrolment.discarded", "process_instance", instance.id, origin)


def possible_duplicates(
    actor: User, engine_task_id: str, names: tuple[str, str], birth_date: date | None, origin: RequestInfo
) -> list[Patient]:
    """While an enrolment form is filled in: the patients already enrolled at its centre, in its ERN, with the same
    names and birth date. Only whoever may fill in that form asks; the lookup is audited (without the names)."""
    with transaction():
        task = task_queries.open_task(engine_task_id)
        if task is None or task.instance.process_id != "enrolment":
            raise NotFound(_("No enrolment waits for this form."))
        if not security.can_complete(actor, task):
            raise NotAllowed(_("Only a colleague of the patient's centre can fill in this enrolment."))
        if birth_date is None or not all(name.strip() for name in names):
            return []
        instance = task.instance
        assert instance.centre_id is not None and instance.ern_id is not None  # an enrolment is started at a centre, in an ERN
        found = queries.possible_duplicates(actor, instance.centre_id, instance.ern_id, names, birth_date)
        audit.record(actor, "enrolment.duplicates_checked", "process_instance", instance.id, origin, found=[p.id for p in found])
    return found


def list_patients(
    actor: User,
    centre_id: int | None,
    origin: RequestInfo,
    *,
    search: str = "",
    frozen: bool | None = None,
    sort: str = "last_name",
    descending: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> queries.Page:
    """A page of the centre's patients with their identifying data; the read is audited."""
    with transaction():
        result = queries.patients_for_centre(
            actor, centre_id, search=search, frozen=frozen, sort=sort, descending=descending, page=page, per_page=per_page
        )
        audit.record(
            actor,
            "patients.listed",
            "centre",
            centre_id or "",
            origin,
            page=result.page,
            shown=[p.id for p in result.items],
            searched=bool(search),
        )
    return result


def view_patient(actor: User, patient_id: int, origin: RequestInfo) -> Patient:
    """A patient's identifying record, for users of their centre only (others get NotFound); audited."""
    with transaction():
        patient = queries.visible_patient(actor, patient_id)
        if patient is None:
            raise NotFound(_("No such patient."))
        audit.record(actor, "patient.viewed", "patient", patient.id, origin)
    return patient


MAX_FREEZE_REASON = 1000


def set_frozen(actor: User, patient_id: int, frozen: bool, reason: str, origin: RequestInfo) -> Patient:
    """Freeze a record (it opens no new panel; its running panels say so) or unfreeze it, with a reason; audited.

    Only the health professionals who may enrol at the patient's centre in its ERN do either."""
    with transaction():
        patient = queries.visible_patient(actor, patient_id)
        if patient is None:
            raise NotFound(_("No such patient."))
        if not security.can_change_record(actor, patient):
            raise NotAllowed(_("Only the health professionals of the patient's centre freeze or unfreeze a record."))
        if patient.frozen == frozen:
            raise Conflict(_("This record is frozen already.") if frozen else _("This record is not frozen."))
        text = (reason or "").strip()
        if not text:
            raise InvalidInput(_("Say why: the reason is kept on the record."))
        if len(text) > MAX_FREEZE_REASON or any(ord(c) < 32 and c not in "\n\r\t" for c in text):
            raise InvalidInput(_("The reason must be plain text of at most %(n)d characters.", n=MAX_FREEZE_REASON))
        change_frozen(patient, frozen, text, actor)
        audit.record(actor, "patient.frozen" if frozen else "patient.unfrozen", "patient", patient.id, origin)
    return patient


def change_frozen(patient: Patient, frozen: bool, reason: str, actor: User) -> None:
    """Step (flushes only): the record is frozen or unfrozen, the reason kept on it and in its history."""
    patient.frozen, patient.frozen_reason = frozen, reason
    patient.frozen_changed_at, patient.frozen_changed_by_id = utcnow(), actor.id
    history.record(patient, "frozen" if frozen else "unfrozen", actor, [{"field": "frozen", "before": not frozen, "after": frozen}], reason)
