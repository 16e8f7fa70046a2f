"""The access table holds after the record or the people change: once a patient is transferred, the two centres swap
places on every route about the patient (the old centre gets what an outsider gets)."""

import pytest

from app.accounts import appointments
from app.accounts.models import Role
from app.patients import transfer
from tests import factories
from tests.access.test_every_route import EXPECTED
from tests.access.test_every_route import ROUTES
from tests.access.test_every_route import _call
from tests.factories import ORIGIN

PATIENT_ROUTES = sorted(endpoint for endpoint, (_method, url) in ROUTES.items() if "{patient}" in url)


@pytest.fixture
def transferred(world):
    """A patient enrolled at BE10, with a panel led by BE10's clinician, transferred to Brno (CZ08)."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    transfer.request_transfer(world.clinician, patient.id, world.brno.id, "Moving to Brno.", ORIGIN)
    factories.complete(world.brno_clinician, factories.task_of(world.brno_clinician, "decide_transfer"), {"decision": "accept"})
    return {"patient": patient.id, "panel": panel_id, "task": "00000000-0000-0000-0000-000000000000", "user": world.colleague.id}


@pytest.mark.parametrize("endpoint", PATIENT_ROUTES)
def test_after_a_transfer_the_old_centre_gets_what_an_outsider_gets(world, login, transferred, endpoint):
    old = login(world.clinician)
    assert _call(old, endpoint, transferred).status_code == EXPECTED[endpoint]["brno_clinician"]
    old.post("/logout")
    new = login(world.brno_clinician)
    assert _call(new, endpoint, transferred).status_code == EXPECTED[endpoint]["clinician"]


def test_after_a_transfer_the_lead_keeps_the_panel_and_the_new_centre_sees_it(world, login, transferred):
    panel = f"/panels/{transferred['panel']}"
    assert login(world.clinician).get(panel).status_code == 200
    assert "Addel" not in login(world.clinician).get(panel).text
    login(world.clinician).post("/logout")
    assert login(world.brno_clinician).get(panel).status_code == 200


def test_a_revoked_role_ends_what_it_allowed_at_once(world, login):
    """A panel manager for the whole ERN sees and manages its panels and their queue; once the ERN's manager revokes the
    role, the same requests of the same signed-in session answer as for anyone outside."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    manager = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    steward = factories.make_user("steward@ern.example", [(world.ern, None, Role.PANEL_MANAGER)], "Piet", "Steward")
    client = login(steward)
    before = {url: client.get(url).status_code for url in (f"/panels/{panel_id}", f"/panels/{panel_id}?tab=members")}
    assert set(before.values()) == {200}
    assert f"/panels/{panel_id}" in client.get("/panels/?ern=EuroBloodNet").text
    membership = next(m for m in steward.memberships if m.role == Role.PANEL_MANAGER)
    appointments.revoke_role(manager, steward.id, membership.id, ORIGIN)
    for url in before:
        assert client.get(url).status_code == 404
    assert f"/panels/{panel_id}" not in client.get("/panels/?ern=EuroBloodNet").text
    assert client.post(f"/panels/{panel_id}/invite", data={"user_id": str(world.brno_clinician.id)}).status_code == 404
