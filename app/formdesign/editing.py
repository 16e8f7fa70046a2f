"""Editing steps on a form definition (plain JSON data), as the ERN manager clicks them.

Stateless: the page posts the whole definition with one action (a button's value such as
"move_field:2:3:up") and the fields it needs; the result is checked and shown again. Nothing here
touches the database.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from app.errors import InvalidInput
from app.i18n import DEFAULT_LANGUAGE
from app.i18n import LANGUAGES
from app.i18n import catalogue_of
from app.translation_sources import form_texts

FIELD_TYPES_OFFERED = ("text", "long_text", "date", "partial_date", "yes_no", "single_choice", "multiple_choice", "number")


def _index(value: str, items: list[Any], what: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) >= len(items):
        raise InvalidInput(_("That %(what)s no longer exists; reload the page.", what=what))
    return int(value)


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")[:50] or "item"
    if not base[0].isalpha():
        base = f"x_{base}"
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}_{number}", number + 1
    return slug


def _choices(text: str) -> list[dict[str, str]]:
    labels = [line.strip() for line in text.splitlines() if line.strip()][:100]
    taken: set[str] = set()
    choices = []
    for label in labels:
        value = _slug(label, taken)
        taken.add(value)
        choices.append({"value": value, "label": label[:200]})
    return choices


@dataclass(frozen=True)
class Wording:
    """One text of the form beside its translation: the ERN's own, else the shipped catalogue's; missing if neither."""

    text: str
    own: str
    shipped: str

    @property
    def missing(self) -> bool:
        return not (self.own or self.shipped)


def texts_of(definition: dict[str, Any]) -> list[str]:
    """Every text of the definition people read, once each, in form order (its translations aside)."""
    return list(dict.fromkeys(form_texts({key: value for key, value in definition.items() if key != "translations"})))


def _translations_of(definition: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The definition's wordings, as far as they have the right shape (the page is drawn for a refused text too)."""
    found = definition.get("translations")
    if not isinstance(found, dict):
        return {}
    return {
        language: {text: wording for text, wording in by_text.items() if isinstance(text, str) and isinstance(wording, str)}
        for language, by_text in found.items()
        if isinstance(language, str) and isinstance(by_text, dict)
    }


def wordings(definition: dict[str, Any], language: str) -> list[Wording]:
    own = _translations_of(definition).get(language, {})
    shipped = catalogue_of(language)
    return [Wording(text, own.get(text, ""), shipped(text)) for text in texts_of(definition)]


def missing_by_language(definition: dict[str, Any]) -> dict[str, int]:
    """How many texts have no translation (neither the ERN's nor the catalogue's), per language."""
    return {language: sum(w.missing for w in wordings(definition, language)) for language in LANGUAGES if language != DEFAULT_LANGUAGE}


def _translate(result: dict[str, Any], language: str, values: Mapping[str, str]) -> dict[str, Any]:
    """The ERN's wording in ``language``: ``translation-<n>`` is the n-th text's; empty leaves the catalogue's (or none)."""
    if language not in LANGUAGES or language == DEFAULT_LANGUAGE:
        raise InvalidInput(_("Choose a language from the list."))
    own: dict[str, str] = {}
    for number, text in enumerate(texts_of(result)):
        typed = " ".join(values.get(f"translation-{number}", "").split())[:8000]
        if typed and typed != catalogue_of(language)(text):
            own[text] = typed
    translations: dict[str, Any] = {key: value for key, value in _translations_of(result).items() if key != language}
    if own:
        translations[language] = own
    if translations:
        result["translations"] = translations
    else:
        result.pop("translations", None)
    return result


def apply(definition: dict[str, Any], action: str, values: Mapping[str, str]) -> dict[str, Any]:
    """The definition after one editing step; InvalidInput (with a message) when the step cannot be done."""
    result = copy.deepcopy(definition)
    sections: list[dict[str, Any]] = result.get("sections", [])
    verb, *args = action.split(":")
    if verb == "translate":
        return _translate(result, args[0] if args else "", values)
    if verb == "show":  # another language's wording beside the English: nothing changes
        return result
    if verb == "add_section":
        title = values.get("new_section_title", "").strip()
        if not title:
            raise InvalidInput(_("Give the new section a title."))
        sections.append({"id": _slug(title, {s["id"] for s in sections}), "title": title[:200], "fields": []})
        return result
    section_index = _index(args[0] if args else "", sections, _("section"))
    section = sections[section_index]
    fields: list[dict[str, Any]] = section.setdefault("fields", [])
    if verb == "rename_section":
        section["title"] = values.get(f"section_title-{section_index}", section["title"]).strip()[:200] or section["title"]
    elif verb == "move_section":
        _move(sections, section_index, args[1] if len(args) > 1 else "")
    elif verb == "remove_section":
        sections.pop(section_index)
    elif verb == "add_field":
        result = _add_field(result, section_index, values)
    else:
        field_index = _index(args[1] if len(args) > 1 else "", fields, _("field"))
        field = fields[field_index]
        key = f"{section_index}-{field_index}"
        if verb == "relabel_field":
            field["label"] = values.get(f"field_label-{key}", field["label"]).strip()[:200] or field["label"]
        elif verb == "toggle_required":
            field["required"] = not field.get("required", False)
        elif verb == "move_field":
            _move(fields, field_index, args[2] if len(args) > 2 else "")
        elif verb == "remove_field":
            fields.pop(field_index)
        elif verb == "set_choices":
            if field.get("type") not in ("single_choice", "multiple_choice"):
                raise InvalidInput(_("Only choice fields have choices."))
            field["choices"] = _choices(values.get(f"field_choices-{key}", ""))
        else:
            raise InvalidInput(_("Unknown editing step."))
    return result


def _move(items: list[Any], index: int, direction: str) -> None:
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]


def _add_field(definition: dict[str, Any], section_index: int, values: Mapping[str, str]) -> dict[str, Any]:
    label = values.get(f"new_field_label-{section_index}", "").strip()[:200]
    kind = values.get(f"new_field_type-{section_index}", "text")
    if not label:
        raise InvalidInput(_("Give the new field a label."))
    if kind not in FIELD_TYPES_OFFERED:
        raise InvalidInput(_("Choose a field type from the list."))
    taken = {f["name"] for s in definition["sections"] for f in s.get("fields", [])}
    field: dict[str, Any] = {"name": _slug(label, taken), "label": label, "type": kind}
    if values.get(f"new_field_required-{section_index}") == "on":
        field["required"] = True
    if kind in ("single_choice", "multiple_choice"):
        field["choices"] = _choices(values.get(f"new_field_choices-{section_index}", "")) or [{"value": "yes", "label": "Yes"}]
    definition["sections"][section_index]["fields"].append(field)
    return definition
