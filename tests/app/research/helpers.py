"""Released panels for the research tests, made the way users make them (enrolment, consultation form), then
released as after a signed-off, closed panel (tests/app/panels cover the release itself)."""

from __future__ import annotations

from typing import Any

from app.database import db
from app.database import utcnow
from app.panels.models import Panel
from tests import factories

# A patient whose identifying values must never reach a dataset: names, birth date, record label.
CANARY = {"first_name": "Zoltanna", "last_name": "Quibbleworth", "date_of_birth": "17/09/1983", "record_label": "MRN-55731-QX"}
CANARY_SPELLINGS = (
    "Zoltanna",
    "Quibbleworth",
    "MRN-55731-QX",
    "1983-09-17",
    "17/09/1983",
    "17.09.1983",
    "09/17/1983",
    "19830917",
    "17-09-1983",
)


def released_panel(user, centre, ern, *, release: bool = True, patient_values: dict[str, Any] | None = None, **answers: Any) -> int:
    patient = factories.enrol(user, centre, ern, **(patient_values or {}))
    patient.consent_registry = True
    panel_id = factories.open_panel(user, patient, **answers)
    if release:
        db.session.get(Panel, panel_id).released_at = utcnow()
    db.session.commit()
    return panel_id
