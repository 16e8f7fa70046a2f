"""The centre edits a record after enrolment: each change is kept with the earlier value; withdrawn consents have their
consequences in the same step; refused input changes nothing and comes back in the form."""

import io

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.database import db
from app.database import utcnow
from app.documents.models import Document
from app.panels.models import Panel
from app.patients.models import Patient
from app.patients.models import PatientChange
from tests import factories


@pytest.fixture
def patient(world):
    return factories.enrol(world.clinician, world.leuven, world.ern, consent_registry="yes", registry_name="EBN registry")


def _form(client, patient_id, **changes):
    """What the edit page shows, as the browser would send it back, with ``changes`` typed in."""
    page = client.get(f"/patients/{patient_id}/edit")
    assert page.status_code == 200
    answers = dict(factories.enrolment_answers(consent_registry="yes", registry_name="EBN registry", record_label=""))
    answers["record_label"] = db.session.get(Patient, patient_id).record_label
    answers.update(changes)
    return answers


def test_an_edit_is_kept_in_the_history_with_the_earlier_value_and_audited(world, login, patient):
    client = login(world.clinician)
    response = client.post(f"/patients/{patient.id}/edit", data=_form(client, patient.id, last_name="Adel", note="Misspelt at enrolment."))
    assert response.status_code == 302
    db.session.refresh(patient)
    assert patient.last_name == "Adel" and "adel" in patient.search_text
    page = client.get(f"/patients/{patient.id}").text
    assert "saved: the history shows what changed" in page
    history = page[page.index('id="history"') :]
    assert "Record edited" in history and "Addel" in history and "Adel" in history and "Misspelt at enrolment." in history
    change = db.session.scalar(select(PatientChange).where(PatientChange.patient_id == patient.id))
    # The standard record label follows the new name.
    assert change.changes == [
        {"field": "last_name", "before": "Addel", "after": "Adel"},
        {"field": "record_label", "before": "Addel, Roger DOB: 05/02/1976 (M)", "after": "Adel, Roger DOB: 05/02/1976 (M)"},
    ]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "patient.edited"))
    assert entry.details["fields"] == ["last_name", "record_label"] and "Adel" not in str(entry.details)


def test_a_consent_date_in_the_future_is_refused_and_nothing_changes(world, login, patient):
    client = login(world.clinician)
    typed = _form(client, patient.id, consent_research="yes", consent_research_date="01/01/2099", first_name="Rogier")
    response = client.post(f"/patients/{patient.id}/edit", data=typed)
    assert response.status_code == 422
    assert "Date of research consent" in response.text and 'value="Rogier"' in response.text
    db.session.refresh(patient)
    assert patient.first_name == "Roger" and not patient.consent_research
    assert db.session.scalar(select(PatientChange).where(PatientChange.patient_id == patient.id)) is None


def test_withdrawn_care_consent_freezes_the_record_and_needs_the_date_of_the_withdrawal(world, login, patient):
    client = login(world.clinician)
    undated = client.post(f"/patients/{patient.id}/edit", data=_form(client, patient.id, consent_care="no"))
    assert undated.status_code == 422 and "Give the date of the new answer" in undated.text
    db.session.refresh(patient)
    assert patient.consent_care and not patient.frozen
    dated = client.post(f"/patients/{patient.id}/edit", data=_form(client, patient.id, consent_care="no", consent_care_date="02/11/2026"))
    assert dated.status_code == 302
    db.session.refresh(patient)
    assert not patient.consent_care and patient.frozen and patient.frozen_reason == "Consent for care withdrawn."
    page = client.get(f"/patients/{patient.id}").text
    assert "the record is frozen" in page and "Record frozen" in page and "Open a panel on" not in page


def test_withdrawn_registry_consent_ends_the_research_release(world, login, patient):
    panel_id = factories.open_panel(world.clinician, patient)
    panel = db.session.get(Panel, panel_id)
    panel.released_at = utcnow()  # as after a signed-off, closed panel was released (tests/app/panels cover how)
    db.session.commit()
    researcher = login(world.researcher)
    assert researcher.get(f"/panels/{panel_id}").status_code == 200
    researcher.post("/logout")
    client = login(world.clinician)
    typed = _form(client, patient.id, consent_registry="no", consent_registry_date="03/11/2026")
    response = client.post(f"/patients/{patient.id}/edit", data=typed)
    assert response.status_code == 302
    assert "1 panel(s) are no longer released" in client.get(response.location).text
    db.session.refresh(panel)
    assert panel.released_at is None
    client.post("/logout")
    assert login(world.researcher).get(f"/panels/{panel_id}").status_code == 404


def test_a_new_name_found_in_a_panel_nickname_is_refused_until_the_nickname_changes(world, login, patient):
    panel_id = factories.open_panel(world.clinician, patient, nickname="Heron case")
    client = login(world.clinician)
    response = client.post(f"/patients/{patient.id}/edit", data=_form(client, patient.id, last_name="Heron"))
    assert response.status_code == 422 and f"panel #{panel_id}" in response.text and 'value="Heron"' in response.text
    db.session.refresh(patient)
    assert patient.last_name == "Addel"


def test_a_frozen_record_changes_only_its_consents(world, login, patient):
    from app.patients import services

    services.set_frozen(world.clinician, patient.id, True, "Under review.", factories.ORIGIN)
    client = login(world.clinician)
    response = client.post(f"/patients/{patient.id}/edit", data=_form(client, patient.id, first_name="Rogier"))
    assert response.status_code == 409 and "Unfreeze it first" in response.text and 'value="Rogier"' in response.text
    db.session.refresh(patient)
    assert patient.first_name == "Roger"


def test_an_unchanged_form_changes_nothing(world, login, patient):
    client = login(world.clinician)
    response = client.post(f"/patients/{patient.id}/edit", data=_form(client, patient.id))
    assert response.status_code == 302
    assert "Nothing changed" in client.get(response.location).text


@pytest.mark.parametrize("who", ["brno_clinician", "researcher", "coordinator"])
def test_only_the_centre_edits(world, login, patient, who):
    client = login(getattr(world, who))
    assert client.get(f"/patients/{patient.id}/edit").status_code == 404
    assert client.post(f"/patients/{patient.id}/edit", data=factories.enrolment_answers(last_name="X")).status_code == 404
    db.session.refresh(patient)
    assert patient.last_name == "Addel"


def test_a_signed_consent_form_is_kept_in_the_record_never_on_a_panel(world, login, patient):
    panel_id = factories.open_panel(world.clinician, patient)
    client = login(world.clinician)
    scan = {"file": [(io.BytesIO(factories.pdf()), "consent.pdf")], "title": "Signed consent 2026", "kind": "consent"}
    kept = client.post(f"/patients/{patient.id}/documents", data=scan, content_type="multipart/form-data")
    assert kept.status_code == 302
    page = client.get(f"/patients/{patient.id}").text
    assert "Signed consent 2026" in page and "signed consent" in page
    scan = {"file": [(io.BytesIO(factories.pdf()), "consent.pdf")], "title": "Signed consent", "kind": "consent"}
    refused = client.post(f"/panels/{panel_id}/documents", data=scan, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert db.session.scalar(select(Document.id).where(Document.panel_id == panel_id, Document.kind == "consent")) is None
