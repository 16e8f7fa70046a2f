"""HPO, ORPHA and ICD-10 from the packages that ship them: search, codes in answers, the picker's routes."""

import pytest

from app.database import db
from app.panels.models import Panel
from app.tasks.answers import AnswerError
from app.tasks.answers import clean_value
from app.tasks.form_definitions import load_form_definitions
from app.terminology.catalogue import ICD10
from app.terminology.catalogue import ORPHA
from app.terminology.catalogue import catalogue
from tests import factories
from tests.factories import complete
from tests.factories import task_of


def test_the_catalogue_holds_the_whole_of_each_terminology_with_its_release():
    terms = catalogue().terms
    counts = {system: sum(1 for t in terms if t.system == system) for system in ("HPO", ORPHA, ICD10)}
    assert counts["HPO"] > 19_000 and counts[ORPHA] > 4_000 and counts[ICD10] > 10_000
    assert all(catalogue().versions[system] for system in counts)


@pytest.mark.parametrize(
    ("query", "systems", "first"),
    [
        ("seizure", ["HPO"], "HP:0001250"),
        ("SEIZ", ["HPO"], "HP:0001250"),
        ("hp:0001250", ["HPO"], "HP:0001250"),
        ("ORPHA:85443", [ORPHA], "ORPHA:85443"),
        ("85443", [ORPHA], "ORPHA:85443"),
        ("c81.1", [ICD10], "C81.1"),
        ("C811", [ICD10], "C81.1"),
        ("hodgkin lymphoma", [ICD10], "C81"),
        ("lymphoma hodgk", [ICD10], "C81"),  # words in any order, each a prefix
        ("Ämyloidosis", [ICD10], "E85"),  # accents and case do not matter
    ],
)
def test_search_finds_by_code_label_or_words_best_match_first(query, systems, first):
    assert catalogue().search(query, systems=systems)[0].code == first


def test_one_letter_finds_nothing_rather_than_everything():
    assert catalogue().search("a") == []


@pytest.fixture
def consultation_fields(app):
    form = load_form_definitions(app.config["FORMS_DIR"])["consultation"]
    return {field.name: field for field in form.fields}


def test_a_coded_answer_stores_code_label_and_release_and_unknown_codes_get_a_message(consultation_fields, app):
    diagnosis = consultation_fields["diagnosis"]
    value = clean_value(diagnosis, "ORPHA:85443 — AL amyloidosis", None)
    assert value == {"system": ORPHA, "code": "ORPHA:85443", "label": "AL amyloidosis", "version": catalogue().versions[ORPHA]}
    assert clean_value(diagnosis, "e85", None)["code"] == "E85"
    with pytest.raises(AnswerError, match="not a known ORPHA / ICD-10 code"):
        clean_value(diagnosis, "HP:0001250", None)  # an HPO code where a diagnosis is asked
    with pytest.raises(AnswerError, match="not a known"):
        clean_value(diagnosis, "<script>alert(1)</script>", None)


def test_phenotype_terms_are_marked_present_or_excluded(consultation_fields):
    phenotype = consultation_fields["phenotype"]
    value = clean_value(phenotype, "HP:0001250 — Seizure\nnot HP:0001627\n\nHP:0001250", None)
    assert [(t["code"], t["excluded"]) for t in value] == [("HP:0001250", False), ("HP:0001627", True)]
    with pytest.raises(AnswerError, match="Not HPO codes: HP:9999999"):
        clean_value(phenotype, "HP:0001250\nHP:9999999", None)


def test_the_picker_answers_json_and_without_javascript_a_search_page(world, login):
    client = login(world.clinician)
    found = client.get("/terminology/search?format=json&systems=HPO&q=seizu").get_json()
    assert found[0] == {"system": "HPO", "code": "HP:0001250", "label": "Seizure"}
    page = client.get("/terminology/search?systems=ORPHA&q=amyloidosis").text
    assert "ORPHA:85443" in page and "AL amyloidosis" in page
    assert client.get("/terminology/search?format=json&q=x").get_json() == []


def test_a_submitted_consultation_shows_coded_diagnosis_and_phenotype_to_members(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient, submit=False)
    answers = {**factories.CONSULTATION, "diagnosis": "ORPHA:85443", "phenotype": "HP:0001250\nnot HP:0001627"}
    complete(world.clinician, task_of(world.clinician, "fill_consultation"), answers)
    stored = db.session.get(Panel, panel_id).consultation
    assert stored["diagnosis"]["label"] == "AL amyloidosis" and stored["phenotype"][1]["excluded"] is True
    page = login(world.clinician).get(f"/panels/{panel_id}").text
    assert "AL amyloidosis" in page and "ORPHA:85443" in page and "excluded" in page and "Seizure" in page
