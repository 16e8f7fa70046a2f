"""A patient record's history: each change with who, when, the earlier and the new values. Centre section only.

Values are kept as the record holds them (text, ISO dates, yes/no) and put in words when shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.database import db
from app.i18n import display_date
from app.patients.models import Patient
from app.patients.models import PatientChange

# The record's fields a change may touch, with the words the record page uses for them.
FIELD_LABELS = {
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "gender": _l("Gender"),
    "date_of_birth": _l("Date of birth"),
    "record_label": _l("Record label"),
    "enrolled_on": _l("Date enrolled"),
    "consent_care": _l("Consent for care"),
    "consent_care_date": _l("Date of consent for care"),
    "consent_registry": _l("Consent for ERN databases / registries"),
    "consent_registry_date": _l("Date of registry consent"),
    "registry_name": _l("Registry name"),
    "consent_research": _l("Consent to be contacted for research"),
    "consent_research_date": _l("Date of research consent"),
    "frozen": _l("Frozen"),
    "centre": _l("Centre"),
}

KIND_LABELS = {
    "edited": _l("Record edited"),
    "frozen": _l("Record frozen"),
    "unfrozen": _l("Record unfrozen"),
    "transfer_requested": _l("Transfer requested"),
    "transfer_declined": _l("Transfer declined"),
    "transferred": _l("Record transferred"),
    "erased": _l("Identifying data erased"),
}


def stored(value: Any) -> Any:
    """A field's value as the history keeps it (JSON)."""
    return value.isoformat() if isinstance(value, date | datetime) else value


def record(patient: Patient, kind: str, actor: User | None, changes: list[dict[str, Any]] | None = None, note: str = "") -> None:
    """Step (flushes only): one entry of the record's history."""
    db.session.add(
        PatientChange(patient_id=patient.id, kind=kind, changes=changes or [], note=note, changed_by_id=actor.id if actor else None)
    )
    db.session.flush()


def differences(patient: Patient, new_values: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields whose new value differs from the record's, each with the earlier and the new value."""
    return [
        {"field": name, "before": stored(getattr(patient, name)), "after": stored(value)}
        for name, value in new_values.items()
        if getattr(patient, name) != value
    ]


@dataclass(frozen=True)
class ShownChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Entry:
    what: str
    at: datetime
    by: str
    note: str
    changes: list[ShownChange]


def entries(patient_id: int) -> list[Entry]:
    """The record's history, newest first, in words."""
    rows = db.session.scalars(
        select(PatientChange)
        .options(joinedload(PatientChange.changed_by))
        .where(PatientChange.patient_id == patient_id)
        .order_by(PatientChange.changed_at.desc(), PatientChange.id.desc())
    )
    return [
        Entry(
            what=str(KIND_LABELS.get(row.kind, row.kind)),
            at=row.changed_at,
            by=row.changed_by.full_name if row.changed_by else "",
            note=row.note,
            changes=[
                ShownChange(str(FIELD_LABELS.get(c["field"], c["field"])), _words(c.get("before")), _words(c.get("after")))
                for c in row.changes
            ],
        )
        for row in rows
    ]


def _words(value: Any) -> str:
    if value is True:
        return str(_l("Yes"))
    if value is False:
        return str(_l("No"))
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return display_date(date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)
