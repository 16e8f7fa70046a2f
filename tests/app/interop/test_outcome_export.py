"""A signed outcome exported as a FHIR R4 document bundle and a GA4GH Phenopacket v2: both read back strictly by their
own libraries, say what the outcome says with the guides' code systems, and carry nothing that identifies the patient."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime

import phenopackets as pp
import pytest
from fhir.resources.R4B.bundle import Bundle
from google.protobuf import json_format
from sqlalchemy import select

from app.database import db
from app.interop import fhir_export
from app.interop import outcome_case
from app.interop.phenopacket_export import outcome_phenopacket
from app.panels import services
from app.panels.models import Outcome
from app.panels.models import Panel
from app.research.search import case_of
from tests import factories
from tests.app.research.helpers import phenopacket_schema_validator
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of

# The patient's identifying values, planted in the record; none may reach an export, in any spelling.
PATIENT = {
    "first_name": "Philomena",
    "last_name": "Vandersteenhoven",
    "date_of_birth": "07/03/1984",
    "record_label": "Rue Haute 221 Bruxelles",
}
SPELLINGS = (
    "Philomena",
    "Vandersteenhoven",
    "1984-03-07",
    "07/03/1984",
    "7 March 1984",
    "07.03.1984",
    "19840307",
    "03/07/1984",
    "Rue Haute",
)
ANSWERS = {
    "diagnosis": "ORPHA:85443",
    "diagnosis_status": "suspected",
    "phenotype": "HP:0002373\nnot HP:0001627",
    "age_at_onset": "4",
    "genetic_findings": [
        {"gene": "TTR", "variant": "NM_000371.4:c.148G>A", "zygosity": "heterozygous", "interpretation": "pathogenic"},
        {"gene": "APOA1", "variant": "", "zygosity": "", "interpretation": ""},
    ],
}
OUTCOME = {
    "case_question": "Which treatment after relapse?",
    "recommendations": "1. Start tafamidis.\n2. Cardiac MRI within three months.\n\n- Genetic counselling for the family.",
    "diagnosis_codes": "ORPHA:85443, E85.1 (suspected)",
    "follow_up": "Review in three months.",
}


def sign_off(world, panel_id: int, outcome: dict | None = None) -> None:
    """The lead drafts and signs off the outcome, with one accepted member's contribution before."""
    services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    complete(world.brno_clinician, task_of(world.brno_clinician, "record_contribution"), {"text": "Agreed.", "hours": "0", "minutes": "30"})
    complete(world.clinician, task_of(world.clinician, "select_experts"), {})
    complete(world.clinician, task_of(world.clinician, "draft_outcome"), outcome or OUTCOME)
    complete(world.clinician, task_of(world.clinician, "sign_off_outcome"), {"decision": "sign_off", "sign_off_early": ["yes"]})


def open_case(world, **answers) -> Panel:
    """A panel on the planted patient (led by the clinician who enrolled them), its consultation form answered."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern, **PATIENT, gender="female")
    for user in (world.clinician, world.brno_clinician):
        factories.give_areas(user, world.ern)
    panel_id = factories.open_panel(world.clinician, patient, **{**ANSWERS, **answers})
    return db.session.get(Panel, panel_id)


@pytest.fixture
def signed_panel(world) -> Panel:
    panel = open_case(world)
    sign_off(world, panel.id)
    return panel


def exports(panel: Panel, created: datetime | None = None) -> tuple[dict, dict]:
    outcome = db.session.scalar(select(Outcome).where(Outcome.panel_id == panel.id))
    case = case_of(panel.id)
    signed = outcome_case.signed_outcome(panel, outcome)
    created = created or datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    return fhir_export.bundle(case, signed, created, "https://consilium.example"), outcome_phenopacket(case, signed, created)


def resources(bundle: dict, kind: str) -> list[dict]:
    return [entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind]


def test_the_bundle_is_a_document_that_fhir_resources_reads_strictly(signed_panel):
    bundle, _packet = exports(signed_panel)
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "document" and parsed.identifier.value.startswith("urn:uuid:")
    assert bundle["entry"][0]["resource"]["resourceType"] == "Composition"
    assert all(entry["fullUrl"].startswith("urn:uuid:") for entry in bundle["entry"])
    urls = {entry["fullUrl"] for entry in bundle["entry"]}
    composition = bundle["entry"][0]["resource"]
    referenced = [entry["reference"] for section in composition["section"] for entry in section.get("entry", [])]
    assert referenced and set(referenced) <= urls  # every section points inside the document


def test_a_broken_bundle_is_refused_before_it_leaves():
    with pytest.raises(fhir_export.InvalidBundle):
        fhir_export.validated(
            {"resourceType": "Bundle", "type": "document", "entry": [{"resource": {"resourceType": "Patient", "name": 3}}]}
        )


def test_the_composition_is_a_final_consult_note_attested_legally_by_the_lead(world, signed_panel):
    bundle, _packet = exports(signed_panel)
    composition = bundle["entry"][0]["resource"]
    assert composition["status"] == "final"
    assert composition["type"]["coding"] == [{"system": "http://loinc.org", "code": "11488-4", "display": "Consult note"}]
    patient_url = next(entry["fullUrl"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == "Patient")
    assert composition["subject"]["reference"] == patient_url
    (attester,) = composition["attester"]
    assert attester["mode"] == "legal" and attester["party"] == composition["author"][0]
    practitioner = next(e for e in bundle["entry"] if e["fullUrl"] == attester["party"]["reference"])["resource"]
    assert practitioner["resourceType"] == "Practitioner"
    assert practitioner["name"] == [{"family": world.clinician.last_name, "given": [world.clinician.first_name]}]
    assert [section["title"] for section in composition["section"]] == ["Diagnosis", "Phenotype", "Genetic findings", "Recommendations"]


def test_the_patient_is_the_pseudonym_with_the_sex_and_nothing_else(signed_panel):
    bundle, _packet = exports(signed_panel)
    (patient,) = resources(bundle, "Patient")
    assert patient["identifier"] == [
        {"use": "secondary", "system": "https://consilium.example/fhir/sid/panel-pseudonym", "value": f"panel-{signed_panel.id}"}
    ]
    assert patient["gender"] == "female"
    assert not {"name", "birthDate", "address", "telecom", "photo", "contact"} & set(patient)


def test_the_condition_has_the_orpha_and_icd10_codings_and_the_verification_status(signed_panel):
    bundle, _packet = exports(signed_panel)
    (condition,) = resources(bundle, "Condition")
    codings = {(c["system"], c["code"]) for c in condition["code"]["coding"]}
    assert codings == {("http://www.orpha.net", "85443"), ("http://hl7.org/fhir/sid/icd-10", "E85.1")}
    assert condition["verificationStatus"]["coding"][0]["code"] == "provisional"  # suspected
    assert condition["onsetAge"] == {"value": 4, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"}


def test_hpo_features_are_observations_of_presence_and_absence(signed_panel):
    bundle, _packet = exports(signed_panel)
    features = [o for o in resources(bundle, "Observation") if o["code"]["coding"][0]["system"] == "http://human-phenotype-ontology.org"]
    found = {o["code"]["coding"][0]["code"]: o["valueCodeableConcept"]["coding"][0]["code"] for o in features}
    assert found == {"HP:0002373": "LA9633-4", "HP:0001627": "LA9634-2"}  # present, absent (LOINC answers)


def test_a_genetic_finding_is_a_variant_observation_as_the_genomics_reporting_guide_writes_it(signed_panel):
    bundle, _packet = exports(signed_panel)
    variants = [o for o in resources(bundle, "Observation") if o["code"]["coding"][0]["code"] == "69548-6"]
    assert len(variants) == 2  # TTR with its variant; APOA1 named alone
    components = {c["code"]["coding"][0]["code"]: c["valueCodeableConcept"] for c in variants[0]["component"]}
    assert components["48018-6"] == {"text": "TTR"}
    assert components["48004-6"]["coding"] == [{"system": "http://varnomen.hgvs.org", "code": "NM_000371.4:c.148G>A"}]
    assert components["53034-5"]["coding"][0]["code"] == "LA6706-1"  # heterozygous
    (implication,) = [o for o in resources(bundle, "Observation") if o["code"]["coding"][0]["code"] == "diagnostic-implication"]
    significance = {c["code"]["coding"][0]["code"]: c["valueCodeableConcept"] for c in implication["component"]}
    assert significance["53037-8"]["coding"][0]["code"] == "LA6668-3"  # pathogenic


def test_the_care_plan_has_one_activity_per_recommendation(signed_panel):
    bundle, _packet = exports(signed_panel)
    (plan,) = resources(bundle, "CarePlan")
    assert (plan["status"], plan["intent"]) == ("active", "plan")
    assert [a["detail"]["description"] for a in plan["activity"]] == [
        "Start tafamidis.",
        "Cardiac MRI within three months.",
        "Genetic counselling for the family.",
    ]


def test_two_exports_of_one_outcome_differ_by_their_timestamp_only(signed_panel):
    first, _ = exports(signed_panel, datetime(2026, 12, 7, 9, 30, tzinfo=UTC))
    second, _ = exports(signed_panel, datetime(2027, 1, 2, 10, 0, tzinfo=UTC))
    assert first["timestamp"] != second["timestamp"]
    assert {**first, "timestamp": ""} == {**second, "timestamp": ""}


def test_the_phenopacket_reads_back_and_validates_against_the_ga4gh_schemas(signed_panel):
    _bundle, packet = exports(signed_panel)
    parsed = json_format.Parse(json.dumps(packet), pp.Phenopacket(), ignore_unknown_fields=False)
    assert parsed.id == f"panel-{signed_panel.id}" and parsed.subject.sex == pp.Sex.FEMALE
    assert list(phenopacket_schema_validator().iter_errors(packet)) == []
    assert {d["term"]["id"] for d in packet["diseases"]} == {"ORPHA:85443", "ICD10:E85.1"}
    assert {(f["type"]["id"], f.get("excluded", False)) for f in packet["phenotypicFeatures"]} == {
        ("HP:0002373", False),
        ("HP:0001627", True),
    }


def test_no_identifying_value_of_the_patient_is_in_either_export(signed_panel):
    bundle, packet = exports(signed_panel)
    patient = signed_panel.patient
    assert patient.cpms_id and patient.first_name == "Philomena"
    text = (json.dumps(bundle, ensure_ascii=False) + json.dumps(packet, ensure_ascii=False)).casefold()
    for value in (*SPELLINGS, patient.cpms_id):
        assert value.casefold() not in text, value


def test_recommendations_are_the_lines_of_the_text_without_list_markers():
    assert fhir_export.recommendations_of("- one\n\n* two\n3) three\n• four\nfive") == ["one", "two", "three", "four", "five"]
    assert fhir_export.recommendations_of("One text; with a semicolon.") == ["One text; with a semicolon."]
