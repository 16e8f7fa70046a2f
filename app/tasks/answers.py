"""Checking and cleaning a form's answers against its definition: the one place form input is validated."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _

from app.tasks.form_definitions import FieldDefinition
from app.tasks.form_definitions import FormDefinition
from app.terminology.catalogue import catalogue

_FULL_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})/(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")
_EARLIEST_YEAR = 1800
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


class AnswerError(ValueError):
    """An answer that does not fit its field; the message is shown next to the field."""


def parse_date(text: str) -> date:
    """A full date entered as dd/mm/yyyy."""
    match = _FULL_DATE.match(text.strip())
    if not match:
        raise AnswerError(_("Enter the date as dd/mm/yyyy, for example 05/02/1976."))
    day, month, year = (int(part) for part in match.groups())
    _check_year(year)
    try:
        return date(year, month, day)
    except ValueError:
        raise AnswerError(_("%(text)s is not a real date.", text=text.strip())) from None


def _check_year(year: int) -> None:
    if year < _EARLIEST_YEAR:
        raise AnswerError(_("Enter a year from %(year)d on.", year=_EARLIEST_YEAR))


def parse_partial_date(text: str) -> str:
    """A date that may be partial: dd/mm/yyyy, mm/yyyy or yyyy; returned as yyyy-mm-dd, yyyy-mm or yyyy."""
    text = text.strip()
    if _FULL_DATE.match(text):
        return parse_date(text).isoformat()
    match = _MONTH_YEAR.match(text)
    if match:
        month, year = int(match.group(1)), int(match.group(2))
        _check_year(year)
        if not 1 <= month <= 12:
            raise AnswerError(_("%(text)s is not a real month.", text=text))
        return f"{year:04d}-{month:02d}"
    if _YEAR.match(text):
        _check_year(int(text))
        return text
    raise AnswerError(_("Enter the date as dd/mm/yyyy, mm/yyyy or yyyy."))


def _check_not_future(value: date | str, today: date) -> None:
    latest = value if isinstance(value, date) else _earliest_day(value)
    if latest > today:
        raise AnswerError(_("This date cannot be in the future."))


def _earliest_day(partial: str) -> date:
    parts = [int(p) for p in partial.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def is_empty(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, Mapping):
        return all(is_empty(value) for value in raw.values())
    if isinstance(raw, (list, tuple)):
        if raw and all(isinstance(item, Mapping) for item in raw):
            return all(is_empty(item) for item in raw)
        return not any(str(item).strip() for item in raw)
    return not str(raw).strip()


def clean_value(definition: FieldDefinition, raw: Any, today: date) -> Any:
    """Convert one non-empty raw answer to its value, or raise AnswerError with a message for the user."""
    kind = definition.type
    if kind == "group":
        return _entries(definition, raw, today)
    if kind == "multiple_choice":
        values = [str(item) for item in (raw if isinstance(raw, (list, tuple)) else [raw]) if str(item).strip()][:100]
        allowed = {value for value, _label in definition.choices}
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise AnswerError(_("Choose from the options given."))
        return values
    text = str(raw).strip()
    if any(unicodedata.category(character) == "Cc" and character not in _ALLOWED_CONTROLS for character in text):
        raise AnswerError(_("Remove the control characters from this answer."))
    if kind == "phenotype":
        return _phenotype(text)
    if len(text) > definition.max_length:
        raise AnswerError(_("Use at most %(n)d characters.", n=definition.max_length))
    value: Any = text
    if kind == "date":
        value = parse_date(text)
    elif kind == "partial_date":
        value = parse_partial_date(text)
    elif kind in ("yes_no", "single_choice"):
        if text not in {choice for choice, _label in definition.choices}:
            raise AnswerError(_("Choose one of the options given."))
    elif kind == "coded_term":
        value = _coded(text, definition.terminologies)
    elif kind == "number":
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise AnswerError(_("Enter a number.")) from None
        if "_" in text or not math.isfinite(value):
            raise AnswerError(_("Enter a number."))
        if definition.minimum is not None and value < definition.minimum:
            raise AnswerError(_("Enter a number of at least %(n)s.", n=definition.minimum))
        if definition.maximum is not None and value > definition.maximum:
            raise AnswerError(_("Enter a number of at most %(n)s.", n=definition.maximum))
    if definition.not_future and isinstance(value, (date, str)) and kind in ("date", "partial_date"):
        _check_not_future(value, today)
    if definition.must_equal is not None and text != definition.must_equal:
        raise AnswerError(definition.must_equal_message or _("This answer is required."))
    return value


def _entries(definition: FieldDefinition, raw: Any, today: date) -> list[dict[str, Any]]:
    """The filled entries of a repeatable group, each cleaned like a small form; blank entries are dropped."""
    entries = [entry for entry in (raw if isinstance(raw, (list, tuple)) else []) if isinstance(entry, Mapping) and not is_empty(entry)]
    if len(entries) > definition.max_entries:
        raise AnswerError(_("Use at most %(n)d entries.", n=definition.max_entries))
    cleaned, problems = [], []
    for number, entry in enumerate(entries, start=1):
        values: dict[str, Any] = {}
        for sub in definition.entry_fields:
            try:
                value = check_field(sub, entry.get(sub.name), entry, today)
            except AnswerError as error:
                problems.append(f"{definition.entry_label or definition.label} {number}, {sub.label}: {error}")
                continue
            values[sub.name] = value.isoformat() if isinstance(value, date) else value
        cleaned.append(values)
    if problems:
        raise AnswerError("; ".join(problems[:5]))
    return cleaned


_EXCLUDED = ("not ", "excluded ", "excluded:", "-", "!")
MAX_PHENOTYPE_TERMS = 300


def _coded(text: str, systems: tuple[str, ...]) -> dict[str, str]:
    """A code typed or picked ("ORPHA:85443" or "ORPHA:85443 — AL amyloidosis") → the stored term."""
    code = text.split("—")[0].strip()
    found = [term for system in systems if (term := catalogue().lookup(system, code)) is not None]
    if not found:
        raise AnswerError(
            _(
                "%(code)s is not a known %(systems)s code: pick a term from the list, or type its code.",
                code=code[:40],
                systems=" / ".join(systems),
            )
        )
    return found[0].as_value()


def _phenotype(text: str) -> list[dict[str, Any]]:
    """One HPO term per line; a line starting with "not" marks the feature as excluded (absent)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_PHENOTYPE_TERMS:
        raise AnswerError(_("Use at most %(n)d terms.", n=MAX_PHENOTYPE_TERMS))
    terms, unknown = {}, []
    for line in lines:
        folded = line.casefold()
        prefix = next((p for p in _EXCLUDED if folded.startswith(p)), "")
        code = line[len(prefix) :].split("—")[0].strip()
        term = catalogue().lookup("HPO", code)
        if term is None:
            unknown.append(code[:40])
            continue
        terms[term.code] = {**term.as_value(), "excluded": bool(prefix)}
    if unknown:
        raise AnswerError(_("Not HPO codes: %(codes)s. Pick terms from the list, one per line.", codes=", ".join(unknown[:5])))
    return list(terms.values())


def is_visible(definition: FieldDefinition, raw_answers: Mapping[str, Any]) -> bool:
    condition = definition.visible_if
    if condition is None:
        return True
    return condition.holds(str(raw_answers.get(condition.field, "") or "").strip())


def check_field(definition: FieldDefinition, raw: Any, raw_answers: Mapping[str, Any], today: date) -> Any:
    """The cleaned value of one field (None when empty or hidden); AnswerError when it does not fit."""
    if not is_visible(definition, raw_answers):
        return None
    if is_empty(raw):
        if definition.required:
            raise AnswerError(_("%(label)s is required.", label=definition.label))
        return None
    return clean_value(definition, raw, today)


def clean_answers(form: FormDefinition, raw_answers: Mapping[str, Any], today: date) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Cleaned answers for every field, and the messages of those that do not fit, by field name."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for definition in form.fields:
        try:
            cleaned[definition.name] = check_field(definition, raw_answers.get(definition.name), raw_answers, today)
        except AnswerError as error:
            errors[definition.name] = [str(error)]
    return cleaned, errors


WRITTEN = ("text", "long_text", "date", "partial_date")


def written_answers(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers people write (text and dates, also inside repeatable entries), by field, except identifying fields:
    what could name the patient where only pseudonymised data belong. Codes and choices come from lists."""
    written: dict[str, Any] = {}
    for definition in form.fields:
        value = answers.get(definition.name)
        if definition.identifying or value in (None, "", []):
            continue
        if definition.type in WRITTEN:
            written[definition.name] = value
        elif definition.type == "group":
            kinds = {sub.name for sub in definition.entry_fields if sub.type in WRITTEN}
            written[definition.name] = [{name: text for name, text in entry.items() if name in kinds} for entry in value]
    return written
