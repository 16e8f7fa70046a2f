"""The section checklist beside a long form: each section empty, in progress or complete, with the mandatory answers
still missing and the answers to correct, judged on what is typed, as submitting would judge it.

A section is complete when something in it is filled, every mandatory answer of it is there and every answer it holds
is valid (``answers.check_field``). ``section_states`` renders the page; consilium.js keeps the list up to date as
the user types with the same rule, from what ``checklist_rules`` gives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.tasks.answers import AnswerError
from app.tasks.answers import check_field
from app.tasks.answers import is_empty
from app.tasks.answers import is_visible
from app.tasks.form_definitions import FieldDefinition
from app.tasks.form_definitions import FormDefinition

EMPTY, IN_PROGRESS, COMPLETE = "empty", "in progress", "complete"
CODED = ("coded_term", "phenotype")


@dataclass(frozen=True)
class SectionState:
    id: str
    title: str
    state: str
    missing: tuple[str, ...]
    to_correct: tuple[str, ...] = ()


def section_states(form: FormDefinition, raw_answers: Mapping[str, Any], today: date) -> list[SectionState]:
    states = []
    for section in form.sections:
        visible = [field for field in section.fields if is_visible(field, raw_answers)]
        filled = [field for field in visible if not is_empty(raw_answers.get(field.name))]
        missing = tuple(field.label for field in visible if field.required and is_empty(raw_answers.get(field.name)))
        to_correct = tuple(field.label for field in filled if not _valid(field, raw_answers.get(field.name), raw_answers, today))
        state = EMPTY if not filled else (IN_PROGRESS if missing or to_correct else COMPLETE)
        states.append(SectionState(section.id, section.title, state, missing, to_correct))
    return states


def _valid(definition: FieldDefinition, raw: Any, raw_answers: Mapping[str, Any], today: date) -> bool:
    try:
        check_field(definition, raw, raw_answers, today)
    except AnswerError:
        return False
    return True


def checklist_rules(form: FormDefinition, raw_answers: Mapping[str, Any], today: date) -> dict[str, Any]:
    """What the page needs to judge the sections as the server does: each field's checks, today's date where the user
    is, and the coded answers on the page that the server refused (the page checks a code's form, not its existence)."""
    refused: dict[str, str] = {}
    for definition in form.fields:
        raw = raw_answers.get(definition.name)
        if definition.type in CODED and not is_empty(raw) and not _valid(definition, raw, raw_answers, today):
            refused[definition.name] = str(raw)
        for number, entry in enumerate(raw if definition.type == "group" and isinstance(raw, list) else []):
            for sub in definition.entry_fields:
                value = entry.get(sub.name) if isinstance(entry, Mapping) else None
                if sub.type in CODED and not is_empty(value) and not _valid(sub, value, entry, today):
                    refused[f"{definition.name}-{number}-{sub.name}"] = str(value)
    return {
        "today": today.isoformat(),
        "sections": [{"id": section.id, "fields": [_rules(field) for field in section.fields]} for section in form.sections],
        "refused": refused,
    }


def _rules(definition: FieldDefinition) -> dict[str, Any]:
    condition = definition.visible_if
    return {
        "name": definition.name,
        "label": definition.label,
        "type": definition.type,
        "required": definition.required,
        "visibleIf": {"field": condition.field, "values": list(condition.one_of or (condition.equals,))} if condition else None,
        "choices": [value for value, _label in definition.choices],
        "mustEqual": definition.must_equal,
        "notFuture": definition.not_future,
        "maxLength": definition.max_length,
        "minimum": definition.minimum,
        "maximum": definition.maximum,
        "terminologies": list(definition.terminologies),
        "maxEntries": definition.max_entries,
        "entryFields": [_rules(sub) for sub in definition.entry_fields],
    }
