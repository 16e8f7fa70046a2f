from sqlalchemy import select

from app.database import db
from app.patients.models import Patient
from tests import factories


def enrol_form(client, world):
    response = client.post("/patients/enrol", data={"centre_id": world.leuven.id, "ern_id": world.ern.id})
    assert response.status_code == 302
    return response.headers["Location"]


def test_clinician_enrols_a_patient_through_the_form_and_finds_them_in_the_list(world, login):
    client = login(world.clinician)
    form_url = enrol_form(client, world)
    page = client.get(form_url)
    assert page.status_code == 200
    assert "Enrol patient" in page.text and 'name="date_of_birth"' in page.text

    response = client.post(form_url, data=factories.enrolment_answers(first_name="Hélène", last_name="Dupré"))
    assert response.status_code == 302
    patient = db.session.scalar(select(Patient).where(Patient.last_name == "Dupré"))
    assert response.headers["Location"].endswith(f"/patients/{patient.id}")

    searched = client.post("/patients/search", data={"centre": "BE10", "q": "helene"})
    assert searched.headers["Location"].endswith("/patients/?centre=BE10")  # the term stays out of the URL
    listing = client.get("/patients/?centre=BE10")
    assert "ERN-BE10-EuroBloodNet-001" in listing.text and "Dupré" in listing.text
    assert 'value="helene"' in listing.text
    cleared = client.post("/patients/search", data={"centre": "BE10", "q": ""})
    assert cleared.status_code == 302 and 'value="helene"' not in client.get("/patients/?centre=BE10").text


def test_an_error_is_shown_next_to_its_field_and_keeps_what_was_typed(world, login):
    client = login(world.clinician)
    form_url = enrol_form(client, world)
    response = client.post(form_url, data=factories.enrolment_answers(first_name="Zoë", date_of_birth="31/02/2020"))
    assert response.status_code == 422
    assert "31/02/2020 is not a real date." in response.text
    assert 'id="date_of_birth-error"' in response.text and 'aria-describedby="date_of_birth-error"' in response.text
    assert 'value="Zoë"' in response.text and 'value="31/02/2020"' in response.text
    assert db.session.scalar(select(Patient)) is None


def test_patient_list_shows_every_column_and_sorts(world, login):
    factories.enrol(world.clinician, world.leuven, world.ern, last_name="Zeta")
    factories.enrol(world.clinician, world.leuven, world.ern, last_name="Alpha")
    client = login(world.clinician)
    page = client.get("/patients/?centre=BE10&sort=last_name&dir=desc")
    for column in (
        "Last name",
        "First name",
        "Record label",
        "CPMS ID",
        "Enrolled",
        "Gender",
        "Frozen",
        "Date of birth",
        "Consent",
        "Consent research",
    ):
        assert f">{column}" in page.text
    assert page.text.index("Zeta") < page.text.index("Alpha")
    assert "05/Feb/1976" in page.text


def test_another_centres_patient_is_not_found(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    client = login(world.brno_clinician)
    assert client.get(f"/patients/{patient.id}").status_code == 404
    assert "Addel" not in client.get("/patients/?centre=BE10").text


def test_enrolment_for_another_centre_is_refused(world, login):
    client = login(world.brno_clinician)
    response = client.post("/patients/enrol", data={"centre_id": world.leuven.id, "ern_id": world.ern.id})
    assert response.status_code == 403


def test_malformed_enrolment_request_is_a_clear_error(world, login):
    client = login(world.clinician)
    response = client.post("/patients/enrol", data={"centre_id": "abc", "ern_id": ""})
    assert response.status_code == 422
    assert "Choose a centre and an ERN." in response.text


def test_second_submission_of_the_same_form_says_it_was_answered(world, login):
    client = login(world.clinician)
    form_url = enrol_form(client, world)
    assert client.post(form_url, data=factories.enrolment_answers()).status_code == 302
    again = client.post(form_url, data=factories.enrolment_answers())
    assert again.status_code == 409
    assert "You already answered on " in again.text


def test_centre_dashboard_counts_patients_and_shows_recent_activity(world, login):
    factories.enrol(world.clinician, world.leuven, world.ern)
    page = login(world.clinician).get("/centres/BE10")
    assert page.status_code == 200
    assert "ERN-BE10-EuroBloodNet-001 enrolled" in page.text
    assert 'class="display-6 mb-2">1<' in page.text


def test_every_page_says_training_environment_in_demo_mode(world, login):
    client = login(world.clinician)
    for url in ("/", "/centres/BE10", "/patients/?centre=BE10", "/preferences", "/login"):
        assert "Training environment — fake data only" in client.get(url, follow_redirects=True).text


def test_an_abandoned_enrolment_can_be_discarded_and_leaves_nothing(world, login):
    from app.tasks.models import OpenTask
    from app.workflows.models import ProcessInstance

    client = login(world.clinician)
    form_url = enrol_form(client, world)
    assert "started by Hanna Peeters" in client.get("/").text
    task_id = form_url.rsplit("/", 1)[-1]
    assert client.post(f"/patients/enrolments/{task_id}/discard").status_code == 302
    assert "Nothing is waiting for you." in client.get("/").text
    assert db.session.scalar(select(OpenTask)) is None
    assert db.session.scalar(select(ProcessInstance.status).where(ProcessInstance.process_id == "enrolment")) == "cancelled"
    assert db.session.scalar(select(Patient)) is None
    gone = client.get(form_url)  # the one who started it is told what became of it
    assert gone.status_code == 409 and "This task was cancelled with its case on " in gone.text
    assert client.post(f"/patients/enrolments/{task_id}/discard").status_code == 404


def test_only_the_centre_can_discard_an_enrolment(world, login):
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    client = login(world.brno_clinician)
    assert client.post(f"/patients/enrolments/{task_id}/discard").status_code == 403


def test_the_enrolment_form_is_told_of_a_patient_with_the_same_names_and_birth_date(world, login):
    existing = factories.enrol(world.clinician, world.leuven, world.ern)
    client = login(world.colleague)
    form_url = enrol_form(client, world)
    lookup = form_url.replace("/tasks/", "/patients/enrolments/") + "/possible-duplicates"
    typed = {"first_name": "ROGER", "last_name": "addel", "date_of_birth": "5/2/1976"}
    response = client.post(lookup, data=typed)
    assert response.status_code == 200
    assert response.json["matches"] == [{"cpms_id": existing.cpms_id, "url": f"/patients/{existing.id}"}]
    html = response.json["html"]
    assert f'href="/patients/{existing.id}" target="_blank" rel="noopener">{existing.cpms_id}</a>' in html
    assert "already enrolled at your centre" in html
    nothing = client.post(lookup, data=typed | {"date_of_birth": "06/02/1976"})
    assert nothing.json == {"matches": [], "html": ""}
    unfinished = client.post(lookup, data=typed | {"date_of_birth": "05/02"})
    assert unfinished.json == {"matches": [], "html": ""}


def test_another_centre_cannot_ask_for_duplicates_and_learns_nothing(world, login):
    existing = factories.enrol(world.clinician, world.leuven, world.ern)
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    client = login(world.brno_clinician)
    typed = {"first_name": "Roger", "last_name": "Addel", "date_of_birth": "05/02/1976"}
    response = client.post(f"/patients/enrolments/{task_id}/possible-duplicates", data=typed, headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert existing.cpms_id not in response.text and "/patients/" not in response.text


def test_both_records_of_a_possible_duplicate_say_so(world, login):
    first = factories.enrol(world.clinician, world.leuven, world.ern)
    second = factories.enrol(world.colleague, world.leuven, world.ern, first_name="Addel", last_name="Roger")
    other = factories.enrol(world.clinician, world.leuven, world.ern, first_name="Ana")
    client = login(world.clinician)
    page = client.get(f"/patients/{second.id}").text
    assert "Possible duplicate: same names and birth date as" in page
    assert f'<a class="alert-link" href="/patients/{first.id}">{first.cpms_id}</a>' in page
    assert f'href="/patients/{second.id}">' in client.get(f"/patients/{first.id}").text
    assert "Possible duplicate" not in client.get(f"/patients/{other.id}").text
