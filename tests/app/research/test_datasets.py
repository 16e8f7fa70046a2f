"""Datasets of a search: the CSV's columns, Phenopackets valid against the GA4GH JSON schemas and the package's own
classes, and no identifying value anywhere."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import phenopackets as pp
from google.protobuf import json_format
from jsonschema import Draft201909Validator
from referencing import Registry
from referencing import Resource

from app.research.datasets import CSV_HEADER
from tests.app.research.helpers import CANARY
from tests.app.research.helpers import CANARY_SPELLINGS
from tests.app.research.helpers import released_panel

# The schemas and their licence stay in the shared test fixtures beside the checkout (../shared/fixtures, SOURCES.txt).
SCHEMAS = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "phenopacket-schemas"
CLASSPATH = "classpath:/org/phenopackets/phenopackettools/validator/jsonschema/"
RICH = {
    "diagnosis": "ORPHA:85443",
    "diagnosis_status": "confirmed",
    "phenotype": "HP:0002373\nnot HP:0001627",
    "age_at_onset": "4",
    "age_at_diagnosis": "6",
    "patient_status": "dead",
    "date_of_death": "03/2024",
    "first_contact_date": "2019",
    "genetic_findings": [
        {"gene": "TTR", "variant": "NM_000371.4:c.148G>A", "zygosity": "heterozygous", "interpretation": "pathogenic"},
        {"gene": "APOA1", "variant": "", "zygosity": "", "interpretation": ""},
    ],
    "biobank_samples": [{"sample_type": "DNA", "biobank": "Leuven biobank", "collected": "2023"}],
}


def _validator() -> Draft201909Validator:
    registry: Registry = Registry()
    for path in [*SCHEMAS.glob("*.json"), *(SCHEMAS / "v2").glob("*.json")]:
        if path.parent.name == "examples":
            continue
        schema = json.loads(path.read_text(encoding="utf-8"))
        uri = CLASSPATH + str(path.relative_to(SCHEMAS))
        registry = registry.with_resource(uri, Resource.from_contents(schema))
    main = json.loads((SCHEMAS / "v2" / "phenopacket-schema.json").read_text(encoding="utf-8"))
    return Draft201909Validator(main, registry=registry)


def test_the_schemas_accept_their_own_examples_and_refuse_a_broken_one():
    validator = _validator()
    example = json.loads((SCHEMAS / "examples" / "bethlem-myopathy.json").read_text(encoding="utf-8"))
    assert list(validator.iter_errors(example)) == []
    del example["metaData"]["createdBy"]
    assert list(validator.iter_errors(example)) != []


def test_the_csv_has_one_coded_row_per_panel_and_no_identifying_data(world, login):
    panel_id = released_panel(world.clinician, world.leuven, world.ern, patient_values={**CANARY, "gender": "female"}, **RICH)
    response = login(world.researcher).get("/research/dataset.csv?codes=ORPHA:85443")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(CSV_HEADER) and len(rows) == 1
    row = rows[0]
    assert row["pseudonym"] == f"panel-{panel_id}" and row["panel"] == str(panel_id)
    assert (row["sex"], row["country"], row["ern"]) == ("female", "BE", "EuroBloodNet")
    assert (row["diagnosis_orpha"], row["diagnosis_icd10"], row["diagnosis_status"]) == ("ORPHA:85443", "", "confirmed")
    assert (row["hpo_observed"], row["hpo_excluded"]) == ("HP:0002373", "HP:0001627")
    assert (row["age_at_onset_years"], row["age_band_at_onset"], row["age_at_diagnosis_years"]) == ("4", "2-11", "6")
    assert (row["patient_status"], row["date_of_death"], row["age_at_death_years"]) == ("dead", "2024-03", "40")
    assert row["first_contact_date"] == "2019" and row["age_at_panel_years"] == "43"
    assert row["genetic_findings"] == "TTR NM_000371.4:c.148G>A (heterozygous, pathogenic); APOA1"
    assert (row["biobank_sample_types"], row["biobanks"], row["consent_registry"]) == ("DNA", "Leuven biobank", "yes")
    for value in CANARY_SPELLINGS:
        assert value.lower() not in text.lower()


def test_phenopackets_validate_against_the_schemas_and_the_classes_and_hold_no_identifying_data(world, login):
    rich = released_panel(world.clinician, world.leuven, world.ern, patient_values=CANARY, **RICH)
    bare = released_panel(world.brno_clinician, world.brno, world.ern, patient_values={**CANARY, "gender": "unknown"})
    undiagnosed = released_panel(world.clinician, world.leuven, world.ern, diagnosis="C81.1", diagnosis_status="undiagnosed")
    response = login(world.researcher).get("/research/phenopackets.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert sorted(archive.namelist()) == sorted(f"panel-{n}.json" for n in (rich, bare, undiagnosed))
    validator = _validator()
    packets = {}
    for name in archive.namelist():
        text = archive.read(name).decode("utf-8")
        for value in CANARY_SPELLINGS:
            assert value.lower() not in text.lower(), (name, value)
        data = json.loads(text)
        assert [error.message for error in validator.iter_errors(data)] == [], name
        packets[name] = json_format.Parse(text, pp.Phenopacket(), ignore_unknown_fields=False)
        assert data["metaData"]["createdBy"] == "Consilium" and data["metaData"]["phenopacketSchemaVersion"] == "2.0"
        assert {r["namespacePrefix"] for r in data["metaData"]["resources"]} >= {"HP", "ORPHA", "ICD10"}
        assert "dateOfBirth" not in data["subject"]
    packet = packets[f"panel-{rich}.json"]
    assert packet.subject.id == f"panel-{rich}" and packet.subject.sex == pp.Sex.MALE
    assert packet.subject.time_at_last_encounter.age.iso8601duration == "P43Y"
    assert packet.subject.vital_status.status == pp.VitalStatus.DECEASED
    assert [(f.type.id, f.excluded) for f in packet.phenotypic_features] == [("HP:0002373", False), ("HP:0001627", True)]
    assert packet.diseases[0].term.id == "ORPHA:85443" and packet.diseases[0].onset.age.iso8601duration == "P4Y"
    interpretation = packet.interpretations[0]
    assert interpretation.progress_status == pp.Interpretation.ProgressStatus.SOLVED
    (genomic,) = interpretation.diagnosis.genomic_interpretations  # the finding without a variant stays in the CSV
    variant = genomic.variant_interpretation
    assert variant.acmg_pathogenicity_classification == pp.AcmgPathogenicityClassification.PATHOGENIC
    assert variant.variation_descriptor.expressions[0].value == "NM_000371.4:c.148G>A"
    assert variant.variation_descriptor.allelic_state.id == "GENO:0000135"
    assert packets[f"panel-{undiagnosed}.json"].diseases[0].term.id == "ICD10:C81.1"
    assert not packets[f"panel-{bare}.json"].diseases
