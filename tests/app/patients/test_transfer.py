"""A record moves to another centre of the ERN through bpmn/transfer.bpmn: the patient's centre asks, a clinician of
the receiving centre accepts or declines. On acceptance the identifying data and documents move, the CPMS ID and the
panels stay, the old centre no longer sees the identifying data and the people concerned are told."""

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.database import db
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotFound
from app.notifications.models import Notification
from app.panels.models import Panel
from app.patients import transfer
from app.patients.models import PatientTransfer
from app.patients.models import TransferStatus
from tests import factories
from tests.factories import ORIGIN


@pytest.fixture
def patient(world):
    return factories.enrol(world.clinician, world.leuven, world.ern)


def _decide(user, decision, comment=""):
    return factories.complete(user, factories.task_of(user, "decide_transfer"), {"decision": decision, "comment": comment})


def test_an_accepted_transfer_moves_the_record_and_its_documents_and_keeps_the_panels(world, login, patient):
    factories.give_areas(world.brno_clinician, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    document_id = factories.attach(world.clinician, panel_id, factories.pdf(), where_patient=patient.id)
    cpms_id = patient.cpms_id
    client = login(world.clinician)
    response = client.post(f"/patients/{patient.id}/transfer", data={"centre_id": world.brno.id, "reason": "The family moved to Brno."})
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "Transfer to CZ08 requested" in page and 'id="transfer-pending"' in page
    client.post("/logout")

    brno = login(world.brno_clinician)
    assert brno.get(f"/patients/{patient.id}").status_code == 404  # not theirs before they accept
    task_page = brno.get(f"/tasks/{factories.task_of(world.brno_clinician, 'decide_transfer')}").text
    assert cpms_id in task_page and "The family moved to Brno." in task_page and "Addel" not in task_page
    assert Notification.query.filter_by(user_id=world.brno_clinician.id).count() == 1
    _decide(world.brno_clinician, "accept")
    db.session.expire_all()
    assert patient.centre_id == world.brno.id and patient.cpms_id == cpms_id
    assert db.session.get(Panel, panel_id).centre_id == world.brno.id
    record = brno.get(f"/patients/{patient.id}").text
    assert "Addel" in record and "Record transferred" in record and f"/documents/{document_id}/download" in record
    brno.post("/logout")

    leuven = login(world.colleague)
    assert leuven.get(f"/patients/{patient.id}").status_code == 404
    assert "Addel" not in leuven.get("/patients/").text
    assert leuven.get(f"/documents/{document_id}/download").status_code == 404
    leuven.post("/logout")
    # The lead keeps the panel; the requester and the lead are told, by CPMS ID only.
    told = Notification.query.filter_by(user_id=world.clinician.id).all()
    assert any(cpms_id in n.text and "CZ08" in n.text for n in told) and not any("Addel" in n.text for n in told)
    assert login(world.clinician).get(f"/panels/{panel_id}").status_code == 200


def test_a_declined_transfer_leaves_the_record_and_tells_why(world, login, patient):
    transfer.request_transfer(world.clinician, patient.id, world.brno.id, "Second opinion centre.", ORIGIN)
    _decide(world.brno_clinician, "decline", "We do not treat this condition.")
    db.session.expire_all()
    assert patient.centre_id == world.leuven.id
    assert db.session.scalar(select(PatientTransfer.status)) == TransferStatus.DECLINED
    page = login(world.clinician).get(f"/patients/{patient.id}").text
    assert "Transfer declined" in page and "We do not treat this condition." in page
    assert "Ask another centre to take this patient over" in page  # a new request can be made


def test_bad_requests_change_nothing(world, login, patient):
    with pytest.raises(InvalidInput, match="at this centre already"):
        transfer.request_transfer(world.clinician, patient.id, world.leuven.id, "Why not.", ORIGIN)
    with pytest.raises(InvalidInput, match="Say why"):
        transfer.request_transfer(world.clinician, patient.id, world.brno.id, "  ", ORIGIN)
    with pytest.raises(InvalidInput, match="identify the patient"):
        transfer.request_transfer(world.clinician, patient.id, world.brno.id, "Roger Addel moves.", ORIGIN)
    with pytest.raises(NotFound):
        transfer.request_transfer(world.brno_clinician, patient.id, world.brno.id, "Ours now.", ORIGIN)
    assert db.session.scalar(select(PatientTransfer)) is None
    transfer.request_transfer(world.clinician, patient.id, world.brno.id, "Moving.", ORIGIN)
    with pytest.raises(Conflict, match="already waits"):
        transfer.request_transfer(world.colleague, patient.id, world.brno.id, "Moving.", ORIGIN)
    client = login(world.clinician)
    refused = client.post(f"/patients/{patient.id}/transfer", data={"centre_id": world.leuven.id, "reason": "Kept text."})
    assert refused.status_code == 422
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action == "patient.transfer_requested")).all()
    assert actions == ["patient.transfer_requested"]


def test_over_http_a_transfer_to_the_same_centre_is_refused_with_the_form_kept(world, login, patient):
    client = login(world.clinician)
    refused = client.post(f"/patients/{patient.id}/transfer", data={"centre_id": world.leuven.id, "reason": "Kept text."})
    assert refused.status_code == 422 and "at this centre already" in refused.text and 'value="Kept text."' in refused.text
    assert db.session.scalar(select(PatientTransfer)) is None
