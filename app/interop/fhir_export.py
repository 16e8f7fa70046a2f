"""A signed outcome as a FHIR R4 document bundle (``Bundle.type = document``), pseudonymised as everything that leaves
the centre: the patient is the panel's pseudonym (``panel-<n>``) with the sex and ages in years, never a name, a birth
date, an address or a record number.

The bundle, in order:

- Composition: a consult note (LOINC 11488-4), final, the lead as author and legal attester, with four sections
  (diagnosis, phenotype, genetic findings, recommendations) that point at the resources below and carry a narrative.
- Patient: an identifier of the pseudonym, and the sex when the case has one.
- Practitioner: the lead (a professional, named as the outcome report names them).
- Condition: the consultation form's diagnosis and the outcome's diagnosis codes as codings (Orphanet, ICD-10),
  verification status from the diagnosis status, onset as an age.
- Observations of HPO features, as the Phenomics Exchange IG (0.1.0, PhenotypicFeature) writes them: code = the HPO
  term, value = LOINC LA9633-4 "Present" or LA9634-2 "Absent" (an excluded feature is an observation of absence, not a
  missing observation).
- Genetic findings as the Genomics Reporting IG writes them: a variant Observation (LOINC 69548-6 "Genetic variant
  assessment", value Present) with components gene studied (48018-6), the HGVS expression (48004-6 c.HGVS, 81290-9
  g.HGVS or 48005-3 p.HGVS, coded in ``http://varnomen.hgvs.org``) and allelic state (53034-5); and, when classified,
  a diagnostic-implication Observation derived from it with the clinical significance (53037-8). The form holds gene
  symbols, not HGNC ids, so the gene is the symbol as text: a coding would need the id.
- CarePlan: active, plan, one activity per recommendation (a line of the outcome's recommendations).

Every ``fullUrl`` is a ``urn:uuid:`` made with uuid5 from the ERN and the panel, so that two exports of one outcome are
equal apart from ``Bundle.timestamp``. No Flask here; the bundle is checked by a strict fhir.resources parse before it
is returned.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from app.research.search import Case
from app.research.search import Code
from app.terminology.catalogue import ICD10
from app.terminology.catalogue import ORPHA

LOINC = "http://loinc.org"
HPO_SYSTEM = "http://human-phenotype-ontology.org"
ORPHA_SYSTEM = "http://www.orpha.net"
ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
HGVS_SYSTEM = "http://varnomen.hgvs.org"
UCUM = "http://unitsofmeasure.org"
GENOMICS_CODES = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
PHENOTYPIC_FEATURE = "http://hl7.org/fhir/uv/phenomics-exchange/StructureDefinition/PhenotypicFeature"
VARIANT = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/variant"
DIAGNOSTIC_IMPLICATION = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/diagnostic-implication"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://consilium/outcome-export")

_PRESENT = {"system": LOINC, "code": "LA9633-4", "display": "Present"}
_ABSENT = {"system": LOINC, "code": "LA9634-2", "display": "Absent"}
_VERIFICATION = {"confirmed": "confirmed", "suspected": "provisional", "undiagnosed": "unconfirmed"}
_GENDER = {"female": "female", "male": "male", "other": "other"}
_ALLELIC_STATE = {
    "heterozygous": ("LA6706-1", "Heterozygous"),
    "homozygous": ("LA6705-3", "Homozygous"),
    "hemizygous": ("LA6707-9", "Hemizygous"),
}
_SIGNIFICANCE = {
    "pathogenic": ("LA6668-3", "Pathogenic"),
    "likely_pathogenic": ("LA26332-9", "Likely pathogenic"),
    "vus": ("LA26333-7", "Uncertain significance"),
    "likely_benign": ("LA26334-5", "Likely benign"),
    "benign": ("LA6675-8", "Benign"),
}
# The HGVS expression's kind → its LOINC component (Genomics Reporting IG, variant profile).
_HGVS = {
    "c.": ("48004-6", "DNA change (c.HGVS)"),
    "g.": ("81290-9", "Genomic DNA change (gHGVS)"),
    "p.": ("48005-3", "Amino acid change (pHGVS)"),
}
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+")


@dataclass(frozen=True)
class SignedOutcome:
    """What the signed outcome adds to the case: the advice, its codes, who signed it and when."""

    case_question: str
    recommendations: str
    follow_up: str
    codes: tuple[Code, ...]  # ORPHA / ICD-10 codes named in the outcome
    signed_at: datetime
    lead_given: str
    lead_family: str
    ern: str


class InvalidBundle(ValueError):
    """A bundle that fhir.resources does not read back (a bug here, never sent)."""


def recommendations_of(text: str) -> list[str]:
    """The recommendations, one per line as the lead wrote them (list markers dropped); one text is one recommendation."""
    lines = [_BULLET.sub("", line).strip() for line in text.splitlines()]
    return [line for line in lines if line]


def bundle(case: Case, outcome: SignedOutcome, created: datetime, issuer: str) -> dict[str, Any]:
    """The signed outcome as a FHIR R4 document bundle (JSON), strictly validated. ``issuer`` is the base URL of this
    Consilium (the namespace of its pseudonyms and bundle identifiers)."""
    ids = _Ids(outcome.ern, case.panel_id)
    patient_ref = {"reference": ids.url("patient")}
    lead_ref = {"reference": ids.url("practitioner"), "display": f"{outcome.lead_given} {outcome.lead_family}".strip()}
    signed = _instant(outcome.signed_at)

    entries: list[tuple[str, dict[str, Any]]] = []
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"use": "secondary", "system": f"{issuer.rstrip('/')}/fhir/sid/panel-pseudonym", "value": case.pseudonym}],
    }
    if case.sex in _GENDER:
        patient["gender"] = _GENDER[case.sex]
    elif case.sex == "unknown":
        patient["gender"] = "unknown"
    entries.append((ids.url("patient"), patient))
    practitioner = {"resourceType": "Practitioner", "name": [{"family": outcome.lead_family, "given": [outcome.lead_given]}]}
    entries.append((ids.url("practitioner"), practitioner))

    conditions = _conditions(case, outcome, ids, patient_ref, lead_ref, signed)
    entries.extend(conditions)
    features = _features(case, ids, patient_ref, signed)
    entries.extend(features)
    findings = _findings(case, ids, patient_ref, signed, conditions)
    entries.extend(findings)
    recommendations = recommendations_of(outcome.recommendations)
    careplan = {
        "resourceType": "CarePlan",
        "status": "active",
        "intent": "plan",
        "title": "Recommendations of the expert panel",
        "subject": patient_ref,
        "created": signed,
        "author": lead_ref,
        "addresses": [{"reference": url} for url, _ in conditions],
        "activity": [{"detail": {"status": "not-started", "description": text}} for text in recommendations],
    }
    if outcome.follow_up.strip():
        careplan["note"] = [{"text": outcome.follow_up.strip()}]
    entries.append((ids.url("careplan"), careplan))

    composition = {
        "resourceType": "Composition",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": ids.url("composition")},
        "status": "final",
        "type": {"coding": [{"system": LOINC, "code": "11488-4", "display": "Consult note"}]},
        "subject": patient_ref,
        "date": signed,
        "author": [lead_ref],
        "title": f"Outcome of the expert panel ({outcome.ern}, {case.pseudonym})",
        "confidentiality": "R",
        "attester": [{"mode": "legal", "time": signed, "party": lead_ref}],
        "section": [
            _section("Diagnosis", "29548-5", "Diagnosis Narrative", conditions, _condition_lines(conditions)),
            _section("Phenotype", "29545-1", "Physical findings Narrative", features, _feature_lines(case)),
            _section("Genetic findings", "51969-4", "Genetic analysis report", findings, _finding_lines(case)),
            _section(
                "Recommendations",
                "18776-5",
                "Plan of care note",
                [(ids.url("careplan"), careplan)],
                [f"Question to the panel: {outcome.case_question.strip()}", *recommendations]
                if outcome.case_question.strip()
                else recommendations,
            ),
        ],
    }
    document = {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": ids.url("bundle")},
        "type": "document",
        "timestamp": _instant(created),
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in [(ids.url("composition"), composition), *entries]],
    }
    return validated(document)


def validated(document: dict[str, Any]) -> dict[str, Any]:
    """The bundle as JSON, after fhir.resources (R4B: the R4 model with its fixes) read it strictly and wrote the same
    JSON back: an unknown element, a wrong type or a value the model would change is a bug."""
    try:
        parsed = Bundle.model_validate(document)
    except ValidationError as error:
        raise InvalidBundle(f"{error.error_count()} errors: {error.errors()[0]['loc']}") from None
    if json.loads(parsed.model_dump_json(exclude_none=True)) != json.loads(json.dumps(document)):
        raise InvalidBundle("read back differently")
    return document


class _Ids:
    """Deterministic ``urn:uuid:`` names of one panel's resources."""

    def __init__(self, ern: str, panel_id: int) -> None:
        self.base = f"{ern}/panel/{panel_id}"

    def url(self, kind: str, number: int = 0) -> str:
        return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{self.base}/{kind}/{number}')}"


def _instant(moment: datetime) -> str:
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # as FHIR models write an instant back


def _coding(code: Code) -> dict[str, str] | None:
    if code.system == ORPHA:
        number = code.code.split(":", 1)[-1]
        return {"system": ORPHA_SYSTEM, "code": number, "display": code.label} if code.label else {"system": ORPHA_SYSTEM, "code": number}
    if code.system == ICD10:
        return (
            {"system": ICD10_SYSTEM, "code": code.code, "display": code.label}
            if code.label
            else {"system": ICD10_SYSTEM, "code": code.code}
        )
    return None


def _conditions(
    case: Case, outcome: SignedOutcome, ids: _Ids, patient: dict[str, str], lead: dict[str, str], signed: str
) -> list[tuple[str, dict[str, Any]]]:
    """One Condition: the diagnosis of the consultation form and of the outcome, every code a coding of it."""
    codes = [*([case.diagnosis] if case.diagnosis else []), *outcome.codes]
    codings = [coding for coding in map(_coding, dict.fromkeys(codes)) if coding is not None]
    if not codings:
        return []
    condition: dict[str, Any] = {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "encounter-diagnosis"}]}],
        "code": {"coding": codings, "text": next((c["display"] for c in codings if c.get("display")), codings[0]["code"])},
        "subject": patient,
        "recordedDate": signed,
        "asserter": lead,
    }
    status = _VERIFICATION.get(case.text("diagnosis_status"))
    if status:
        condition["verificationStatus"] = {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": status}]
        }
    if case.age_at_onset is not None:
        condition["onsetAge"] = {"value": case.age_at_onset, "unit": "a", "system": UCUM, "code": "a"}
    return [(ids.url("condition"), condition)]


def _features(case: Case, ids: _Ids, patient: dict[str, str], signed: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for number, feature in enumerate(case.features, start=1):
        coding = {"system": HPO_SYSTEM, "code": feature.code, **({"display": feature.label} if feature.label else {})}
        observation = {
            "resourceType": "Observation",
            "meta": {"profile": [PHENOTYPIC_FEATURE]},
            "status": "final",
            "category": [_category("exam")],
            "code": {"coding": [coding]},
            "subject": patient,
            "issued": signed,
            "valueCodeableConcept": {"coding": [_ABSENT if feature.excluded else _PRESENT]},
        }
        found.append((ids.url("feature", number), observation))
    return found


def _findings(
    case: Case, ids: _Ids, patient: dict[str, str], signed: str, conditions: Sequence[tuple[str, dict[str, Any]]]
) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for number, entry in enumerate(case.entries("genetic_findings"), start=1):
        components = _variant_components(entry)
        if not components:
            continue
        url = ids.url("variant", number)
        found.append(
            (
                url,
                {
                    "resourceType": "Observation",
                    "meta": {"profile": [VARIANT]},
                    "status": "final",
                    "category": _GENETICS,
                    "code": {"coding": [{"system": LOINC, "code": "69548-6", "display": "Genetic variant assessment"}]},
                    "subject": patient,
                    "issued": signed,
                    "valueCodeableConcept": {"coding": [_PRESENT]},
                    "component": components,
                },
            )
        )
        significance = _SIGNIFICANCE.get(str(entry.get("interpretation") or ""))
        if significance is None:
            continue
        implication_components = [_component("53037-8", "Genetic variation clinical significance [Imp]", _loinc(*significance))]
        if conditions:
            implication_components.append(_component("81259-4", "Associated phenotype", conditions[0][1]["code"]))
        found.append(
            (
                ids.url("implication", number),
                {
                    "resourceType": "Observation",
                    "meta": {"profile": [DIAGNOSTIC_IMPLICATION]},
                    "status": "final",
                    "category": _GENETICS,
                    "code": {"coding": [{"system": GENOMICS_CODES, "code": "diagnostic-implication", "display": "Diagnostic Implication"}]},
                    "subject": patient,
                    "issued": signed,
                    "derivedFrom": [{"reference": url}],
                    "component": implication_components,
                },
            )
        )
    return found


def _variant_components(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    components = []
    gene = str(entry.get("gene") or "").strip()
    if gene:
        components.append(_component("48018-6", "Gene studied [ID]", {"text": gene}))
    variant = str(entry.get("variant") or "").strip()
    if variant:
        code, display = _HGVS.get(variant.split(":")[-1][:2].lower(), ("81252-9", "Discrete genetic variant"))
        components.append(_component(code, display, {"coding": [{"system": HGVS_SYSTEM, "code": variant}], "text": variant}))
    zygosity = _ALLELIC_STATE.get(str(entry.get("zygosity") or ""))
    if zygosity and components:
        components.append(_component("53034-5", "Allelic state", _loinc(*zygosity)))
    return components


def _component(code: str, display: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"code": {"coding": [{"system": LOINC, "code": code, "display": display}]}, "valueCodeableConcept": value}


def _loinc(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": code, "display": display}]}


def _category(code: str) -> dict[str, Any]:
    return {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": code}]}


# The categories of the Genomics Reporting IG's observations: laboratory, and the Genetics diagnostic service section.
_GENETICS = [_category("laboratory"), {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "GE"}]}]


def _section(title: str, code: str, display: str, entries: Sequence[tuple[str, dict[str, Any]]], lines: Sequence[str]) -> dict[str, Any]:
    section: dict[str, Any] = {"title": title, "code": _loinc(code, display), "text": _narrative(lines)}
    if entries:
        section["entry"] = [{"reference": url} for url, _ in entries]
    else:
        section["emptyReason"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/list-empty-reason", "code": "unavailable"}]}
    return section


def _narrative(lines: Sequence[str]) -> dict[str, str]:
    body = "".join(f"<li>{html.escape(line)}</li>" for line in lines) if lines else "<li>None recorded.</li>"
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><ul>{body}</ul></div>'}


def _condition_lines(conditions: Sequence[tuple[str, dict[str, Any]]]) -> list[str]:
    lines = []
    for _url, condition in conditions:
        for coding in condition["code"]["coding"]:
            prefix = "ORPHA:" if coding["system"] == ORPHA_SYSTEM else ""
            lines.append(f"{prefix}{coding['code']} {coding.get('display', '')}".strip())
        if "verificationStatus" in condition:
            lines.append(f"Verification: {condition['verificationStatus']['coding'][0]['code']}")
    return lines


def _feature_lines(case: Case) -> list[str]:
    return [f"{f.code} {f.label} ({'absent' if f.excluded else 'present'})".replace("  ", " ") for f in case.features]


def _finding_lines(case: Case) -> list[str]:
    lines = []
    for entry in case.entries("genetic_findings"):
        named = " ".join(str(entry[name]).strip() for name in ("gene", "variant") if entry.get(name))
        details = ", ".join(str(entry[name]) for name in ("zygosity", "interpretation") if entry.get(name))
        if named:
            lines.append(f"{named} ({details})" if details else named)
    return lines
