from app.database import db


def test_a_user_chooses_thematic_areas_and_a_time_zone(world, login):
    client = login(world.clinician)
    area = world.ern.thematic_areas[0]
    response = client.post(
        "/preferences", data={"thematic_area": [str(area.id)], "timezone": "Europe/Prague", "specialisation": "Paediatric haematologist"}
    )
    assert response.status_code == 302
    db.session.refresh(world.clinician)
    assert [a.id for a in world.clinician.thematic_areas] == [area.id]
    assert world.clinician.timezone == "Europe/Prague"
    assert world.clinician.specialisation == "Paediatric haematologist"
    assert "You have not chosen any thematic area" not in client.get("/").text


def test_without_thematic_areas_the_dashboard_says_no_invitations(world, login):
    assert "you cannot be invited to panels" in login(world.clinician).get("/").text


def test_bad_preferences_are_refused_with_messages_and_nothing_changes(world, login):
    client = login(world.brno_clinician)
    foreign_area = world.other_ern.thematic_areas[0]  # Brno is not in VASCERN
    response = client.post("/preferences", data={"thematic_area": [str(foreign_area.id), "x"], "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert "Choose thematic areas of your own ERNs." in response.text
    assert "Choose a time zone from the list." in response.text or "Your preferences were not saved." in response.text
    response = client.post("/preferences", data={"thematic_area": [str(foreign_area.id)], "timezone": "Mars/Olympus"})
    assert "Choose a time zone from the list." in response.text
    db.session.refresh(world.brno_clinician)
    assert world.brno_clinician.thematic_areas == [] and world.brno_clinician.timezone == ""


def test_an_empty_or_overlong_professional_role_is_refused(world, login):
    client = login(world.clinician)
    for value in ("", "x" * 101, "bad\x00role"):
        response = client.post("/preferences", data={"timezone": "UTC", "specialisation": value})
        assert response.status_code == 422 and "at most 100 characters" in response.text
    db.session.refresh(world.clinician)
    assert world.clinician.specialisation == "Haematologist"


def test_the_page_shows_what_is_saved_and_a_refused_post_keeps_what_was_typed(world, login):
    client = login(world.clinician)
    page = client.get("/preferences").text
    assert 'value="Haematologist"' in page
    response = client.post("/preferences", data={"timezone": "Mars/Olympus", "specialisation": "Typed role"})
    assert response.status_code == 422 and 'value="Typed role"' in response.text
