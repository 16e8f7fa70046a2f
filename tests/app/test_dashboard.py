"""The dashboard asks for thematic areas only from people who can be invited to panels, and tells each event once."""

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.database import db
from app.panels.models import Panel
from tests import factories

PROMPT = "you cannot be invited to panels"


@pytest.fixture
def manager(world):
    user = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    db.session.commit()
    return user


@pytest.mark.parametrize("who", ["coordinator", "researcher", "manager"])
def test_people_who_are_never_invited_are_not_asked_for_thematic_areas(world, login, manager, who):
    client = login(manager if who == "manager" else getattr(world, who))
    dashboard = client.get("/").text
    assert PROMPT not in dashboard and "Choose thematic areas" not in dashboard and "Panel invites" not in dashboard
    preferences = client.get("/preferences").text
    assert "Thematic areas" not in preferences and "Time zone" in preferences
    assert client.post("/preferences", data={"timezone": "Europe/Prague", "specialisation": "Coordinator"}).status_code == 302


def test_an_expert_without_thematic_areas_is_asked_for_them_on_the_dashboard(world, login):
    client = login(world.brno_clinician)
    dashboard = client.get("/").text
    assert PROMPT in dashboard and "Panel invites" in dashboard
    preferences = client.get("/preferences").text
    assert "Thematic areas" in preferences and all(area.name in preferences for area in world.ern.thematic_areas)
    factories.give_areas(world.brno_clinician, world.ern)
    assert PROMPT not in client.get("/").text


def test_the_activity_feed_shows_each_step_of_a_panel_once(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.open_panel(world.clinician, patient)
    panel = db.session.scalar(select(Panel))
    feed = login(world.coordinator).get("/").text.split('id="activity-heading"')[1]
    assert feed.count("Consultation form submitted.") == 1 and feed.count("Panel opened by Hanna Peeters.") == 1
    assert "Status:" not in feed and feed.count(f">{panel.title}</a>") == 2


def test_the_dashboard_starts_an_enrolment_where_the_user_may_enrol_and_nowhere_else(world, login):
    page = login(world.clinician).get("/").text
    assert page.count('action="/patients/enrol"') == 1 and ">Enrol a patient</button>" in page
    assert f'name="centre_id" value="{world.leuven.id}"><input type="hidden" name="ern_id" value="{world.ern.id}"' in page
    login(world.clinician).post("/logout")
    assert "Enrol a patient" not in login(world.researcher).get("/").text
