"""The datasets of a search: a CSV table (one row per panel, coded columns) and GA4GH Phenopackets v2 (one JSON per
case, in a ZIP). Both hold pseudonymised data only: no name, no birth date, no record label, no free text; ages are
in whole years.

The 16 common data elements of the EU RD Platform (JRC, "Set of common data elements for rare diseases registration")
and where the CSV takes them from:

 1. Pseudonym: ``pseudonym`` = ``panel-<panel number>`` (never the CPMS ID or the patient's record).
 2. Date of birth: never exported; ``age_at_panel_years`` (age when the panel was opened) stands for it.
 3. Sex: ``sex``, the patient record's gender (female / male / other / unknown).
 4. Patient's status: ``patient_status``, consultation form (alive / dead / lost_to_follow_up / opted_out).
 5. Date of death: ``date_of_death`` as entered (yyyy, yyyy-mm or yyyy-mm-dd) and ``age_at_death_years``.
 6. First contact with a specialised centre: ``first_contact_date``, consultation form.
 7. Age at onset: ``age_at_onset_years``: the form's age at onset, else computed from the episode's onset and the
    birth date on the server; ``age_band_at_onset`` likewise.
 8. Age at diagnosis: ``age_at_diagnosis_years``: the form's age at diagnosis, else from the date of diagnosis.
 9. Diagnosis of the rare disease: ``diagnosis_orpha`` / ``diagnosis_icd10`` with ``diagnosis_label`` and
    ``diagnosis_status`` (confirmed / suspected / undiagnosed), consultation form.
10. Genetic diagnosis: ``genetic_findings``: gene, HGVS variant, zygosity, interpretation per finding.
11. Undiagnosed case: ``hpo_observed`` and ``hpo_excluded`` (HPO codes), consultation form.
12. Agreement to be contacted for research: ``consent_research_contact``, the patient record's research consent.
13. Consent to the reuse of data: ``consent_registry``, the patient record's consent to ERN registries.
14. Biological sample: ``biobank_sample_types``, the consultation form's biobank samples.
15. Link to a biobank: ``biobanks``, the same samples' biobanks.
16. Classification of functioning / disability: not exported; the form holds it as free text, not coded (ICF).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import phenopackets as pp
from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from app.research.search import Case
from app.terminology.catalogue import HPO
from app.terminology.catalogue import ICD10
from app.terminology.catalogue import ORPHA
from app.terminology.catalogue import catalogue

CSV_HEADER = (
    "pseudonym",
    "panel",
    "ern",
    "country",
    "opened",
    "released",
    "sex",
    "age_at_panel_years",
    "patient_status",
    "date_of_death",
    "age_at_death_years",
    "first_contact_date",
    "age_at_onset_years",
    "age_band_at_onset",
    "age_at_diagnosis_years",
    "diagnosis_orpha",
    "diagnosis_icd10",
    "diagnosis_label",
    "diagnosis_status",
    "genetic_findings",
    "hpo_observed",
    "hpo_excluded",
    "consent_research_contact",
    "consent_registry",
    "biobank_sample_types",
    "biobanks",
)


def csv_row(case: Case) -> tuple[Any, ...]:
    """One panel as a row of ``CSV_HEADER``."""
    diagnosis = case.diagnosis
    features = case.features
    samples = case.entries("biobank_samples")
    return (
        case.pseudonym,
        case.panel_id,
        case.ern,
        case.country,
        case.opened.isoformat(),
        case.released.isoformat() if case.released else "",
        case.sex,
        case.age_at_panel,
        case.text("patient_status"),
        case.text("date_of_death") if case.text("patient_status") == "dead" else "",
        case.age_at_death,
        case.text("first_contact_date"),
        case.age_at_onset,
        case.age_band,
        case.age_at_diagnosis,
        diagnosis.code if diagnosis and diagnosis.system == ORPHA else "",
        diagnosis.code if diagnosis and diagnosis.system == ICD10 else "",
        diagnosis.label if diagnosis else "",
        case.text("diagnosis_status"),
        "; ".join(_finding(entry) for entry in case.entries("genetic_findings")),
        " ".join(feature.code for feature in features if not feature.excluded),
        " ".join(feature.code for feature in features if feature.excluded),
        "yes" if case.consent_research else "no",
        "yes" if case.consent_registry else "no",
        "; ".join(str(sample.get("sample_type") or "") for sample in samples if sample.get("sample_type")),
        "; ".join(str(sample.get("biobank") or "") for sample in samples if sample.get("biobank")),
    )


def _finding(entry: Mapping[str, Any]) -> str:
    details = ", ".join(str(entry[name]) for name in ("zygosity", "interpretation") if entry.get(name))
    named = " ".join(str(entry[name]) for name in ("gene", "variant") if entry.get(name))
    return f"{named} ({details})" if details else named


# Phenopackets ---------------------------------------------------------------------------------------------

_SEX = {"female": pp.Sex.FEMALE, "male": pp.Sex.MALE, "other": pp.Sex.OTHER_SEX}
_PROGRESS = {"confirmed": "SOLVED", "suspected": "IN_PROGRESS", "undiagnosed": "UNSOLVED"}
_ACMG = {
    "pathogenic": "PATHOGENIC",
    "likely_pathogenic": "LIKELY_PATHOGENIC",
    "vus": "UNCERTAIN_SIGNIFICANCE",
    "likely_benign": "LIKELY_BENIGN",
    "benign": "BENIGN",
}
_STATUS = {
    "pathogenic": "CAUSATIVE",
    "likely_pathogenic": "CAUSATIVE",
    "vus": "CANDIDATE",
    "likely_benign": "REJECTED",
    "benign": "REJECTED",
}
# GENO terms for zygosity, as the Phenopacket examples use them.
_ZYGOSITY = {
    "heterozygous": ("GENO:0000135", "heterozygous"),
    "homozygous": ("GENO:0000136", "homozygous"),
    "hemizygous": ("GENO:0000134", "hemizygous"),
}
GENO_VERSION = "2020-03-08"  # the release the Phenopacket schema's own examples name; these three terms are unchanged


def _resources() -> list[pp.Resource]:
    versions = catalogue().versions
    return [
        pp.Resource(
            id="hp",
            name="human phenotype ontology",
            url="http://purl.obolibrary.org/obo/hp.owl",
            version=versions[HPO],
            namespace_prefix="HP",
            iri_prefix="http://purl.obolibrary.org/obo/HP_",
        ),
        pp.Resource(
            id="ordo",
            name="Orphanet Rare Disease Ontology",
            url="https://www.orphadata.com/ordo/",
            version=versions[ORPHA],
            namespace_prefix="ORPHA",
            iri_prefix="http://www.orpha.net/ORDO/Orphanet_",
        ),
        pp.Resource(
            id="icd10",
            name="International Statistical Classification of Diseases and Related Health Problems 10th Revision",
            url="https://icd.who.int/browse10/2019/en",
            version=versions[ICD10],
            namespace_prefix="ICD10",
            iri_prefix="https://icd.who.int/browse10/2019/en#/",
        ),
        pp.Resource(
            id="geno",
            name="Genotype Ontology",
            url="http://purl.obolibrary.org/obo/geno.owl",
            version=GENO_VERSION,
            namespace_prefix="GENO",
            iri_prefix="http://purl.obolibrary.org/obo/GENO_",
        ),
    ]


def _term(system: str, code: str, label: str) -> pp.OntologyClass:
    return pp.OntologyClass(id=f"ICD10:{code}" if system == ICD10 else code, label=label or code)


def _age(years: int | None) -> pp.TimeElement | None:
    return pp.TimeElement(age=pp.Age(iso8601duration=f"P{years}Y")) if years is not None else None


def phenopacket(case: Case, created: datetime) -> pp.Phenopacket:
    """A case as a Phenopacket v2: the individual by pseudonym, features, the diagnosis, simple genetic findings."""
    individual = pp.Individual(id=case.pseudonym, sex=_SEX.get(case.sex, pp.Sex.UNKNOWN_SEX))
    if (at_panel := _age(case.age_at_panel)) is not None:
        individual.time_at_last_encounter.CopyFrom(at_panel)
    status = case.text("patient_status")
    if status in ("alive", "dead"):
        individual.vital_status.status = pp.VitalStatus.ALIVE if status == "alive" else pp.VitalStatus.DECEASED
        if status == "dead" and (at_death := _age(case.age_at_death)) is not None:
            individual.vital_status.time_of_death.CopyFrom(at_death)
    packet = pp.Phenopacket(id=case.pseudonym, subject=individual)
    for feature in case.features:
        packet.phenotypic_features.append(pp.PhenotypicFeature(type=_term(HPO, feature.code, feature.label), excluded=feature.excluded))
    diagnosis = case.diagnosis
    if diagnosis is not None:
        disease = pp.Disease(term=_term(diagnosis.system, diagnosis.code, diagnosis.label))
        if (onset := _age(case.age_at_onset)) is not None:
            disease.onset.CopyFrom(onset)
        packet.diseases.append(disease)
        packet.interpretations.append(_interpretation(case, disease.term))
    stamp = Timestamp()
    stamp.FromDatetime(created)
    packet.meta_data.CopyFrom(pp.MetaData(created=stamp, created_by="Consilium", phenopacket_schema_version="2.0", resources=_resources()))
    return packet


def _interpretation(case: Case, disease: pp.OntologyClass) -> pp.Interpretation:
    """The diagnosis, with the findings that name an HGVS variant (the gene alone has no HGNC id here to cite)."""
    interpretation = pp.Interpretation(
        id=f"{case.pseudonym}-interpretation",
        progress_status=pp.Interpretation.ProgressStatus.Value(_PROGRESS.get(case.text("diagnosis_status"), "UNKNOWN_PROGRESS")),
    )
    interpretation.diagnosis.disease.CopyFrom(disease)
    for number, entry in enumerate(case.entries("genetic_findings"), start=1):
        variant = str(entry.get("variant") or "").strip()
        if not variant:
            continue
        descriptor = pp.VariationDescriptor(
            id=f"{case.pseudonym}-variant-{number}",
            label=" ".join(filter(None, [str(entry.get("gene") or "").strip(), variant])),
            expressions=[pp.Expression(syntax="hgvs", value=variant)],
            molecule_context=_molecule_context(variant),
        )
        if zygosity := _ZYGOSITY.get(str(entry.get("zygosity") or "")):
            descriptor.allelic_state.CopyFrom(pp.OntologyClass(id=zygosity[0], label=zygosity[1]))
        classification = str(entry.get("interpretation") or "")
        interpretation.diagnosis.genomic_interpretations.append(
            pp.GenomicInterpretation(
                subject_or_biosample_id=case.pseudonym,
                interpretation_status=pp.GenomicInterpretation.InterpretationStatus.Value(_STATUS.get(classification, "UNKNOWN_STATUS")),
                variant_interpretation=pp.VariantInterpretation(
                    acmg_pathogenicity_classification=pp.AcmgPathogenicityClassification.Value(_ACMG.get(classification, "NOT_PROVIDED")),
                    therapeutic_actionability=pp.TherapeuticActionability.UNKNOWN_ACTIONABILITY,
                    variation_descriptor=descriptor,
                ),
            )
        )
    return interpretation


def _molecule_context(hgvs: str) -> pp.MoleculeContext.ValueType:
    kind = hgvs.split(":")[-1][:2].lower()
    return {"c.": pp.MoleculeContext.transcript, "g.": pp.MoleculeContext.genomic, "p.": pp.MoleculeContext.protein}.get(
        kind, pp.MoleculeContext.unspecified_molecule_context
    )


class InvalidPhenopacket(ValueError):
    """A Phenopacket that its own classes do not read back as written (a bug here, never sent)."""


def phenopacket_json(packet: pp.Phenopacket) -> dict[str, Any]:
    """The Phenopacket as JSON, with every field the schema requires written out (protobuf leaves out enum values
    that are 0, such as UNKNOWN_ACTIONABILITY), checked by a strict re-parse into the package's classes."""
    data: dict[str, Any] = json_format.MessageToDict(packet)
    for interpretation in data.get("interpretations", []):
        interpretation.setdefault("progressStatus", "UNKNOWN_PROGRESS")
        for genomic in interpretation.get("diagnosis", {}).get("genomicInterpretations", []):
            genomic.setdefault("interpretationStatus", "UNKNOWN_STATUS")
            variant = genomic.get("variantInterpretation")
            if variant is not None:
                variant.setdefault("acmgPathogenicityClassification", "NOT_PROVIDED")
                variant.setdefault("therapeuticActionability", "UNKNOWN_ACTIONABILITY")
                variant.get("variationDescriptor", {}).setdefault("moleculeContext", "unspecified_molecule_context")
    vital = data.get("subject", {}).get("vitalStatus")
    if vital is not None:
        vital.setdefault("status", "UNKNOWN_STATUS")
    try:
        reread = json_format.Parse(json.dumps(data), pp.Phenopacket(), ignore_unknown_fields=False)
    except json_format.ParseError as error:
        raise InvalidPhenopacket(f"{packet.id}: {type(error).__name__}") from None
    if reread != packet:
        raise InvalidPhenopacket(f"{packet.id}: read back differently")
    return data


def phenopackets_zip(cases: Sequence[Case], created: datetime) -> bytes:
    """One validated Phenopacket JSON per case, ``panel-<n>.json``, in a ZIP."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for case in cases:
            data = phenopacket_json(phenopacket(case, created))
            archive.writestr(f"{case.pseudonym}.json", json.dumps(data, indent=2, ensure_ascii=False))
    return buffer.getvalue()


def csv_rows(cases: Iterable[Case]) -> Iterable[tuple[Any, ...]]:
    return (csv_row(case) for case in cases)
