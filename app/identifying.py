"""What in a free text identifies a patient: their own values (names, birth date in every spelling, address,
identifiers, phone, place of birth), and, for text that must carry none, any date and anything shaped like an
identifier. Matching is case- and accent-insensitive. No Flask here: DICOM de-identification uses it too."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from functools import lru_cache

from babel.dates import get_month_names

from app.text import fold

# The languages of the ERNs' users (month names are matched in any of them).
LOCALES = ("en", "fr", "de", "it", "es", "nl", "pl", "cs", "pt", "da", "sv", "fi", "hu", "ro", "el", "lt", "lv", "sk", "sl", "hr")
SEPARATOR = r"[\s./\\\-,()]*"
ROMAN_MONTHS = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")  # 13.VII.1931 in central Europe
# Short name parts ("Li", "Le") are still the patient's; other values' short parts ("12", "de") are everyone's.
SHORTEST_NAME_PART = 2
SHORTEST_OTHER_PART = 4


@dataclass(frozen=True)
class Identity:
    """The values that identify one patient, as found in the record and in the data themselves."""

    names: tuple[str, ...] = ()
    birth_dates: tuple[date, ...] = ()
    others: tuple[str, ...] = ()  # addresses, identifiers, phone numbers, places

    def merged(self, other: Identity) -> Identity:
        return Identity(self.names + other.names, self.birth_dates + other.birth_dates, self.others + other.others)


NAME, BIRTH_DATE, OTHER = "name", "birth date", "other"
# Parts of names that are words of every language: "de" alone says nothing about who ("van der Berg" still does by "berg").
PARTICLES = {
    "de",
    "del",
    "della",
    "der",
    "den",
    "des",
    "di",
    "da",
    "das",
    "do",
    "dos",
    "du",
    "la",
    "le",
    "van",
    "von",
    "ten",
    "ter",
    "zu",
    "y",
}


def mentions_patient(text: str, identity: Identity) -> bool:
    """Whether ``text`` holds any of the patient's values (a name part, the birth date in any spelling, an identifier)."""
    pattern = _patient_pattern(identity)
    return pattern is not None and pattern.search(fold(text)) is not None


def what_identifies(text: str, identity: Identity) -> str:
    """Which of the patient's values ``text`` holds: NAME, BIRTH_DATE or OTHER (an address, identifier, phone), or ''."""
    folded = fold(text)
    for kind, pattern in _patterns_by_kind(identity):
        if pattern.search(folded):
            return kind
    return ""


@lru_cache(maxsize=256)
def _patterns_by_kind(identity: Identity) -> tuple[tuple[str, re.Pattern[str]], ...]:
    parts = (
        (NAME, Identity(names=identity.names)),
        (BIRTH_DATE, Identity(birth_dates=identity.birth_dates)),
        (OTHER, Identity(others=identity.others)),
    )
    return tuple((kind, pattern) for kind, only in parts if (pattern := _patient_pattern(only)) is not None)


def doubtful(text: str, identity: Identity) -> bool:
    """Whether ``text`` may identify anyone: the patient's values, any date, or anything shaped like an identifier."""
    folded = fold(text)
    return any_date().search(folded) is not None or identifier_like().search(folded) is not None or mentions_patient(text, identity)


@lru_cache(maxsize=256)
def _patient_pattern(identity: Identity) -> re.Pattern[str] | None:
    parts: set[str] = set()
    numbers: set[str] = set()
    for name in identity.names:
        parts.update(word for word in _words(name, SHORTEST_NAME_PART) if word not in PARTICLES)
    for value in identity.others:
        parts.update(_words(value, SHORTEST_OTHER_PART))
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 6 and 2 * len(digits) >= len(re.sub(r"\W", "", value)):
            # A phone number or identifier written otherwise: "+32 16 55 01 77" as "016550177" or "16-55-01-77".
            numbers.add(r"[\s./\-()]*".join(digits[-8:]))
    alternatives = [rf"(?<![^\W_]){part}(?![^\W_])" for part in sorted(parts, key=len, reverse=True)] + sorted(numbers)
    alternatives += [birth_date_pattern(day) for day in dict.fromkeys(identity.birth_dates)]
    return re.compile("|".join(alternatives)) if alternatives else None


def _words(value: str, shortest: int) -> Iterable[str]:
    """The value's words (letters or digits) of at least ``shortest`` characters, escaped for a pattern."""
    return (re.escape(word) for word in re.findall(r"[^\W_]+", fold(value)) if len(word) >= shortest)


def birth_date_pattern(day: date) -> str:
    """One date in any order (day, month, year), with any or no separators, the month as a number, a name or in Roman
    numerals, the year in two or four digits; digits around it must not continue a longer number."""
    d = rf"0?{day.day}" if day.day < 10 else str(day.day)
    number = rf"0?{day.month}" if day.month < 10 else str(day.month)
    roman = rf"(?<![^\W\d_]){ROMAN_MONTHS[day.month - 1]}(?![^\W\d_])"
    m = rf"(?:{number}|{_month_names()[day.month]}|{roman})"
    y = rf"(?:{day.year}|{day.year % 100:02d})"
    s = SEPARATOR
    orders = (f"{d}{s}{m}{s}{y}", f"{m}{s}{d}{s}{y}", f"{day.year}{s}{m}{s}{d}")
    return "(?:" + "|".join(rf"(?<!\d){order}(?!\d)" for order in orders) + ")"


@cache
def _month_names() -> dict[int, str]:
    """Each month's names and abbreviations in the ERNs' languages, folded, as one alternation."""
    names: dict[int, set[str]] = {month: set() for month in range(1, 13)}
    for locale in LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for month, name in get_month_names(width, context, locale).items():
                    names[month].add(fold(name).rstrip("."))
    return {month: "(?:" + "|".join(re.escape(n) for n in sorted(found, key=len, reverse=True)) + ")" for month, found in names.items()}


@cache
def any_date() -> re.Pattern[str]:
    """Any date in a common format (numbers with separators, compact eight digits, month names), or a year alone."""
    month = "(?:" + "|".join(_month_names().values()) + ")"
    numeric = r"(?<!\d)\d{1,4}[\s]*[./\\\-][\s]*\d{1,2}[\s]*[./\\\-][\s]*\d{1,4}(?!\d)"
    compact = r"(?<!\d)(?:1[89]|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)"
    named = rf"(?<![^\W\d_]){month}(?![^\W\d_])[\s./\-,]*\d{{1,4}}|(?<!\d)\d{{1,4}}[\s./\-,]*{month}(?![^\W\d_])"
    year = r"(?<!\d)(?:1[89]|20)\d{2}(?!\d)"
    return re.compile("|".join((numeric, compact, named, year)))


@cache
def identifier_like() -> re.Pattern[str]:
    """Runs of five digits or more (with or without separators), words mixing letters with three digits or more,
    and what follows the usual labels of an identifier (MRN, ID, No., N°, #)."""
    long_number = r"(?<!\d)\d(?:[\s./\-]?\d){4,}(?!\d)"
    mixed = r"(?<![^\W_])(?=[^\W_]*[^\W\d_])(?=(?:[^\W_]*\d){3})[^\W_]+"
    labelled = r"(?<![^\W_])(?:mrn|nhs|ssn|id|nr|no|n°|num|number|nummer|numero)(?![^\W_])[\s.:#°-]*\w*\d|#\s*\d+"
    return re.compile("|".join((long_number, mixed, labelled)))


def prepare() -> None:
    """Build the patterns every check of a written text needs (month names in the ERNs' languages take the babel data
    of each locale: a fifth of a second), so that a server's first check answers as fast as the next."""
    any_date()
    identifier_like()
