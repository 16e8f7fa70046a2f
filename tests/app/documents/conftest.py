"""Fixtures of the documents tests: a signed-in test client, and a panel with a member of another centre."""

import pytest

from app.panels import services as panel_services
from tests import factories
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of


@pytest.fixture
def as_user(client):
    """The test client, signed in as this person (whoever used it before signed out)."""

    def sign_in(user):
        client.post("/logout")
        assert client.post("/login", data={"email": user.email, "password": factories.PASSWORD}).status_code == 302
        return client

    return sign_in


@pytest.fixture
def case(world):
    """Roger Addel (born 05/02/1976), a Leuven patient, and his panel with Brno's expert as an accepted member."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.give_areas(world.brno_clinician, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    panel_services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    return patient, panel_id
