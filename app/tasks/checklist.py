"""The section checklist beside a long form: each section empty, in progress or complete, and the
mandatory answers still missing (judged on what is typed, before anything is checked)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.tasks.answers import is_empty
from app.tasks.answers import is_visible
from app.tasks.form_definitions import FormDefinition

EMPTY, IN_PROGRESS, COMPLETE = "empty", "in progress", "complete"


@dataclass(frozen=True)
class SectionState:
    id: str
    title: str
    state: str
    missing: tuple[str, ...]


def section_states(form: FormDefinition, raw_answers: Mapping[str, Any]) -> list[SectionState]:
    states = []
    for section in form.sections:
        visible = [field for field in section.fields if is_visible(field, raw_answers)]
        filled = [field for field in visible if not is_empty(raw_answers.get(field.name))]
        missing = tuple(field.label for field in visible if field.required and is_empty(raw_answers.get(field.name)))
        state = EMPTY if not filled else (IN_PROGRESS if missing else COMPLETE)
        states.append(SectionState(section.id, section.title, state, missing))
    return states
