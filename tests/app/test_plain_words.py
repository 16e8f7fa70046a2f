"""Pages say roles, audit actions and field types in words, never by their internal names."""

from app.accounts.models import Role
from app.database import db
from tests import factories


def test_the_members_page_names_roles_in_words(world, login):
    factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    db.session.commit()
    page = login(world.coordinator).get("/members").text
    assert "EuroBloodNet @ BE10: Member expert" in page and "EuroBloodNet: ERN manager" in page
    assert "member_expert" not in page and "ern manager" not in page


def test_the_audit_log_says_actions_and_objects_in_words(world, client):
    factories.start_enrolment(world.clinician, world.leuven, world.ern)
    client.post("/login", data={"email": world.coordinator.email, "password": factories.PASSWORD})  # the form: its audit lines
    page = client.get("/audit/").text
    assert "enrolment: started" in page and '<option value="enrolment.started">enrolment: started</option>' in page
    assert "<td>enrolment.started</td>" not in page and "login: password accepted" in page


def test_the_form_designer_names_field_types_in_words(world, login):
    manager = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    db.session.commit()
    page = login(manager).get("/erns/EuroBloodNet/forms/consultation").text
    assert '<option value="yes_no">Yes or no</option>' in page and ">Yes or no</label>" in page
    assert ">yes_no<" not in page and ">single_choice<" not in page and "“Nickname” and “Urgent request”" in page
