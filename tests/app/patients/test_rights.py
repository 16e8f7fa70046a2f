"""Patients' rights, exercised by the patient's centre: a copy of everything held (PDF, JSON) and the erasure of the
identifying data, after which the pseudonymised record stays and nothing identifying is left to read."""

import json
from io import BytesIO
from pathlib import Path

import pytest
from flask import current_app
from flask import render_template_string
from pypdf import PdfReader
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.database import db
from app.documents.models import Document
from app.documents.storage import LocalStorage
from app.errors import Conflict
from app.errors import InvalidInput
from app.i18n import display_date
from app.panels import services as panel_services
from app.panels.models import Outcome
from app.patients import history
from app.patients import rights
from app.patients.models import Patient
from app.patients.models import PatientChange
from app.patients.models import PatientTransfer
from tests import factories
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of

# What identifies the patient, planted everywhere it can be; none of it may be left after the erasure.
PLANTED = {"first_name": "Ottoline", "last_name": "Quenneville", "date_of_birth": "17/09/1953", "record_label": "Ward 7 bed 3 MRN 884120"}
TRACES = ("Ottoline", "Quenneville", "17/Sep/1953", "17/09/1953", "1953-09-17", "884120")


@pytest.fixture
def case(world):
    """A patient with a letter kept in the record at the centre, and a panel with a consultation, a contribution, a
    signed outcome and a file; the record's history holds an earlier spelling of the name."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern, **PLANTED)
    for user in (world.clinician, world.brno_clinician):
        factories.give_areas(user, world.ern)
    panel_id = factories.open_panel(world.clinician, patient, request_description="Which second-line treatment?")
    panel_services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    complete(
        world.brno_clinician,
        task_of(world.brno_clinician, "record_contribution"),
        {"text": "Cardiac staging first.", "hours": "1", "minutes": "0"},
    )
    complete(world.clinician, task_of(world.clinician, "select_experts"), {})
    outcome = {
        "case_question": "Which treatment?",
        "recommendations": "Re-stage after three cycles.",
        "diagnosis_codes": "",
        "follow_up": "",
    }
    complete(world.clinician, task_of(world.clinician, "draft_outcome"), outcome)
    complete(world.clinician, task_of(world.clinician, "sign_off_outcome"), {"decision": "sign_off", "sign_off_early": ["yes"]})
    shared = factories.attach(world.clinician, panel_id, factories.pdf())
    letter = factories.attach(world.clinician, None, factories.pdf(pages=2), where_patient=patient.id)
    copy = factories.attach(world.clinician, None, factories.pdf(), where_patient=patient.id)  # the same bytes as the panel's file
    db.session.get(Document, letter).title = "Quenneville referral letter"
    history.record(patient, "edited", world.clinician, [{"field": "last_name", "before": "Quennevile", "after": "Quenneville"}], "")
    history.record(patient, "edited", world.clinician, [{"field": "registry_name", "before": "", "after": "EBMT"}], "Asked Ottoline.")
    db.session.add(PatientTransfer(patient_id=patient.id, from_centre_id=world.leuven.id, to_centre_id=world.brno.id, reason="She moves."))
    db.session.add(PatientTransfer(patient_id=patient.id, from_centre_id=world.leuven.id, to_centre_id=world.brno.id, reason="Quenneville"))
    db.session.commit()
    return patient, panel_id, {"shared": shared, "letter": letter, "copy": copy}


def _content_path(document_id: int) -> Path:
    digest = db.session.get(Document, document_id).content_hash
    return Path(current_app.config["STORAGE_DIR"]) / digest[:2] / digest[2:4] / digest


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def _audited(patient: Patient, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.target_id == str(patient.id), AuditEntry.action == action)))


def test_the_centre_downloads_everything_held_about_the_patient_as_json(world, login, case):
    patient, panel_id, documents = case
    response = login(world.colleague).get(f"/patients/{patient.id}/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{patient.cpms_id}-record.json"'
    assert response.headers["Cache-Control"] == "no-store"
    record = json.loads(response.data)

    assert record["patient"]["gender"] == "male"
    assert (record["patient"]["first_name"], record["patient"]["last_name"]) == ("Ottoline", "Quenneville")
    assert record["patient"]["date_of_birth"] == "1953-09-17" and record["patient"]["record_label"] == PLANTED["record_label"]
    assert record["patient"]["cpms_id"] == patient.cpms_id and record["patient"]["identifying_data_erased_at"] is None
    assert record["consents"]["care"] == {"given": True, "date": "2026-03-01"}
    assert record["enrolment"]["enrolled_on"] == "2026-03-01" and record["enrolment"]["enrolled_by"] == world.clinician.full_name
    assert [entry["what"] for entry in record["record_history"]].count("Record edited") == 2
    assert {d["name"] for d in record["documents"]} == {"Quenneville referral letter", "file"}
    assert all(d["type"] == "PDF" and d["kind"] == "document" and d["uploaded_at"] for d in record["documents"])

    (panel,) = record["panels"]
    assert panel["panel"].startswith(f"#{panel_id} ") and panel["thematic_area"] == "Amyloidosis"
    assert any(a["answer"] == "Which second-line treatment?" and a["question"] for a in panel["consultation"]["answers"])
    assert [(c["by"], c["text"]) for c in panel["contributions"]] == [(world.brno_clinician.full_name, "Cardiac staging first.")]
    assert panel["outcome"]["recommendations"] == "Re-stage after three cycles." and panel["outcome"]["signed_at"]
    assert [d["name"] for d in panel["documents"]] == ["file"]
    assert "JVBERi0" not in response.text  # files are listed, never included (base64 of "%PDF-")
    assert [e.details for e in _audited(patient, "patient.exported")] == [{"format": "json"}]


def test_the_pdf_export_is_a_document_to_hand_to_the_patient(world, login, case):
    patient, _panel_id, _documents = case
    response = login(world.clinician).get(f"/patients/{patient.id}/export.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{patient.cpms_id}-record.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    text = _pdf_text(response.data)
    for expected in (patient.cpms_id, "Quenneville", "Ottoline", "17/Sep/1953", "Consent for care", "Quenneville referral letter"):
        assert expected in text
    for expected in (
        "Which second-line treatment?",
        "Cardiac staging first.",
        "Re-stage after three cycles.",
        world.brno_clinician.full_name,
    ):
        assert expected in text
    assert _audited(patient, "patient.exported")[0].details == {"format": "pdf"}


@pytest.mark.parametrize("who", ["brno_clinician", "researcher", "coordinator"])
def test_outside_the_patients_centre_the_export_and_the_erasure_do_not_exist(world, login, case, who):
    patient, _panel_id, _documents = case
    client = login(getattr(world, who))
    for url in (f"/patients/{patient.id}/export.pdf", f"/patients/{patient.id}/export.json", f"/patients/{patient.id}/erase"):
        assert client.get(url).status_code == 404
    response = client.post(f"/patients/{patient.id}/erase", data={"confirmation": patient.cpms_id, "reason": "Request."})
    assert response.status_code == 404
    assert db.session.get(Patient, patient.id).identifying_erased_at is None


def test_the_confirmation_page_says_what_goes_and_what_stays(world, login, case):
    patient, _panel_id, _documents = case
    page = login(world.clinician).get(f"/patients/{patient.id}/erase")
    assert page.status_code == 200
    assert "cannot be undone" in page.text and "Quenneville, Ottoline" in page.text
    assert "2 files kept in the record at this centre" in page.text
    assert "1 panel with its consultation form" in page.text and "1 signed-off outcome" in page.text
    assert f"Type the CPMS ID {patient.cpms_id} to confirm" in page.text
    assert _audited(patient, "patient.viewed")[-1].details == {"page": "erasure"}


def test_an_erasure_needs_the_cpms_id_typed_and_a_reason_that_does_not_identify_the_patient(world, login, case):
    patient, _panel_id, _documents = case
    store = LocalStorage(current_app.config["STORAGE_DIR"])
    with pytest.raises(InvalidInput, match="Type the CPMS ID"):
        rights.erase_identifying_data(world.clinician, patient.id, "ERN-BE10-EuroBloodNet-999", "Written request.", store, ORIGIN)
    with pytest.raises(InvalidInput, match="Say why"):
        rights.erase_identifying_data(world.clinician, patient.id, patient.cpms_id, "  ", store, ORIGIN)
    with pytest.raises(InvalidInput, match="must not identify"):
        rights.erase_identifying_data(world.clinician, patient.id, patient.cpms_id, "Ms Quenneville asked.", store, ORIGIN)

    client = login(world.clinician)
    response = client.post(f"/patients/{patient.id}/erase", data={"confirmation": "wrong", "reason": "Letter of 02/12/2026."})
    assert response.status_code == 422
    assert "Type the CPMS ID exactly." in response.text and "Letter of 02/12/2026." in response.text
    assert 'aria-invalid="true"' in response.text
    assert db.session.get(Patient, patient.id).last_name == "Quenneville"


def test_the_erasure_removes_the_identifying_data_and_record_files_and_keeps_the_pseudonymised_record(world, login, case):
    patient, panel_id, documents = case
    letter, shared = _content_path(documents["letter"]), _content_path(documents["shared"])
    assert _content_path(documents["copy"]) == shared and letter.exists()
    response = login(world.clinician).post(
        f"/patients/{patient.id}/erase", data={"confirmation": f" {patient.cpms_id.lower()} ", "reason": "Written request."}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/patients/{patient.id}")

    erased = db.session.get(Patient, patient.id)
    assert (erased.first_name, erased.last_name, erased.record_label) == ("—", "—", "")
    assert erased.date_of_birth == rights.ERASED_BIRTH_DATE and erased.cpms_id == patient.cpms_id
    assert erased.identifying_erased_at is not None and erased.identifying_erased_by_id == world.clinician.id
    assert erased.identifying_erasure_reason == "Written request."
    assert "quenneville" not in erased.search_text and patient.cpms_id.casefold() in erased.search_text
    # The record's files are gone, from storage too; the panel's file stays, even where the record held the same bytes.
    assert db.session.scalars(select(Document.id).where(Document.patient_id == patient.id)).all() == [documents["shared"]]
    assert not letter.exists() and shared.exists()
    # The pseudonymised record stays: consents, the panel, its signed outcome.
    assert erased.consent_care and erased.gender == "male"
    assert db.session.scalar(select(Outcome.signed_at).where(Outcome.panel_id == panel_id)) is not None
    # The history keeps that something changed and why, not the earlier names; the erasure is in it, and audited.
    changes = db.session.scalars(select(PatientChange).where(PatientChange.patient_id == patient.id).order_by(PatientChange.id)).all()
    assert changes[0].changes == [{"field": "last_name", "before": None, "after": None}]
    assert changes[1].changes == [{"field": "registry_name", "before": "", "after": "EBMT"}] and changes[1].note == "—"
    assert changes[-1].kind == "erased" and changes[-1].note == "Written request."
    assert db.session.scalars(select(PatientTransfer.reason).order_by(PatientTransfer.id)).all() == ["She moves.", "—"]
    assert _audited(patient, "patient.identifying_data_erased")[0].details == {"documents": 2}

    with pytest.raises(Conflict, match="erased already"):
        rights.erase_identifying_data(world.clinician, patient.id, patient.cpms_id, "Again.", LocalStorage("unused"), ORIGIN)
    again = login(world.clinician).post(f"/patients/{patient.id}/erase", data={"confirmation": patient.cpms_id, "reason": "Again."})
    assert again.status_code == 409


def test_after_the_erasure_nothing_identifying_is_left_in_the_record_the_exports_or_the_list(world, login, case):
    patient, _panel_id, _documents = case
    client = login(world.clinician)
    before = client.get("/patients/?centre=BE10").text + client.get(f"/patients/{patient.id}").text
    assert all(trace in before for trace in ("Ottoline", "Quenneville", "17/Sep/1953", "884120"))  # planted where we look

    erased = client.post(
        f"/patients/{patient.id}/erase", data={"confirmation": patient.cpms_id, "reason": "Request."}, follow_redirects=True
    )
    assert erased.status_code == 200 and "are erased; the pseudonymised record stays" in erased.text
    client.post("/patients/search", data={"centre": "BE10", "q": "Quenneville"})
    assert patient.cpms_id not in client.get("/patients/?centre=BE10").text  # the name finds the record no more
    client.post("/patients/search", data={"centre": "BE10", "q": ""})
    shown = {
        "record": erased.text,
        "list": client.get("/patients/?centre=BE10").text,
        "erase page": client.get(f"/patients/{patient.id}/erase").text,
        "json": client.get(f"/patients/{patient.id}/export.json").get_data(as_text=True),
        "pdf": _pdf_text(client.get(f"/patients/{patient.id}/export.pdf").data),
    }
    assert patient.cpms_id in shown["list"] and patient.cpms_id in shown["json"] and patient.cpms_id in shown["pdf"]
    left = {(where, trace) for where, text in shown.items() for trace in TRACES if trace.casefold() in text.casefold()}
    assert left == set()
    record = json.loads(shown["json"])["patient"]
    assert record["first_name"] is None and record["date_of_birth"] is None and record["identifying_data_erased_at"]
    assert "erased on" in shown["pdf"]


def test_the_record_page_parts_offer_the_export_and_the_erasure_then_say_when_the_data_were_erased(app, world, case):
    patient, _panel_id, _documents = case
    page = "{% import 'patients/rights/_record.html' as rights %}{{ rights.erased_notice(patient) }}{{ rights.actions(patient) }}"
    with app.test_request_context():
        before = render_template_string(page, patient=patient)
    assert "Export (PDF)" in before and "Export (JSON)" in before and f"/patients/{patient.id}/erase" in before
    assert "identifying-erased" not in before

    rights.erase_identifying_data(world.clinician, patient.id, patient.cpms_id, "Written request.", LocalStorage("unused"), ORIGIN)
    with app.test_request_context():
        after = render_template_string(page, patient=patient)
    assert f"Identifying data erased on {display_date(patient.identifying_erased_at)}" in after and "Reason: Written request." in after
    assert f"/patients/{patient.id}/erase" not in after and "Export (JSON)" in after
