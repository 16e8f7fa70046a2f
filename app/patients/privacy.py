"""Text written outside the centre section (panels, their documents) must not identify the patient: a text that holds
their name, birth date or record label is refused with a message saying what to remove, before anything is stored."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _

from app.errors import InvalidInput
from app.identifying import BIRTH_DATE
from app.identifying import NAME
from app.identifying import what_identifies
from app.patients.models import Patient


def problem_with(text: Any, patient: Patient) -> str:
    """Why ``text`` (a string, a date, or entries of them) would identify the patient outside their centre, or ''."""
    for value in _texts(text):
        kind = what_identifies(value, patient.identity())
        if kind == NAME:
            return _(
                "This would identify the patient (it holds their name): panel members outside the patient's centre read it. Remove it."
            )
        if kind == BIRTH_DATE:
            return _(
                "This would identify the patient (it holds their birth date): panel members outside the patient's centre read it. "
                "Remove it, or give only the month and year (mm/yyyy) or the year."
            )
        if kind:
            return _("This would identify the patient (it holds their record label or an identifier): remove it.")
    return ""


def refuse_identifying(patient: Patient, texts: Mapping[str, Any]) -> None:
    """InvalidInput (by field) when any of ``texts`` would identify the patient outside their centre."""
    errors = {name: [problem] for name, value in texts.items() if (problem := problem_with(value, patient))}
    if errors:
        raise InvalidInput(_("Some answers identify the patient: remove what identifies them."), errors)


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, date):
        return [value.isoformat()]
    if isinstance(value, Mapping):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _texts(item)]
    return []
