"""The score of each candidate expert for a case: pure scoring, no database and no Flask request.

Closeness of a code to the case uses the terminologies' hierarchies through hpo3 (no graph code here):

- an HPO term against the case's HPO terms: Resnik's measure, the information content of the most informative
  common ancestor (Resnik 1995, hpo3 ``similarity_score(method="resnik")``, information content over the ORPHA
  annotations), divided by the information content of the case's term, so that the term itself or a more specific
  one scores 1 and an ancestor as far as it is informative;
- an ORPHA disease: hpo3 ships no Orphanet classification (groups), so a disease stands for its set of HPO
  annotations (hpo3 ``Ontology.orpha_diseases``), compared with the case's HPO set by the published set measure
  Resnik best-match average, the value hpo3's ``HPOSet.similarity(kind="orpha", method="resnik", combine="BMA")``
  gives (a test holds them equal), divided by the case's similarity to itself. An exact ORPHA match counts most (1),
  closeness by annotations at most ``NEAR_ORPHA``. The average is computed here from each term's ancestors (hpo3's
  ``all_parents``), remembered per term and disease, because hpo3 compares every pair of terms anew: a ranking meets
  thousands of diseases.

The case's HPO set is its observed features (excluded ones are not), and the annotations of its ORPHA diagnosis when it
has one. Each closeness is computed once per code and case, whatever the number of candidates who hold it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import ngettext

ORPHA, HPO = "ORPHA", "HPO"
NEAR_ORPHA = 0.8  # an ORPHA disease close by its annotations never counts as much as the case's own
HPO_WEIGHT = 0.7  # a matching HPO term says less than a matching disease
LEARNED_WEIGHT = 0.9  # declared expertise is what the member says they know; learned, what they were asked about
CLOSE = 0.5  # a code at least this close to the case makes a contribution one "on a similar case"
RECENT_YEARS = 2  # contributions this year and in the two years before are recent
RECENT_WEIGHT = 0.3
PER_OPEN_PANEL = 0.08  # five open panels take 0.4 off: below an equally expert colleague who is free
PER_OPEN_TASK = 0.02
MAX_LOAD = 10
AREA_WEIGHT = 0.1  # the expert chose the panel's thematic area in their preferences
NEUTRAL, LAST, FIRST = "neutral", "last", "first"
OWN_COUNTRY_ORDERS = (NEUTRAL, LAST, FIRST)


@dataclass(frozen=True)
class Case:
    """The codes of the case: its ORPHA diagnosis (if coded so) and its observed HPO features."""

    orpha: tuple[str, ...] = ()
    hpo: tuple[str, ...] = ()
    country: str = ""  # the patient's centre's country


class Learned(NamedTuple):
    """A code of the cases a member contributed to: on how many panels, the latest year (a tuple: a ranking reads
    thousands)."""

    system: str
    code: str
    label: str
    count: int
    year: int


@dataclass(frozen=True)
class Profile:
    declared: tuple[tuple[str, str], ...] = ()  # (system, code)
    learned: tuple[Learned, ...] = ()  # hidden codes already left out


@dataclass(frozen=True)
class Load:
    open_panels: int = 0  # panels the member is on (lead, accepted or invited) that are not closed
    open_tasks: int = 0


@dataclass(frozen=True)
class Candidate:
    key: Any  # what the caller finds the candidate by (a user id, an Expert)
    name: str
    profile: Profile
    load: Load = Load()
    country: str = ""
    matches_area: bool = False


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float
    expertise: float
    recent: float
    load: float
    reasons: tuple[str, ...] = field(default=())

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


_lock = threading.Lock()
_state: dict[str, Any] = {}


def _ontology() -> Any:
    """hpo3's ontology, loaded once per process (the terminology catalogue may have loaded it already)."""
    if "ontology" not in _state:
        with _lock:
            if "ontology" not in _state:
                from pyhpo import Ontology  # the Rust extension loads when first needed, as in the catalogue

                if not _state.get("loaded"):
                    try:
                        Ontology.get_hpo_object(1)
                    except Exception:  # noqa: BLE001 - not built yet in this process
                        Ontology()
                _state["diseases"] = {f"ORPHA:{d.id}": d for d in Ontology.orpha_diseases}
                _state["ontology"] = Ontology
    return _state["ontology"]


_terms: dict[Any, Any] = {}
_lineages: dict[int, frozenset[int]] = {}  # a term and all its ancestors
_information: dict[int, float] = {}  # information content over the ORPHA annotations
_annotations: dict[str, tuple[int, ...]] = {}  # an ORPHA disease's HPO terms


def _term(code: Any) -> Any:
    """An HPO term by code or number, remembered (None: unknown)."""
    if code not in _terms:
        try:
            _terms[code] = _ontology().get_hpo_object(code)
        except (KeyError, ValueError, RuntimeError, NameError):
            _terms[code] = None
    return _terms[code]


def _lineage(term: Any) -> frozenset[int]:
    number = int(term)
    if number not in _lineages:
        members = (term, *term.all_parents)
        for each in members:
            _information.setdefault(int(each), float(each.information_content.orpha))
        _lineages[number] = frozenset(int(each) for each in members)
    return _lineages[number]


def _disease_terms(code: str) -> tuple[int, ...]:
    """An ORPHA disease's HPO annotations, their lineages known, once per process (none: unknown disease)."""
    if code not in _annotations:
        disease = _state["diseases"].get(code)
        terms = [t for t in (_term(int(h)) for h in sorted({int(h) for h in disease.hpo})) if t is not None] if disease else []
        for term in terms:
            _lineage(term)
        _annotations[code] = tuple(int(t) for t in terms)
    return _annotations[code]


class Closeness:
    """How close each code is to one case (0 to 1), computed on demand and remembered."""

    def __init__(self, case: Case) -> None:
        _ontology()
        self.case = case
        diseases = _state["diseases"]
        observed = [int(t) for t in (_term(code) for code in dict.fromkeys(case.hpo)) if t is not None]
        annotations = [int(h) for code in case.orpha if (d := diseases.get(code)) is not None for h in d.hpo]
        ids = observed + annotations
        case_terms = [t for t in (_term(i) for i in sorted(set(ids))) if t is not None]
        self.case_terms = tuple(int(t) for t in case_terms)  # observed features and the diagnosis's annotations
        # The ancestors of the case's terms, numbered from the most informative: a set of them is an integer's bits,
        # and the most informative ancestor in a set is its lowest bit.
        ancestors = sorted(frozenset().union(*(_lineage(t) for t in case_terms)), key=_information.__getitem__, reverse=True)
        self.bits = {a: 1 << i for i, a in enumerate(ancestors)}
        self.information_at = [_information[a] for a in ancestors]
        self.case_masks = [self._mask(_lineage(t)) for t in case_terms]
        self._matches: dict[int, tuple[int, float]] = {}
        self.self_similarity = self._best_match_average(self.case_terms) if case_terms else 0.0
        self.compared = [t for t in case_terms if _information[int(t)] > 0]
        self.orpha = set(case.orpha)
        # Resnik over each case term c, divided by IC(c), is for a term t the best IC(a) / IC(c) over the ancestors a
        # common to t and c: one pass over the case terms' ancestors, then a look-up per ancestor of t.
        self.reach: dict[int, float] = {}
        for other in self.compared:
            top = _information[int(other)]
            for ancestor in _lineage(other):
                value = _information[ancestor] / top
                if value > self.reach.get(ancestor, 0.0):
                    self.reach[ancestor] = value
        self._known: dict[tuple[str, str], float] = {}

    def _mask(self, lineage: frozenset[int]) -> int:
        bits = self.bits
        return sum(bits[a] for a in lineage if a in bits)

    def _most_informative(self, mask: int) -> float:
        return self.information_at[(mask & -mask).bit_length() - 1] if mask else 0.0

    def _match(self, number: int) -> tuple[int, float]:
        """A term's ancestors in common with the case's terms, and its Resnik with its best match among them."""
        if number not in self._matches:
            mask = self._mask(_lineages[number])
            self._matches[number] = (mask, self._most_informative(mask))
        return self._matches[number]

    def _best_match_average(self, terms: tuple[int, ...]) -> float:
        """Resnik best-match average of the case's set and another: each term of either set with its best match in the
        other (the most informative common ancestor), averaged over both sets' terms."""
        common = 0
        towards_case = 0.0
        matches = self._matches
        for number in terms:
            mask, best = matches[number] if number in matches else self._match(number)
            common |= mask
            towards_case += best
        information_at = self.information_at
        towards_other = sum(information_at[(m & -m).bit_length() - 1] for mask in self.case_masks if (m := mask & common))
        return (towards_case + towards_other) / (len(terms) + len(self.case_masks))

    def of(self, system: str, code: str) -> float:
        key = (system, code)
        if key not in self._known:
            self._known[key] = self._compute(system, code)
        return self._known[key]

    def _compute(self, system: str, code: str) -> float:
        if system == ORPHA:
            if code in self.orpha:
                return 1.0
            if self.self_similarity <= 0:
                return 0.0
            terms = _disease_terms(code)
            if not terms:
                return 0.0
            return NEAR_ORPHA * min(1.0, self._best_match_average(terms) / self.self_similarity)
        if system == HPO:
            term = _term(code)
            if term is None or not self.compared:
                return 0.0
            reach = self.reach
            best = max(map(reach.__getitem__, reach.keys() & _lineage(term)), default=0.0)
            return HPO_WEIGHT * min(1.0, best)
        return 0.0


def rank(case: Case, candidates: Sequence[Candidate], *, year: int, own_country_order: str = NEUTRAL) -> list[Ranked]:
    """The candidates, best first: closeness of their declared and learned expertise to the case, their recent
    contributions on similar cases, less their current load; the patient's own country last or first by setting."""
    closeness = Closeness(case)
    ranked = [_score(candidate, closeness, year) for candidate in candidates]

    def order(r: Ranked) -> tuple[int, float, str]:
        own = bool(case.country) and r.candidate.country == case.country
        group = 0
        if own_country_order == LAST and own:
            group = 1
        elif own_country_order == FIRST and not own:
            group = 1
        return (group, -r.score, r.candidate.name)

    return sorted(ranked, key=order)


def _score(candidate: Candidate, closeness: Closeness, year: int) -> Ranked:
    profile = candidate.profile
    best_declared: tuple[float, str] = (0.0, "")
    for system, code in profile.declared:
        value = closeness.of(system, code)
        if value > best_declared[0]:
            best_declared = (value, code)
    best_learned: tuple[float, Learned | None] = (0.0, None)
    recent = 0
    for item in profile.learned:
        value = closeness.of(item.system, item.code)
        if value * LEARNED_WEIGHT > best_learned[0]:
            best_learned = (value * LEARNED_WEIGHT, item)
        if value >= CLOSE and item.year >= year - RECENT_YEARS:
            recent += item.count
    expertise = max(best_declared[0], best_learned[0])
    recent_part = RECENT_WEIGHT * min(1.0, recent / 5)
    load = candidate.load
    load_part = PER_OPEN_PANEL * min(load.open_panels, MAX_LOAD) + PER_OPEN_TASK * min(load.open_tasks, MAX_LOAD)
    reasons: list[str] = []
    learned = best_learned[1]
    if learned is not None and best_learned[0] > 0 and best_learned[0] >= best_declared[0]:
        reasons.append(
            ngettext(
                "contributed to %(count)d panel on %(code)s in %(year)s",
                "contributed to %(count)d panels on %(code)s in %(year)s",
                learned.count,
                count=learned.count,
                code=learned.code,
                year=learned.year,
            )
        )
    elif best_declared[0] > 0:
        reasons.append(_("declared expertise: %(code)s", code=best_declared[1]))
    if load.open_panels:
        reasons.append(ngettext("%(count)d open panel now", "%(count)d open panels now", load.open_panels, count=load.open_panels))
    if load.open_tasks:
        reasons.append(ngettext("%(count)d open task", "%(count)d open tasks", load.open_tasks, count=load.open_tasks))
    if not reasons:
        reasons.append(_("no expertise recorded close to this case"))
    return Ranked(
        candidate=candidate,
        score=round(expertise + recent_part + (AREA_WEIGHT if candidate.matches_area else 0.0) - load_part, 4),
        expertise=round(expertise, 4),
        recent=round(recent_part, 4),
        load=round(load_part, 4),
        reasons=tuple(reasons),
    )
