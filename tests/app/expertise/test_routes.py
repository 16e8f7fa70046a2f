"""A member's expertise page, and the ranking on the panel page and in the coordinators' assistance task."""

from datetime import date

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.database import db
from app.demo.services import seed_demo
from app.expertise import profile
from app.expertise import ranking
from app.expertise.models import ConsultationLanguage
from app.expertise.models import DeclaredExpertise
from app.expertise.models import HiddenLearnedCode
from app.panels.models import Panel
from tests import factories


def test_the_page_needs_a_login(client):
    response = client.get("/preferences/expertise")
    assert response.status_code in (302, 401)


def test_a_member_declares_and_removes_a_code(world, login):
    client = login(world.clinician)
    assert client.get("/preferences/expertise").status_code == 200
    response = client.post("/preferences/expertise/declare", data={"code": "ORPHA:85443 — AL amyloidosis"})
    assert response.status_code == 302
    row = db.session.scalar(select(DeclaredExpertise).where(DeclaredExpertise.user_id == world.clinician.id))
    assert (row.system, row.code) == ("ORPHA", "ORPHA:85443")
    assert "ORPHA:85443" in client.get("/preferences/expertise").text
    assert client.post(f"/preferences/expertise/{row.id}/remove").status_code == 302
    assert db.session.scalar(select(DeclaredExpertise).where(DeclaredExpertise.user_id == world.clinician.id)) is None


def test_a_bad_code_is_refused_with_a_message(world, login):
    response = login(world.clinician).post("/preferences/expertise/declare", data={"code": "ORPHA:nonsense"})
    assert response.status_code == 422
    assert "is not an ORPHA or HPO code" in response.text
    assert db.session.scalar(select(DeclaredExpertise)) is None


def test_nobody_removes_someone_elses_code(world, login):
    login(world.clinician).post("/preferences/expertise/declare", data={"code": "HP:0001635"})
    row = db.session.scalar(select(DeclaredExpertise))
    assert login(world.colleague).post(f"/preferences/expertise/{row.id}/remove").status_code == 422
    assert db.session.get(DeclaredExpertise, row.id) is not None


def test_learned_codes_are_shown_hidden_and_restored(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.open_panel(world.clinician, patient, diagnosis="ORPHA:85443", diagnosis_status="confirmed")
    client = login(world.clinician)
    assert "ORPHA:85443" in client.get("/preferences/expertise").text
    assert client.post("/preferences/expertise/learned/hide", data={"system": "ORPHA", "code": "ORPHA:85443"}).status_code == 302
    assert db.session.scalar(select(HiddenLearnedCode.code)) == "ORPHA:85443"
    assert "(hidden)" in client.get("/preferences/expertise").text
    assert client.post("/preferences/expertise/learned/restore", data={"system": "ORPHA", "code": "ORPHA:85443"}).status_code == 302
    assert db.session.scalar(select(HiddenLearnedCode.code)) is None


def test_learned_codes_come_most_panels_first_so_the_reason_names_the_same_one_on_every_database(world):
    for diagnosis in ("ORPHA:85445", "ORPHA:85443", "ORPHA:85443"):
        patient = factories.enrol(world.clinician, world.leuven, world.ern)
        factories.open_panel(world.clinician, patient, diagnosis=diagnosis, diagnosis_status="confirmed")
    learned = profile.profiles([world.clinician.id])[world.clinician.id].learned
    assert [(item.code, item.count) for item in learned if item.system == "ORPHA"] == [("ORPHA:85443", 2), ("ORPHA:85445", 1)]


def test_languages_are_saved_and_unknown_ones_refused(world, login):
    client = login(world.clinician)
    assert client.post("/preferences/expertise/languages", data={"languages": ["fr", "nl"]}).status_code == 302
    assert set(db.session.scalars(select(ConsultationLanguage.language))) == {"fr", "nl"}
    assert client.post("/preferences/expertise/languages", data={"languages": ["xx"]}).status_code == 422


@pytest.fixture
def ranked_world(world):
    """A panel on AL amyloidosis; experts of the ERN with areas; a VASCERN expert and a researcher who are not offered."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient, diagnosis="ORPHA:85443", diagnosis_status="confirmed")
    vascern = factories.make_user("v@vascern.example", [(world.other_ern, world.leuven, Role.MEMBER_EXPERT)], "Vera", "Vascern")
    for user in (world.colleague, world.brno_clinician):
        factories.give_areas(user, world.ern)
    factories.give_areas(vascern, world.other_ern)
    db.session.add(DeclaredExpertise(user_id=world.brno_clinician.id, system="ORPHA", code="ORPHA:85443", label="AL amyloidosis"))
    db.session.commit()
    return world, db.session.get(Panel, panel_id), vascern


def test_the_panel_page_ranks_the_invitable_experts_with_the_reason(ranked_world, login):
    world, panel, vascern = ranked_world
    page = login(world.clinician).get(f"/panels/{panel.id}?tab=members").text
    assert page.index("Jan Novak") < page.index("Elise Janssens")
    assert "declared expertise: ORPHA:85443" in page
    experts = ranking.ranked_experts(panel)
    offered = {e.user.id for e in experts}
    assert offered == {world.colleague.id, world.brno_clinician.id}
    assert vascern.id not in offered and world.researcher.id not in offered and world.coordinator.id not in offered


def test_the_own_country_setting_puts_the_patients_country_last(ranked_world):
    world, panel, _vascern = ranked_world
    db.session.add(DeclaredExpertise(user_id=world.colleague.id, system="ORPHA", code="ORPHA:85443", label="AL amyloidosis"))
    db.session.commit()
    from app.ernsettings.models import ErnSettings

    settings = db.session.get(ErnSettings, world.ern.id) or ErnSettings(ern_id=world.ern.id)
    settings.own_country_order = "first"
    db.session.add(settings)
    db.session.commit()
    assert [e.country for e in ranking.ranked_experts(panel)] == ["BE", "CZ"]
    settings.own_country_order = "last"
    db.session.commit()
    assert [e.country for e in ranking.ranked_experts(panel)] == ["CZ", "BE"]


def test_a_manager_sets_the_own_country_order(world, login):
    manager = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    db.session.commit()
    client = login(manager)
    assert "Ranking of experts" in client.get("/erns/EuroBloodNet/settings").text
    assert client.post("/erns/EuroBloodNet/settings/expert-ranking", data={"own_country_order": "last"}).status_code == 302
    from app.ernsettings.models import ErnSettings

    assert db.session.get(ErnSettings, world.ern.id).own_country_order == "last"
    assert client.post("/erns/EuroBloodNet/settings/expert-ranking", data={"own_country_order": "sideways"}).status_code == 422
    assert login(world.clinician).post("/erns/EuroBloodNet/settings/expert-ranking", data={"own_country_order": "first"}).status_code == 403


@pytest.fixture
def demo(database):
    seed_demo(factories.forms(), date(2026, 11, 21))


def test_on_the_demo_data_the_expert_with_matching_orpha_expertise_comes_first(demo):
    panel = db.session.scalar(select(Panel).where(Panel.nickname == "quiet harbour"))
    experts = ranking.ranked_experts(panel)
    assert experts[0].user.email == "hp5@demo.consilium.eu"
    assert "declared expertise: ORPHA:85443" in experts[0].reason
    assert all(e.user.email != "researcher@demo.consilium.eu" for e in experts)
