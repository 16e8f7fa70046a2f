"""A record is frozen and unfrozen with a reason by its centre: a frozen record opens no new panel, its running
panels say so, and each change is audited."""

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.database import db
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotFound
from app.panels import services as panel_services
from app.patients import services
from tests import factories
from tests.factories import ORIGIN


@pytest.fixture
def patient(world):
    return factories.enrol(world.clinician, world.leuven, world.ern)


def test_the_centre_freezes_and_unfreezes_a_record_with_a_reason_each_audited(world, patient):
    services.set_frozen(world.clinician, patient.id, True, "Consent under review.", ORIGIN)
    assert patient.frozen and patient.frozen_reason == "Consent under review." and patient.frozen_changed_by_id == world.clinician.id
    area = world.ern.thematic_areas[0].id
    with pytest.raises(Conflict, match="frozen"):
        panel_services.open_panel(world.clinician, patient.id, area, ORIGIN)
    services.set_frozen(world.colleague, patient.id, False, "Consent confirmed.", ORIGIN)
    assert not patient.frozen and patient.frozen_reason == "Consent confirmed."
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(patient.id))).all()
    assert "patient.frozen" in actions and "patient.unfrozen" in actions


def test_bad_requests_change_nothing(world, patient):
    with pytest.raises(InvalidInput, match="Say why"):
        services.set_frozen(world.clinician, patient.id, True, "   ", ORIGIN)
    with pytest.raises(InvalidInput, match="at most 1000"):
        services.set_frozen(world.clinician, patient.id, True, "x" * 1001, ORIGIN)
    with pytest.raises(Conflict, match="not frozen"):
        services.set_frozen(world.clinician, patient.id, False, "Why not.", ORIGIN)
    for outsider in (world.brno_clinician, world.coordinator, world.researcher):
        with pytest.raises(NotFound):
            services.set_frozen(outsider, patient.id, True, "Not mine.", ORIGIN)
    db.session.refresh(patient)
    assert not patient.frozen and patient.frozen_reason == ""


def test_over_http_a_refused_reason_comes_back_and_a_running_panel_says_the_record_is_frozen(world, login, patient):
    factories.give_areas(world.brno_clinician, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    client = login(world.clinician)
    refused = client.post(f"/patients/{patient.id}/freeze", data={"reason": "x" * 1001})
    assert refused.status_code == 422 and "at most 1000" in refused.text and 'value="' + "x" * 1001 in refused.text
    response = client.post(f"/patients/{patient.id}/freeze", data={"reason": "Transfer pending."})
    assert response.status_code == 302
    page = client.get(response.location).text
    assert f"Record {patient.cpms_id} frozen" in page and "Transfer pending." in page and "Unfreeze this record" in page
    assert "Open a panel on" not in page
    assert 'id="patient-frozen"' in client.get(f"/panels/{panel_id}").text


def test_the_patient_list_filters_frozen_records(world, login, patient):
    other = factories.enrol(world.clinician, world.leuven, world.ern, first_name="Marie", last_name="Lambert")
    services.set_frozen(world.clinician, patient.id, True, "Consent under review.", ORIGIN)
    client = login(world.clinician)
    frozen = client.get("/patients/?centre=BE10&state=frozen").text
    assert patient.cpms_id in frozen and other.cpms_id not in frozen and 'aria-current="page"' in frozen
    active = client.get("/patients/?centre=BE10&state=active").text
    assert other.cpms_id in active and patient.cpms_id not in active
    every = client.get("/patients/?centre=BE10&state=nonsense").text
    assert patient.cpms_id in every and other.cpms_id in every
