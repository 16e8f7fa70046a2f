"""Reading an International Patient Summary: the four IPS example bundles give the items a clinician reviews, nothing
identifying comes through, references of both kinds resolve, and hostile files are refused with a clear message."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from app.errors import InvalidInput
from app.identifying import Identity
from app.interop.ips_import import NOTE
from app.interop.ips_import import read_summary

pytestmark = pytest.mark.no_database

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "fhir-ips"
EXAMPLE = "Bundle-IPS-examples-Bundle-01.json"
ALL = sorted(path.name for path in FIXTURES.glob("*.json"))
MEDS = "Product containing anastrozole (medicinal product)"


@pytest.fixture(autouse=True)
def _context(app):
    with app.app_context():
        yield


def raw(name: str = EXAMPLE) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def read(bundle: dict | str = EXAMPLE, record: Identity = Identity()):
    data = bundle if isinstance(bundle, dict) else raw(bundle)
    return read_summary(json.dumps(data).encode(), record)


def by_field(summary) -> dict[str, list]:
    found: dict[str, list] = {}
    for item in summary.items:
        found.setdefault(item.field, []).append(item.value)
    return found


def refused(data: bytes) -> str:
    with pytest.raises(InvalidInput) as error:
        read_summary(data)
    return error.value.message


def test_the_ips_example_proposes_its_problems_medicines_allergies_past_illness_and_results():
    summary = read()
    fields = by_field(summary)
    assert fields["comorbidities"] == [
        {"condition": "N95.1 — Menopausal and female climacteric states", "onset": "2015", "notes": "active"}
    ]
    assert fields["medications"] == [
        {"medicine": MEDS, "dose": "1 tablet, 1 × per day, Oral use", "since": "03/2015"},
        {"medicine": "Black Cohosh Extract herbal supplement", "dose": "Oral use", "since": "01/2016"},
    ]
    assert [a["substance"] for a in fields["allergies"]] == [
        "Substance with penicillin structure and antibacterial mechanism of action (substance)",
        "No known food allergy (situation)",
    ]
    assert fields["past_illnesses"] == [{"illness": "Malignant tumor of breast", "onset": "01/2015", "resolved": "yes"}]
    others = fields["other_information"]
    assert others[0].startswith("Plan of Treatment: Continue hormone medication")  # a narrative-only section, as text
    assert "Results: Hemoglobin A1c/Hemoglobin.total in Blood by HPLC: 7.5 %, 10/11/2017, Above stated goal of 7.0 %" in others
    assert "Results: ABO and Rh group [Type] in Blood: Blood group A Rh(D) positive, 10/10/2015" in others  # a member of a group
    results = [item for item in summary.items if item.source.startswith("Results")]
    assert all("Other information" in item.summary for item in results)  # the review list says where results go
    assert (summary.gender, summary.birth_date) == ("female", date(1972, 5, 1))


@pytest.mark.parametrize(
    ("name", "counts"),
    [
        (EXAMPLE, {"comorbidities": 1, "medications": 2, "allergies": 2, "past_illnesses": 1, "other_information": 8}),
        (
            "Bundle-IPS-examples-Bundle-with-immunization.json",
            {"comorbidities": 1, "medications": 2, "allergies": 2, "past_illnesses": 1, "other_information": 9},
        ),
        ("Bundle-bundle-minimal.json", {"comorbidities": 1, "medications": 1, "allergies": 1}),
        ("Bundle-bundle-no-info-required-sections.json", {NOTE: 3, "other_information": 2}),
    ],
)
def test_each_example_bundle_gives_its_items(name, counts):
    assert {field: len(values) for field, values in by_field(read(name)).items()} == counts


@pytest.mark.parametrize("name", ALL)
def test_nothing_identifying_of_the_bundle_comes_through(name):
    bundle = raw(name)
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    values = [patient["birthDate"], *(i["value"] for i in patient.get("identifier", [])), *(t["value"] for t in patient.get("telecom", []))]
    for name_part in patient["name"]:
        values += [name_part["family"], *name_part["given"]]
    for address in patient.get("address", []):
        values += [*address["line"], address["city"], address["postalCode"]]
    year, month, day = patient["birthDate"].split("-")
    values += [f"{day}/{month}/{year}"]
    text = json.dumps([(item.summary, item.value, item.source) for item in read(bundle).items], ensure_ascii=False).casefold()
    assert [value for value in values if value.casefold() in text] == []


def test_an_item_naming_the_patient_or_their_birth_date_is_left_out_with_a_note():
    bundle = raw()
    medication = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "8adc0999-9468-4ac9-9557-680fa133d626")
    medication["code"]["text"] = "Prescribed for Martha by her GP"
    condition = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "c4597aa2-688a-401b-a658-70acc6de28c6")
    condition["code"]["coding"][0]["display"] = "Tumour found 01/05/1972"
    summary = read(bundle)
    notes = [item.summary for item in summary.items if item.field == NOTE]
    assert any("left out: it holds the patient's name" in note for note in notes)
    assert any("left out: it holds the patient's birth date" in note for note in notes)
    assert "Martha" not in json.dumps([(i.summary, i.value) for i in summary.items])
    # The record's own values count too (another name than the bundle's).
    medication["code"]["text"] = "Given to Addel"
    record = Identity(names=("Roger", "Addel"), birth_dates=(date(1976, 2, 5),))
    assert any("name" in item.summary for item in read(bundle, record).items if item.field == NOTE)


def test_relative_references_resolve_against_the_fullurl_base_and_by_type_and_id():
    summary = read("Bundle-bundle-no-info-required-sections.json")  # "Immunization/4ab0…" from https://…/fhir/ fullUrls
    assert by_field(summary)["other_information"] == [
        "Immunizations: Influenza, seasonal, injectable, 03/07/2020",
        "Immunizations: Influenza, seasonal, injectable, 03/06/2019",
    ]
    bundle = raw()
    for number, entry in enumerate(bundle["entry"]):
        if entry["resource"]["resourceType"] == "Medication":
            entry["fullUrl"] = f"urn:uuid:00000000-0000-0000-0000-{number:012d}"  # found by type and id only
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "MedicationStatement":
            reference = entry["resource"]["medicationReference"]
            reference["reference"] = reference["reference"].replace("urn:uuid:", "Medication/")
    assert [m["medicine"] for m in by_field(read(bundle))["medications"]] == [MEDS, "Black Cohosh Extract herbal supplement"]


def test_an_empty_section_says_why_and_imports_nothing():
    notes = [item for item in read("Bundle-bundle-no-info-required-sections.json").items if item.field == NOTE]
    assert [n.summary for n in notes] == [
        "Allergies and Intolerances: nothing recorded: No information available.",
        "Problem List: nothing recorded: No information available.",
        "Medication Summary: nothing recorded: No information available.",
    ]
    assert all(n.value == "" for n in notes)


def test_a_narrative_only_section_is_proposed_as_plain_text_for_its_long_text_field():
    bundle = raw("Bundle-bundle-minimal.json")
    composition = bundle["entry"][0]["resource"]
    composition["section"].append(
        {
            "title": "Social History",
            "code": {"coding": [{"system": "http://loinc.org", "code": "29762-2"}]},
            "text": {
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Never smoked.</p><ul><li>Cycles <b>daily</b></li></ul></div>',
            },
        }
    )
    assert by_field(read(bundle))["health_behaviours"] == ["Never smoked.\nCycles daily"]


@pytest.mark.parametrize(
    ("system", "code", "field", "value"),
    [
        ("http://www.orpha.net", "ORPHA:85443", "diagnosis", "ORPHA:85443 — AL amyloidosis"),
        ("https://www.orpha.net", "85443", "diagnosis", "ORPHA:85443 — AL amyloidosis"),
        ("http://purl.obolibrary.org/obo/hp.owl", "HP:0001250", "phenotype", "HP:0001250 — Seizure"),
        ("http://human-phenotype-ontology.org", "HP:0001250", "phenotype", "HP:0001250 — Seizure"),
    ],
)
def test_orphanet_and_hpo_codes_are_taken_under_their_common_uris(system, code, field, value):
    bundle = raw("Bundle-bundle-minimal.json")
    condition = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition")
    condition["code"] = {"coding": [{"system": system, "code": code}]}
    assert by_field(read(bundle))[field] == [value]


def test_a_file_too_large_is_refused():
    assert "larger than 5 MB" in refused(b" " * (10 * 1024 * 1024))


def test_deep_nesting_is_refused_before_parsing():
    assert "nests its data more than" in refused(b"[" * 10_000 + b"]" * 10_000)
    assert "nests its data more than" in refused(('{"resourceType": "Bundle", "x": ' + '{"a": ' * 10_000 + "1" + "}" * 10_001).encode())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json at all", "not valid JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"", "empty"),
        (b'{"a": NaN}', "not valid JSON"),
        (b"[]", "not a FHIR Bundle"),
        (b'{"resourceType": "Patient"}', "not a FHIR Bundle"),
        (b'{"resourceType": "Bundle", "type": "collection", "entry": []}', "not of type document"),
        (b'{"resourceType": "Bundle", "type": "document", "entry": []}', "no entries"),
    ],
)
def test_what_is_not_a_patient_summary_is_refused_with_a_clear_message(data, message):
    assert message in refused(data)


def test_wrong_types_are_refused_naming_where_without_echoing_the_value():
    bundle = raw()
    patient = bundle["entry"][1]["resource"]
    patient["birthDate"] = "Martha-secret"
    patient["gender"] = 5
    message = refused(json.dumps(bundle).encode())
    assert "does not follow FHIR R4" in message and "birthDate" in message and "gender" in message
    assert "Martha-secret" not in message


def test_a_bundle_without_a_composition_first_is_refused():
    bundle = raw()
    bundle["entry"] = bundle["entry"][1:]
    assert "does not start with a Composition" in refused(json.dumps(bundle).encode())


def test_references_that_loop_or_lead_nowhere_are_refused():
    bundle = raw()
    observations = {e["resource"]["id"]: e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"}
    member = observations["aa11a2be-3e36-4be7-b58a-6fc3dace2741"]
    member["hasMember"] = [{"reference": "urn:uuid:2639657a-c19a-48e2-82cc-471e13b8ad94"}]  # back to its group
    assert "loop" in refused(json.dumps(bundle).encode())

    bundle = raw()
    bundle["entry"][0]["resource"]["section"][0]["entry"][0]["reference"] = "Condition/nowhere"
    message = refused(json.dumps(bundle).encode())
    assert "not in the bundle" in message and "Active Problems" in message and "nowhere" not in message


def test_the_parsed_example_is_not_changed_by_reading_it():
    bundle = raw()
    before = copy.deepcopy(bundle)
    read(bundle)
    assert bundle == before
