"""Reading a FHIR R4 International Patient Summary (IPS) document bundle into what it proposes for the consultation form.

Nothing here stores anything or knows about requests: ``read_summary(data, record)`` turns the uploaded bytes into a
list of proposed items (the form field each goes into, where it came from, how it reads, the raw answer it adds), or
refuses hostile input with an ``InvalidInput`` whose message names the problem without echoing the file's values.

Where the IPS sections go (by their LOINC code):

- Problems (11450-4): a condition coded in ORPHA becomes the rare disease **diagnosis** (the form's diagnosis field
  takes ORPHA first: a rare disease on the problem list is the reason for the panel); one coded in HPO a line of the
  **phenotype**; any other an entry of **comorbidities** (its ICD-10 or ORPHA code when the catalogue knows it, else
  the condition's words in the entry's notes, as the coded field takes only codes it can check).
- History of past illness (11348-0): entries of **past_illnesses** (the illness's ICD-10 or ORPHA code, else its
  words, which the clinician codes in the form before submitting).
- Allergies (48765-2), medications (10160-0), procedures (47519-4): entries of **allergies**, **medications**,
  **surgical_procedures**.
- Results (30954-2), immunizations, plan of care and sections the form has no place for: lines of text for
  **other_information** (the form has no results field; the review list says so).
- Social history (29762-2): text for **health_behaviours**; functional status (47420-5): **functional_status**;
  patient story (81338-6): **episode_description**.

A section with an ``emptyReason`` proposes nothing and says so ("nothing recorded: …"); a section with a narrative but
no entries proposes its narrative as plain text for the matching long-text field (other_information for sections whose
field is a repeatable group).

Identifying data never become items: the bundle's Patient (names, address, telecom, identifiers, birth date) is read
only to recognise those values in what the items would say. Every item is checked with ``app.identifying`` against the
patient's record and the bundle's Patient together, and one that holds a name, the birth date or an identifier is left
out with a note that says why (not what). The form has no gender field, and the patient record always has a birth date
from enrolment, so neither is ever copied: both are returned only to be compared with the record.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from flask_babel import gettext as _
from pydantic import ValidationError

from app.errors import InvalidInput
from app.identifying import BIRTH_DATE
from app.identifying import NAME
from app.identifying import Identity
from app.identifying import what_identifies
from app.terminology.catalogue import HPO
from app.terminology.catalogue import ICD10
from app.terminology.catalogue import ORPHA
from app.terminology.catalogue import catalogue

MAX_BYTES = 5 * 1024 * 1024  # IPS documents are tens of kilobytes; a bundle with images inside belongs in documents
MAX_DEPTH = 64  # IPS bundles nest about 15 levels deep
MAX_ENTRIES = 2000
MAX_ITEMS = 300
MAX_HAS_MEMBER = 200  # observations grouped under one panel, all levels together
NOTE = ""  # the field of a note: something the review list says, nothing to accept

PROBLEMS, PAST_ILLNESS, ALLERGIES, MEDICATIONS = "11450-4", "11348-0", "48765-2", "10160-0"
PROCEDURES, RESULTS, SOCIAL_HISTORY, FUNCTIONAL_STATUS, PATIENT_STORY = "47519-4", "30954-2", "29762-2", "47420-5", "81338-6"
# The long-text field a section's words go into when they are text (narrative only, or a section without a group).
TEXT_FIELD = {
    SOCIAL_HISTORY: "health_behaviours",
    FUNCTIONAL_STATUS: "functional_status",
    PATIENT_STORY: "episode_description",
}
OTHER_INFORMATION = "other_information"

ORPHA_SYSTEMS = ("http://www.orpha.net", "https://www.orpha.net", "http://www.orphadata.org", "https://www.orphadata.org")
HPO_SYSTEMS = ("http://purl.obolibrary.org/obo/hp.owl", "http://human-phenotype-ontology.org", "https://human-phenotype-ontology.org")
ICD10_SYSTEMS = ("http://hl7.org/fhir/sid/icd-10", "urn:oid:2.16.840.1.113883.6.3")
SNOMED = "http://snomed.info/sct"
_RELATIVE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$")


@dataclass(frozen=True)
class Proposed:
    """One thing the summary proposes: a raw answer for a form field (a group entry, a line of text, a code), or a note."""

    field: str  # NOTE for a note
    source: str  # the section it came from, and the resource
    summary: str  # how it reads on the review list
    value: Any  # a group entry (dict of its fields' raw answers) or a text; "" for a note


@dataclass(frozen=True)
class Summary:
    """What a patient summary proposes, and the two facts about the person kept only to compare with the record."""

    items: tuple[Proposed, ...]
    gender: str = ""
    birth_date: date | None = None


def read_summary(data: bytes, record: Identity = Identity()) -> Summary:
    """The items an IPS document bundle proposes for the consultation form (InvalidInput when it cannot be read safely).

    ``record`` is what identifies the patient in their centre's record: items holding any of it are left out too."""
    bundle = _parse(data)
    document = _Document(bundle)
    patient = document.patient()
    identity = record.merged(_identity_of(patient)) if patient is not None else record
    items: list[Proposed] = []
    for section in document.sections():
        for proposed in document.read_section(section):
            items.append(_checked(proposed, identity))
            if len(items) > MAX_ITEMS:
                raise InvalidInput(_("This patient summary proposes more than %(n)d items: import a shorter summary.", n=MAX_ITEMS))
    gender = str(patient.gender or "") if patient is not None else ""
    birth_date = patient.birthDate if patient is not None and isinstance(patient.birthDate, date) else None
    return Summary(tuple(items), gender, birth_date)


# ---- Reading the bytes safely ----------------------------------------------------------------------------------------


def _parse(data: bytes) -> Bundle:
    if len(data) > MAX_BYTES:
        raise InvalidInput(_("The file is larger than %(n)d MB: a patient summary is much smaller.", n=MAX_BYTES // (1024 * 1024)))
    if not data.strip():
        raise InvalidInput(_("The file is empty: choose a FHIR patient summary (a JSON file)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(_("This file is not a FHIR patient summary in JSON (it is not UTF-8 text).")) from None
    if _depth(text) > MAX_DEPTH:
        raise InvalidInput(_("This file nests its data more than %(n)d levels deep: it is not a patient summary.", n=MAX_DEPTH))
    try:
        raw = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise InvalidInput(_("This file is not a FHIR patient summary: it is not valid JSON.")) from None
    if not isinstance(raw, dict) or raw.get("resourceType") != "Bundle":
        raise InvalidInput(_("This file is not a FHIR Bundle: a patient summary is a Bundle of type document."))
    if raw.get("type") != "document":
        raise InvalidInput(_("This Bundle is not of type document: a patient summary is a document Bundle."))
    entries = raw.get("entry")
    if not isinstance(entries, list) or not entries:
        raise InvalidInput(_("This Bundle has no entries: a patient summary starts with its Composition."))
    if len(entries) > MAX_ENTRIES:
        raise InvalidInput(_("This Bundle has more than %(n)d entries: it is not a patient summary.", n=MAX_ENTRIES))
    try:
        return Bundle.model_validate(raw)
    except ValidationError as error:
        raise InvalidInput(_("This patient summary does not follow FHIR R4: %(problems)s.", problems=_problems(error))) from None
    except (ValueError, TypeError, RecursionError):
        raise InvalidInput(_("This patient summary does not follow FHIR R4.")) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = str.maketrans({"[": "\x02", "{": "\x02", "]": "\x00", "}": "\x00"})


def _depth(text: str) -> int:
    """How deep the JSON nests, counted before it is parsed (a parser's recursion would be the attack)."""
    brackets = _BRACKETS.sub("", _STRING.sub("", text)).translate(_STEP)
    return max(itertools.accumulate(ord(step) - 1 for step in brackets), default=0)


def _problems(error: ValidationError) -> str:
    """Where the bundle is wrong and how, never with the value found there (it may be a name or a birth date)."""
    described = []
    for problem in error.errors(include_url=False, include_context=False)[:3]:
        where = " › ".join(str(part) for part in problem.get("loc", ()) if str(part) not in ("function-after", "function-before"))[:200]
        found = problem.get("input")
        message = str(problem.get("msg", ""))
        if isinstance(found, (str, int, float)) and str(found) and str(found) in message:
            message = _("wrong value")
        described.append(f"{where}: {message[:200]}")
    more = error.error_count() - len(described)
    if more > 0:
        described.append(_("and %(n)d more", n=more))
    return "; ".join(described)


# ---- The document: references, sections, resources --------------------------------------------------------------------


class _Document:
    """A parsed document bundle: its Composition, its resources by fullUrl and by type and id, and their references."""

    def __init__(self, bundle: Bundle) -> None:
        self.by_url: dict[str, Any] = {}
        self.by_type_id: dict[tuple[str, str], Any] = {}
        self.url_of: dict[int, str] = {}
        for entry in bundle.entry or []:
            resource = entry.resource
            if resource is None:
                continue
            if entry.fullUrl:
                self.by_url[str(entry.fullUrl)] = resource
                self.url_of[id(resource)] = str(entry.fullUrl)
            if resource.id:
                self.by_type_id.setdefault((resource.get_resource_type(), str(resource.id)), resource)
        first = bundle.entry[0].resource if bundle.entry else None
        if first is None or first.get_resource_type() != "Composition":
            raise InvalidInput(_("This document Bundle does not start with a Composition: it is not a patient summary."))
        self.composition: Any = first

    def resolve(self, reference: Any, holder: Any, where: str) -> Any:
        """The resource a Reference points to: a urn:uuid: or absolute fullUrl, a relative Type/id (against the holder's
        fullUrl base, then by type and id), or #id contained in the holder. InvalidInput when it points to nothing."""
        target = str(getattr(reference, "reference", None) or "")
        found = None
        if target.startswith("#"):
            found = next((c for c in getattr(holder, "contained", None) or [] if f"#{c.id}" == target), None)
        elif target in self.by_url:
            found = self.by_url[target]
        elif match := _RELATIVE.match(target):
            base = self._base_of(holder)
            found = self.by_url.get(f"{base}{match.group(1)}/{match.group(2)}") if base else None
            found = found or self.by_type_id.get((match.group(1), match.group(2)))
        if found is None:
            raise InvalidInput(
                _("%(where)s refers to a resource that is not in the bundle: a patient summary must hold what it refers to.", where=where)
            )
        return found

    def _base_of(self, holder: Any) -> str:
        url = self.url_of.get(id(holder), "")
        match = re.match(r"^(https?://.+/)[A-Z][A-Za-z]+/[^/]+$", url)
        return match.group(1) if match else ""

    def patient(self) -> Any:
        subject = getattr(self.composition, "subject", None)
        if subject is not None and subject.reference:
            found = self.resolve(subject, self.composition, _("The Composition's subject"))
            if found.get_resource_type() != "Patient":
                raise InvalidInput(_("The Composition's subject is not a Patient: this is not a patient summary."))
            return found
        return next((r for r in self.by_url.values() if r.get_resource_type() == "Patient"), None)

    def sections(self) -> Iterator[Any]:
        """Every section and subsection, in order (their nesting is bounded by the JSON depth checked on reading)."""
        stack = list(reversed(self.composition.section or []))
        while stack:
            section = stack.pop()
            yield section
            stack.extend(reversed(section.section or []))

    def read_section(self, section: Any) -> list[Proposed]:
        codings = (section.code.coding or []) if section.code is not None else []
        code = next((str(c.code) for c in codings if c.code), "")
        title = str(section.title or _concept_text(section.code) or _("Untitled section"))[:60]
        if section.emptyReason is not None:
            reason = _concept_text(section.emptyReason) or _("no reason given")
            return [Proposed(NOTE, title, _("%(section)s: nothing recorded: %(reason)s.", section=title, reason=reason), "")]
        entries = section.entry or []
        if not entries:
            text = _narrative(section.text.div if section.text is not None else "")
            if not text:
                return []
            target = TEXT_FIELD.get(code, OTHER_INFORMATION)
            line = text if target != OTHER_INFORMATION else f"{title}: {text}"
            return [Proposed(target, title, _("%(section)s (narrative only, as text): %(text)s", section=title, text=_short(text)), line)]
        proposed: list[Proposed] = []
        for number, reference in enumerate(entries, start=1):
            where = _("Section “%(section)s”, entry %(n)d", section=title, n=number)
            resource = self.resolve(reference, self.composition, where)
            proposed.extend(self._items(code, title, resource, where))
        return proposed

    def _items(self, code: str, title: str, resource: Any, where: str) -> list[Proposed]:
        kind = resource.get_resource_type()
        source = f"{title} · {kind}"[:80]
        if kind == "Condition" and code == PROBLEMS:
            return [_problem(resource, source)]
        if kind == "Condition" and code == PAST_ILLNESS:
            return [_past_illness(resource, source)]
        if kind == "AllergyIntolerance":
            return [_allergy(resource, source)]
        if kind in ("MedicationStatement", "MedicationRequest"):
            return [self._medication(resource, source, where)]
        if kind == "Procedure" and code == PROCEDURES:
            return [_procedure(resource, source)]
        if kind == "Observation":
            return [self._observation_text(code, title, source, observation) for observation in self._observations(resource, where)]
        return [_as_text(code, title, source, _resource_text(resource))]

    def _medication(self, statement: Any, source: str, where: str) -> Proposed:
        concept = getattr(statement, "medicationCodeableConcept", None)
        if concept is None and getattr(statement, "medicationReference", None) is not None:
            medication = self.resolve(statement.medicationReference, statement, where)
            concept = getattr(medication, "code", None)
        medicine = _concept_text(concept) or _("Medicine not named")
        dosage = (getattr(statement, "dosage", None) or getattr(statement, "dosageInstruction", None) or [None])[0]
        dose = _dose(dosage)
        period = getattr(statement, "effectivePeriod", None)
        since = _partial(getattr(statement, "effectiveDateTime", None) or (period.start if period is not None else None))
        since = since or _partial(getattr(statement, "authoredOn", None))
        value = {"medicine": medicine[:200], "dose": dose[:200], "since": since}
        return Proposed("medications", source, " — ".join(filter(None, [medicine, dose, since and _("since %(when)s", when=since)])), value)

    def _observations(self, observation: Any, where: str) -> list[Any]:
        """The observation, then those it groups (hasMember), each once; a loop of members is refused."""
        found: list[Any] = []
        path: list[int] = []

        def visit(current: Any) -> None:
            if id(current) in path:
                raise InvalidInput(_("%(where)s: its observations refer to each other in a loop.", where=where))
            if len(found) >= MAX_HAS_MEMBER:
                raise InvalidInput(_("%(where)s groups more than %(n)d observations.", where=where, n=MAX_HAS_MEMBER))
            path.append(id(current))
            if current.get_resource_type() == "Observation" and id(current) not in {id(f) for f in found}:
                found.append(current)
            for member in getattr(current, "hasMember", None) or []:
                visit(self.resolve(member, current, where))
            path.pop()

        visit(observation)
        return found

    def _observation_text(self, code: str, title: str, source: str, observation: Any) -> Proposed:
        return _as_text(code, title, source, _observation_line(observation))


def _checked(proposed: Proposed, identity: Identity) -> Proposed:
    """The item (or note), or a note in its place when anything it would say (its text, its value, the bundle's own
    section title it names as source) identifies the patient: the note then names neither the section nor the value."""
    for text in [proposed.source, proposed.summary, *_texts(proposed.value)]:
        kind = what_identifies(text, identity)
        if kind == NAME:
            reason = _("it holds the patient's name")
        elif kind == BIRTH_DATE:
            reason = _("it holds the patient's birth date")
        elif kind:
            reason = _("it holds an address, an identifier or a phone number of the patient")
        else:
            continue
        return Proposed(NOTE, _("Patient summary"), _("An item of the summary was left out: %(reason)s.", reason=reason), "")
    return proposed


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(v) for v in value.values()]
    return [str(value)]


def _identity_of(patient: Any) -> Identity:
    """What identifies the person in the bundle's Patient, only to find it in the items (never copied)."""
    names: list[str] = []
    for name in [*(patient.name or []), *(c.name for c in patient.contact or [] if c.name is not None)]:
        names.extend(str(part) for part in [name.text, name.family, *(name.given or [])] if part)
    others: list[str] = []
    for address in [*(patient.address or []), *(c.address for c in patient.contact or [] if c.address is not None)]:
        others.extend(str(part) for part in [address.text, *(address.line or []), address.city, address.postalCode] if part)
    others.extend(str(i.value) for i in patient.identifier or [] if i.value)
    others.extend(str(t.value) for t in patient.telecom or [] if t.value)
    births = (patient.birthDate,) if isinstance(patient.birthDate, date) else ()
    return Identity(tuple(names), births, tuple(others))


# ---- Resources → raw answers ---------------------------------------------------------------------------------------


def _problem(condition: Any, source: str) -> Proposed:
    concept = condition.code
    words = _concept_text(concept) or _("Condition not named")
    onset = _partial(getattr(condition, "onsetDateTime", None) or _period_start(getattr(condition, "onsetPeriod", None)))
    status = _status(condition)
    if (orpha := _coded(concept, (ORPHA,))) is not None:
        return Proposed("diagnosis", source, _("Rare disease diagnosis: %(term)s", term=orpha), orpha)
    if (hpo := _coded(concept, (HPO,))) is not None:
        return Proposed("phenotype", source, _("Phenotypic feature: %(term)s", term=hpo), hpo)
    coded = _coded(concept, (ICD10, ORPHA))
    notes = ", ".join(filter(None, [words if coded is None else "", _snomed(concept) if coded is None else "", status]))
    value = {"condition": coded or "", "onset": onset, "notes": notes[:500]}
    return Proposed(
        "comorbidities", source, " — ".join(filter(None, [coded or words, onset and _("since %(when)s", when=onset), status])), value
    )


def _past_illness(condition: Any, source: str) -> Proposed:
    concept = condition.code
    words = _concept_text(concept) or _("Illness not named")
    coded = _coded(concept, (ICD10, ORPHA))
    onset = _partial(getattr(condition, "onsetDateTime", None) or _period_start(getattr(condition, "onsetPeriod", None)))
    clinical = _code_of(condition.clinicalStatus)
    abated = (
        getattr(condition, "abatementDateTime", None)
        or getattr(condition, "abatementPeriod", None)
        or getattr(condition, "abatementString", None)
    )
    resolved = (
        "yes"
        if clinical in ("resolved", "inactive", "remission") or abated
        else ("no" if clinical in ("active", "recurrence", "relapse") else "")
    )
    value = {"illness": coded or words[:300], "onset": onset, "resolved": resolved}
    summary = " — ".join(filter(None, [coded or words, onset and _("since %(when)s", when=onset), _status(condition)]))
    if coded is None:
        summary = _("%(summary)s (no ICD-10 or ORPHA code: pick the term in the form before submitting)", summary=summary)
    return Proposed("past_illnesses", source, summary, value)


_SEVERITY = {"mild": "mild", "moderate": "moderate", "severe": "severe"}


def _allergy(allergy: Any, source: str) -> Proposed:
    substance = _concept_text(allergy.code) or _("Substance not named")
    reactions = allergy.reaction or []
    manifestations = [_concept_text(m) for reaction in reactions for m in reaction.manifestation or []]
    reaction_words = ", ".join(filter(None, [*manifestations, *(str(r.description) for r in reactions if r.description)]))
    severity = next((_SEVERITY[str(r.severity)] for r in reactions if str(r.severity or "") in _SEVERITY), "")
    criticality = str(allergy.criticality or "")
    if criticality and criticality != "unable-to-assess":
        reaction_words = ", ".join(filter(None, [reaction_words, _("criticality: %(level)s", level=criticality)]))
    value = {"substance": substance[:200], "reaction": reaction_words[:500], "severity": severity}
    return Proposed("allergies", source, " — ".join(filter(None, [substance, reaction_words, severity])), value)


def _procedure(procedure: Any, source: str) -> Proposed:
    name = _concept_text(procedure.code) or _("Procedure not named")
    performed = _partial(getattr(procedure, "performedDateTime", None) or _period_start(getattr(procedure, "performedPeriod", None)))
    value = {"procedure": name[:200], "performed": performed}
    return Proposed("surgical_procedures", source, " — ".join(filter(None, [name, performed])), value)


def _observation_line(observation: Any) -> str:
    name = _concept_text(observation.code) or _("Observation")
    when = _partial(getattr(observation, "effectiveDateTime", None) or _period_start(getattr(observation, "effectivePeriod", None)))
    notes = "; ".join(str(n.text) for n in observation.note or [] if n.text)
    value = _observation_value(observation)
    if not value and observation.hasMember:
        value = _("(group)")
    line = f"{name}: {value}" if value else name
    return ", ".join(filter(None, [line, when, notes]))


def _observation_value(observation: Any) -> str:
    if (quantity := getattr(observation, "valueQuantity", None)) is not None:
        return " ".join(str(part) for part in [_number(quantity.value), quantity.unit or quantity.code or ""] if part not in (None, ""))
    if (concept := getattr(observation, "valueCodeableConcept", None)) is not None:
        return _concept_text(concept)
    for name in ("valueString", "valueBoolean", "valueInteger", "valueDateTime"):
        if (value := getattr(observation, name, None)) is not None:
            return str(value)
    return ""


def _resource_text(resource: Any) -> str:
    """A line for a resource the form has no field for (an immunization, a device, a care plan)."""
    for name in ("vaccineCode", "code", "type", "category"):
        concept = getattr(resource, name, None)
        if isinstance(concept, list):
            concept = concept[0] if concept else None
        if concept is not None and (words := _concept_text(concept)):
            when = _partial(getattr(resource, "occurrenceDateTime", None) or getattr(resource, "recordedDate", None))
            return ", ".join(filter(None, [words, when]))
    narrative = _narrative(resource.text.div if getattr(resource, "text", None) is not None else "")
    return narrative or resource.get_resource_type()


def _as_text(code: str, title: str, source: str, line: str) -> Proposed:
    target = TEXT_FIELD.get(code, OTHER_INFORMATION)
    text = f"{title}: {line}" if target == OTHER_INFORMATION else line
    if target == OTHER_INFORMATION:
        summary = _("%(line)s (as text into “Other information”: the form has no field for %(section)s)", line=line, section=title)
    else:
        summary = line
    return Proposed(target, source, summary[:1000], text[:4000])


# ---- Small readers --------------------------------------------------------------------------------------------------


def _concept_text(concept: Any) -> str:
    """How a CodeableConcept reads: its text, else its first coding's display, else its first code."""
    if concept is None:
        return ""
    if concept.text:
        return str(concept.text).strip()
    codings = concept.coding or []
    return next((str(c.display).strip() for c in codings if c.display), "") or next((str(c.code) for c in codings if c.code), "")


def _code_of(concept: Any) -> str:
    return next((str(c.code) for c in (concept.coding or []) if c.code), "") if concept is not None else ""


def _status(condition: Any) -> str:
    return _code_of(getattr(condition, "clinicalStatus", None))


def _snomed(concept: Any) -> str:
    code = next((str(c.code) for c in (concept.coding or []) if c.system == SNOMED and c.code), "") if concept is not None else ""
    return f"SNOMED CT {code}" if code else ""


def _system_of(uri: str) -> str:
    uri = uri.strip().rstrip("/")
    if any(uri == s or uri.startswith(s + "/") for s in ORPHA_SYSTEMS):
        return ORPHA
    if any(uri == s or uri.startswith(s + "/") for s in HPO_SYSTEMS):
        return HPO
    if uri in ICD10_SYSTEMS:
        return ICD10
    return ""


def _coded(concept: Any, systems: Iterable[str]) -> str | None:
    """The raw answer a coded field takes ("ORPHA:85443 — AL amyloidosis") for the first coding of one of ``systems``
    that the catalogue knows (Orphanet codes with or without their "ORPHA:" or "Orphanet_" prefix)."""
    if concept is None:
        return None
    wanted = tuple(systems)
    for coding in concept.coding or []:
        system = _system_of(str(coding.system or ""))
        if system not in wanted or not coding.code:
            continue
        code = str(coding.code).strip()
        if system == ORPHA:
            code = "ORPHA:" + re.sub(r"^(?:orpha(?:net)?[:_])", "", code, flags=re.IGNORECASE)
        elif system == HPO:
            code = code.replace("_", ":")
        term = catalogue().lookup(system, code[:40])
        if term is not None:
            return f"{term.code} — {term.label}"
    return None


def _partial(value: Any) -> str:
    """A FHIR date, dateTime or partial date as the form's partial date: dd/mm/yyyy, mm/yyyy or yyyy."""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = str(value or "")
    if match := re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text):
        year, month, day = match.groups()
        return "/".join(filter(None, [day, month, year]))
    return ""


def _period_start(period: Any) -> Any:
    return period.start if period is not None else None


def _number(value: Any) -> str:
    text = str(value)
    return text[:-2] if text.endswith(".0") else text


_PERIOD_UNITS = {"h": "hour", "d": "day", "wk": "week", "mo": "month", "a": "year"}


def _dose(dosage: Any) -> str:
    if dosage is None:
        return ""
    if dosage.text:
        return str(dosage.text)
    parts = []
    for dose_and_rate in dosage.doseAndRate or []:
        quantity = getattr(dose_and_rate, "doseQuantity", None)
        if quantity is not None and quantity.value is not None:
            parts.append(" ".join(filter(None, [_number(quantity.value), str(quantity.unit or "")])))
    repeat = dosage.timing.repeat if dosage.timing is not None else None
    if repeat is not None and (repeat.frequency or repeat.count) and repeat.periodUnit:
        times = repeat.frequency or repeat.count
        unit = _PERIOD_UNITS.get(str(repeat.periodUnit), str(repeat.periodUnit))
        parts.append(_("%(n)s × per %(unit)s", n=times, unit=unit))
    if dosage.route is not None and (route := _concept_text(dosage.route)):
        parts.append(route)
    return ", ".join(parts)


class _Text(HTMLParser):
    """The words of an XHTML narrative: block elements and cells become separators, markup and scripts go."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "thead", "tbody"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _narrative(div: Any) -> str:
    """A narrative's XHTML as plain text: one line per block, spaces folded."""
    if not div:
        return ""
    reader = _Text()
    reader.feed(str(div))
    reader.close()
    lines = []
    for line in "".join(reader.parts).splitlines():
        line = re.sub(r"\s+", " ", line).strip(" |")
        line = re.sub(r"^\|\s*", "", line)
        if line:
            lines.append(line.replace(" |  | ", " | "))
    return "\n".join(lines)[:4000]


def _short(text: str, length: int = 300) -> str:
    flat = re.sub(r"\s+", " ", text)
    return flat if len(flat) <= length else flat[: length - 1] + "…"
