"""Importing a patient summary on the consultation form's page: items wait, marked, until accepted into the draft;
only those who may fill the form import or decide; a bad file is refused with its reason and nothing is kept."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.database import db
from app.interop.models import ACCEPTED
from app.interop.models import PENDING
from app.interop.models import REJECTED
from app.interop.models import ImportedItem
from app.panels import services as panel_services
from app.tasks import queries as task_queries
from tests import factories

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "fhir-ips" / "Bundle-IPS-examples-Bundle-01.json"
MARK = "Imported — not in the form until you accept it"


@pytest.fixture
def consultation(world):
    """The open consultation task of a panel Hanna Peeters (BE10) opened on her centre's patient."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    area_id = next(a.id for a in patient.ern.thematic_areas if a.name == "Amyloidosis")
    _panel_id, task_id = panel_services.open_panel(world.clinician, patient.id, area_id, factories.ORIGIN)
    return task_id


def upload(client, task_id: str, data: bytes, name: str = "ips.json"):
    """The form's file upload, encoded here: the test client would spool a large body to a file it never closes."""
    boundary = "consilium-test-boundary"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="bundle"; filename="{name}"\r\nContent-Type: application/json\r\n\r\n'
    body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post(f"/tasks/{task_id}/summary", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def items(task_id: str) -> list[ImportedItem]:
    return list(db.session.scalars(select(ImportedItem).where(ImportedItem.engine_task_id == task_id).order_by(ImportedItem.position)))


def item_of(task_id: str, field: str, index: int = 0) -> ImportedItem:
    return [item for item in items(task_id) if item.field == field][index]


def test_an_imported_summary_waits_marked_on_the_form_until_accepted(world, login, consultation):
    client = login(world.clinician)
    response = upload(client, consultation, EXAMPLE.read_bytes())
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{consultation}#summary-import")
    page = client.get(f"/tasks/{consultation}").text
    assert "Import from a patient summary (FHIR IPS)" in page
    assert page.count(MARK) == 14
    assert "Black Cohosh Extract herbal supplement" in page
    # Notes on the import: the example's person is not this patient (another birth date and gender).
    assert "The birth date in this summary is not the patient&#39;s" in page
    assert task_queries.draft_of(consultation) is None  # nothing is in the form yet

    medicine = item_of(consultation, "medications", 1)
    assert client.post(f"/tasks/{consultation}/summary/items/{medicine.id}/accept").status_code == 302
    allergy = item_of(consultation, "allergies")
    assert client.post(f"/tasks/{consultation}/summary/items/{allergy.id}/accept").status_code == 302
    result = item_of(consultation, "other_information", 1)
    assert client.post(f"/tasks/{consultation}/summary/items/{result.id}/reject").status_code == 302
    draft = task_queries.draft_of(consultation)
    assert draft.raw_answers["medications"] == [
        {"medicine": "Black Cohosh Extract herbal supplement", "dose": "Oral use", "since": "01/2016"}
    ]
    assert draft.raw_answers["allergies"][0]["reaction"] == "criticality: high"
    assert "other_information" not in draft.raw_answers
    assert (medicine.status, allergy.status, result.status) == (ACCEPTED, ACCEPTED, REJECTED)
    assert medicine.decided_by_id == world.clinician.id

    page = client.get(f"/tasks/{consultation}").text
    assert page.count(MARK) == 11
    assert re.search(r'name="medications-0-medicine"[^>]*value="Black Cohosh Extract herbal supplement"', page)
    assert re.search(r'name="medications-0-since"[^>]*value="01/2016"', page)

    # Decided once: a second decision is refused (409), and nothing changes.
    assert client.post(f"/tasks/{consultation}/summary/items/{medicine.id}/reject").status_code == 409
    assert medicine.status == ACCEPTED


def test_accept_all_fills_the_draft_and_keeps_what_was_typed(world, login, consultation):
    client = login(world.clinician)
    client.post(f"/tasks/{consultation}/draft", data={"nickname": "grey owl", "other_information": "Seen twice.", "draft_revision": "0"})
    upload(client, consultation, EXAMPLE.read_bytes())
    response = client.post(f"/tasks/{consultation}/summary/accept-all")
    assert response.status_code == 302
    assert {item.status for item in items(consultation)} <= {ACCEPTED, REJECTED} and not [
        i for i in items(consultation) if i.status == PENDING
    ]
    draft = task_queries.draft_of(consultation)
    assert draft.raw_answers["nickname"] == "grey owl"
    assert draft.raw_answers["other_information"].startswith("Seen twice.\nPlan of Treatment: Continue hormone")
    assert len(draft.raw_answers["medications"]) == 2 and len(draft.raw_answers["allergies"]) == 2
    assert draft.raw_answers["comorbidities"][0]["condition"] == "N95.1 — Menopausal and female climacteric states"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[" * 10_000 + b"]" * 10_000, "nests its data more than"),
        (
            b'{"resourceType": "Bundle", "type": "document", "entry": [{"resource": {"resourceType": "Composition", "status": 7}}]}',
            "does not follow FHIR R4",
        ),
        (b" " * (10 * 1024 * 1024), "larger than 5 MB"),
    ],
)
def test_a_bad_file_is_refused_with_its_reason_and_nothing_is_kept(world, login, consultation, data, message):
    response = upload(login(world.clinician), consultation, data)
    assert response.status_code == 422
    assert message in response.text and "Nothing from this file was kept." in response.text
    assert items(consultation) == []
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "task.summary_imported")) == 0


def test_no_file_is_refused(world, login, consultation):
    response = login(world.clinician).post(f"/tasks/{consultation}/summary", data={})
    assert response.status_code == 422 and "The file is empty" in response.text


@pytest.mark.parametrize("who", ["brno_clinician", "researcher"])
def test_only_those_who_may_fill_the_form_import_or_decide(world, login, consultation, who):
    upload(login(world.clinician), consultation, EXAMPLE.read_bytes())
    pending = item_of(consultation, "medications")
    before = len(items(consultation))
    client = login(getattr(world, who))
    assert upload(client, consultation, EXAMPLE.read_bytes()).status_code == 403
    assert len(items(consultation)) == before
    assert client.post(f"/tasks/{consultation}/summary/items/{pending.id}/accept").status_code == 403
    assert client.post(f"/tasks/{consultation}/summary/accept-all").status_code == 403
    assert pending.status == PENDING and task_queries.draft_of(consultation) is None


def test_an_item_of_another_task_is_not_found_there(world, login, consultation):
    client = login(world.clinician)
    upload(client, consultation, EXAMPLE.read_bytes())
    other = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    item = item_of(consultation, "medications")
    assert client.post(f"/tasks/{other}/summary/items/{item.id}/accept").status_code == 404
    assert client.post(f"/tasks/{consultation}/summary/items/999999/accept").status_code == 404
    assert item.status == PENDING


def test_only_a_consultation_form_takes_a_summary(world, login):
    client = login(world.clinician)
    enrolment = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    response = upload(client, enrolment, EXAMPLE.read_bytes())
    assert response.status_code == 422 and "consultation form only" in response.text
    assert "Import from a patient summary" not in client.get(f"/tasks/{enrolment}").text


def test_a_note_is_dismissed_not_accepted(world, login, consultation):
    client = login(world.clinician)
    upload(client, consultation, EXAMPLE.read_bytes())
    note = item_of(consultation, "")
    response = client.post(f"/tasks/{consultation}/summary/items/{note.id}/accept", follow_redirects=True)
    assert "A note has nothing to accept" in response.text and note.status == PENDING
    client.post(f"/tasks/{consultation}/summary/items/{note.id}/reject")
    assert note.status == REJECTED


def test_the_audit_log_records_the_import_without_its_values(world, login, consultation):
    client = login(world.clinician)
    upload(client, consultation, EXAMPLE.read_bytes())
    client.post(f"/tasks/{consultation}/summary/items/{item_of(consultation, 'medications').id}/accept")
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("task.%import%"))).all()
    assert [e.action for e in entries] == ["task.summary_imported", "task.imported_item_accepted"]
    assert "anastrozole" not in str([e.details for e in entries]).lower()


# As tests/access/test_every_route.py calls them: {task} is an enrolment task of BE10, item 1 does not exist.
ROUTES = {
    "ips_import.upload": "/tasks/{task}/summary",
    "ips_import.accept": "/tasks/{task}/summary/items/1/accept",
    "ips_import.reject": "/tasks/{task}/summary/items/1/reject",
    "ips_import.accept_all": "/tasks/{task}/summary/accept-all",
}
EXPECTED = {
    "ips_import.upload": {"clinician": 422, "brno_clinician": 403, "researcher": 403},
    "ips_import.accept": {"clinician": 404, "brno_clinician": 403, "researcher": 403},
    "ips_import.reject": {"clinician": 404, "brno_clinician": 403, "researcher": 403},
    "ips_import.accept_all": {"clinician": 302, "brno_clinician": 403, "researcher": 403},
}


@pytest.mark.parametrize("who", ["clinician", "brno_clinician", "researcher"])
def test_each_route_answers_as_the_access_table_expects(world, login, who):
    task = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    client = login(getattr(world, who))
    for endpoint, url in ROUTES.items():
        response = client.post(url.format(task=task), data={"centre_id": "", "ern_id": ""})
        assert response.status_code == EXPECTED[endpoint][who], endpoint
    client.post("/logout")
    assert client.post(ROUTES["ips_import.upload"].format(task=task)).status_code == 302  # signed out: to the sign-in page


def test_the_patients_name_in_a_section_title_or_an_empty_reason_is_never_kept(world, login, consultation):
    """The bundle's own words around the items (a section's title, why it is empty) are checked as the items are."""
    section = {
        "title": "Allergies of Roger Addel",
        "code": {"coding": [{"system": "http://loinc.org", "code": "48765-2"}]},
        "emptyReason": {"text": "Roger Addel born 05/02/1976 declined"},
    }
    composition = {"resourceType": "Composition", "status": "final", "type": {"text": "IPS"}, "date": "2026-01-01"}
    composition |= {"author": [{"display": "A doctor"}], "title": "Patient summary", "section": [section]}
    bundle = {"resourceType": "Bundle", "type": "document", "entry": [{"fullUrl": "urn:uuid:1", "resource": composition}]}
    upload(login(world.clinician), consultation, json.dumps(bundle).encode())
    kept = items(consultation)
    assert kept, "the section was read"
    for item in kept:
        assert "Addel" not in item.summary + item.source and "1976" not in item.summary + item.source
