"""A submitted answer as text for people: choices by their label, codes with their label, groups entry by entry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from app.tasks.form_definitions import FieldDefinition

_ISO_DATE = re.compile(r"\d{4}(-\d{2}){0,2}")


def answer_text(field: FieldDefinition, value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, Mapping) and "code" in value:
        return f"{value.get('label', '')} ({value['code']})"
    if field.type == "phenotype" and isinstance(value, list):
        return "; ".join(
            f"{_('excluded') if term.get('excluded') else _('present')}: {term.get('label')} ({term.get('code')})" for term in value
        )
    if field.type == "group" and isinstance(value, list):
        entries = []
        for number, entry in enumerate(value, start=1):
            parts = [
                f"{sub.label}: {answer_text(sub, entry.get(sub.name))}"
                for sub in field.entry_fields
                if entry.get(sub.name) not in (None, "")
            ]
            entries.append(f"{number}. " + "; ".join(parts))
        return "\n".join(entries)
    if field.type in ("date", "partial_date") and isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return "/".join(reversed(value.split("-")))  # as people type it: 05/03/2026, 03/2026, 2026
    if field.choices:
        labels = dict(field.choices)
        if isinstance(value, list):
            return ", ".join(labels.get(item, item) for item in value)
        return labels.get(str(value), str(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
