"""Domain steps of the enrolment process: the form's answers become a patient; the CPMS ID is assigned.

Called from inside services' transactions (task completion, effect handlers); they only flush.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.accounts.models import User
from app.database import db
from app.patients.models import CpmsCounter
from app.patients.models import Patient
from app.workflows.models import ProcessInstance

_RECORD_LABEL_LENGTH = 200
_GENDER_LETTER = {"female": "F", "male": "M", "other": "O", "unknown": "U"}


def record_enrolment(actor: User, instance: ProcessInstance, answers: dict[str, Any]) -> dict[str, Any]:
    """Create the patient from the enrolment form; hand only the patient's id to the process."""
    assert instance.centre_id is not None and instance.ern_id is not None
    patient = Patient(
        centre_id=instance.centre_id,
        ern_id=instance.ern_id,
        first_name=answers["first_name"],
        last_name=answers["last_name"],
        gender=answers["gender"],
        date_of_birth=answers["date_of_birth"],
        record_label=answers.get("record_label") or "",
        enrolled_on=answers["enrolled_on"],
        consent_care=answers["consent_care"] == "yes",
        consent_care_date=answers["consent_care_date"],
        consent_registry=answers.get("consent_registry") == "yes",
        consent_registry_date=answers.get("consent_registry_date"),
        registry_name=answers.get("registry_name") or "",
        consent_research=answers.get("consent_research") == "yes",
        consent_research_date=answers.get("consent_research_date"),
        enrolled_by_id=actor.id,
    )
    if not patient.record_label:
        patient.record_label = standard_label(patient.first_name, patient.last_name, patient.date_of_birth, patient.gender)
    patient.refresh_search_text()
    db.session.add(patient)
    db.session.flush()
    instance.move_to_subject("patient", patient.id)
    return {"patient_id": patient.id}


def standard_label(first_name: str, last_name: str, born: date, gender: str) -> str:
    """The record label a patient gets when none is typed: Addel, Roger DOB: 05/02/1976 (M)."""
    suffix = f" DOB: {born.day:02d}/{born.month:02d}/{born.year:04d} ({_GENDER_LETTER[gender]})"
    return f"{last_name}, {first_name}"[: _RECORD_LABEL_LENGTH - len(suffix)] + suffix


def assign_cpms_id(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """Effect handler: give the patient the next CPMS sequence number of their centre and ERN."""
    patient = db.session.get(Patient, int(params["patient_id"]))
    if patient is None:
        raise LookupError(f"assign_cpms_id: no patient {params['patient_id']}")
    patient.assign_cpms_id(_next_sequence(patient.centre_id, patient.ern_id))


def _next_sequence(centre_id: int, ern_id: int) -> int:
    # The counter row is locked until the transaction ends, so concurrent enrolments queue here and
    # numbers are gap-free: a rolled-back enrolment gives its number back.
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(CpmsCounter).values(centre_id=centre_id, ern_id=ern_id, last_sequence=0).on_conflict_do_nothing())
    counter = db.session.scalars(
        select(CpmsCounter)
        .where(CpmsCounter.centre_id == centre_id, CpmsCounter.ern_id == ern_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    counter.last_sequence += 1
    db.session.flush()
    return counter.last_sequence


def confirm_enrolment(patient_id: int | None, answers: dict[str, Any]) -> str | None:
    """The confirmation names the new patient by their CPMS ID (never by name: it may be read over a shoulder)."""
    patient = db.session.get(Patient, patient_id) if patient_id is not None else None
    if patient is None or not patient.cpms_id:
        return None
    return _("Patient %(cpms_id)s enrolled.", cpms_id=patient.cpms_id)
