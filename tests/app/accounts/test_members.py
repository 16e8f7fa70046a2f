"""The members' page of coordinators, ERN managers and administrators: filters, who cannot be invited, last sign-in."""

import re

from app.accounts.models import Role
from app.database import db
from tests import factories


def names(page):
    return re.findall(r'<td><a href="/members/\d+">([^<]+)</a></td>', page.text)


def test_a_coordinator_filters_members_by_centre_role_and_thematic_area(world, login):
    factories.give_areas(world.clinician, world.ern, "Amyloidosis")
    factories.give_areas(world.brno_clinician, world.ern, "Rare lymphomas")
    client = login(world.coordinator)
    everyone = client.get("/members")
    assert names(everyone) == ["Carla Coordinator", "Elise Janssens", "Jan Novak", "Hanna Peeters", "Rui Researcher"]
    assert "5 members" in everyone.text
    assert names(client.get(f"/members?centre={world.leuven.id}")) == ["Elise Janssens", "Hanna Peeters"]
    assert names(client.get("/members?role=coordinator")) == ["Carla Coordinator"]
    assert names(client.get(f"/members?centre={world.brno.id}&role=member-expert")) == ["Jan Novak"]
    amyloidosis = next(area for area in world.ern.thematic_areas if area.name == "Amyloidosis")
    assert names(client.get(f"/members?area={amyloidosis.id}")) == ["Hanna Peeters"]
    not_invitable = client.get("/members?area=none")
    assert names(not_invitable) == ["Elise Janssens"]  # experts only: coordinators and researchers are not invited
    assert "None: cannot be invited" in not_invitable.text
    assert "No member matches these filters." in client.get("/members?role=assistant").text


def test_the_members_page_shows_the_last_sign_in(world, login):
    client = login(world.clinician)
    client.post("/logout")
    rows = login(world.coordinator).get("/members").text.split("<tr>")
    hanna = next(row for row in rows if "Hanna Peeters" in row)
    elise = next(row for row in rows if "Elise Janssens" in row)
    assert "Never" in elise and "Never" not in hanna and re.search(r"\d{4}", hanna)


def test_an_ern_manager_sees_the_members_of_their_network_only(world, login):
    manager = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    vascular = factories.make_user("vasc@leuven.example", [(world.other_ern, world.leuven, Role.MEMBER_EXPERT)], "Vic", "Vascular")
    db.session.commit()
    client = login(manager)
    page = client.get("/members")
    assert page.status_code == 200 and "Hanna Peeters" in page.text and "Vic Vascular" not in page.text
    assert client.get(f"/members/{vascular.id}").status_code == 404


def test_people_who_steer_no_network_have_no_members_page(world, login):
    for user in (world.clinician, world.researcher):
        client = login(user)
        assert client.get("/members").status_code == 403
        assert client.get(f"/members/{world.colleague.id}").status_code == 404
        client.post("/logout")


def test_a_member_page_offers_only_what_the_viewer_may_do(world, login):
    page = login(world.coordinator).get(f"/members/{world.clinician.id}").text
    assert "Deactivate the account" in page
    assert '<option value="assistant">Assistant</option>' in page and "panel-manager" not in page  # assistants only
    assert "Revoke" not in page  # a membership from an account request is not revoked here
