"""An ERN's managers set its intervals, service levels, thematic areas and expert groups in the browser."""

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.database import db
from app.ernsettings.models import ErnSettings
from app.panels.models import ExpertGroup
from app.tasks.models import SlaRule
from tests import factories


@pytest.fixture
def manager(world):
    user = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    db.session.commit()
    return user


INTERVALS = {"reminder_after": "2", "expire_after": "10", "urgent_reminder_after": "1", "urgent_expire_after": "4", "review_window": "5"}


def test_a_manager_sets_the_intervals_used_by_later_processes(world, login, manager):
    client = login(manager)
    page = client.get("/erns/EuroBloodNet/settings").text
    assert 'name="reminder_after" value="3"' in page and 'name="review_window" value="7"' in page
    assert client.post("/erns/EuroBloodNet/settings/intervals", data=INTERVALS).status_code == 302
    settings = db.session.get(ErnSettings, world.ern.id)
    assert (settings.reminder_after, settings.expire_after, settings.review_window) == ("P2D", "P10D", "P5D")


def test_bad_intervals_are_refused_at_the_field_and_what_was_typed_stays(world, login, manager):
    response = login(manager).post(
        "/erns/EuroBloodNet/settings/intervals", data={**INTERVALS, "reminder_after": "12", "review_window": "x"}
    )
    assert response.status_code == 422
    assert "The reminder must come before the invitation expires." in response.text and 'value="12"' in response.text
    assert "between 1 and 365" in response.text
    assert db.session.get(ErnSettings, world.ern.id) is None


def test_service_levels_thematic_areas_and_expert_groups(world, login, manager):
    client = login(manager)
    assert client.post("/erns/EuroBloodNet/settings/service-levels", data={"task": "answer_invitation", "amount": "3"}).status_code == 302
    assert db.session.scalar(select(SlaRule.hours).where(SlaRule.task_name == "answer_invitation")) == 72
    assert ">3 days<" in client.get("/erns/EuroBloodNet/settings").text
    in_hours = {"task": "answer_invitation", "amount": "36", "unit": "hours"}
    assert client.post("/erns/EuroBloodNet/settings/service-levels", data=in_hours).status_code == 302
    assert db.session.scalar(select(SlaRule.hours).where(SlaRule.task_name == "answer_invitation")) == 36
    assert ">36 hours<" in client.get("/erns/EuroBloodNet/settings").text
    assert client.post("/erns/EuroBloodNet/settings/service-levels", data={"task": "rm -rf", "amount": "3"}).status_code == 422
    assert client.post("/erns/EuroBloodNet/settings/areas", data={"name": "Porphyrias"}).status_code == 302
    assert "Porphyrias" in client.get("/erns/EuroBloodNet/settings").text
    response = client.post(
        "/erns/EuroBloodNet/settings/groups",
        data={"name": "Amyloidosis board", "member_id": [str(world.clinician.id), str(world.brno_clinician.id), str(world.researcher.id)]},
    )
    assert response.status_code == 302
    group = db.session.scalar(select(ExpertGroup))
    assert sorted(u.id for u in group.members) == sorted([world.clinician.id, world.brno_clinician.id])  # researchers are no experts
    assert client.post(f"/erns/EuroBloodNet/settings/groups/{group.id}/delete").status_code == 302
    assert db.session.scalar(select(ExpertGroup)) is None


def test_a_manager_of_another_ern_cannot_change_these_settings(world, login):
    other = factories.make_user("other@ern.example", [(world.other_ern, None, Role.ERN_MANAGER)], "Otto", "Other")
    db.session.commit()
    assert login(other).post("/erns/EuroBloodNet/settings/intervals", data=INTERVALS).status_code == 403


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"task": "answer_invitation", "amount": "three"}, "Give a whole number of days or hours."),
        ({"task": "rm -rf", "amount": "x"}, "Give a whole number of days or hours."),  # the amount is checked first
        ({"task": "rm -rf", "amount": "3"}, "Choose a task."),
        ({"amount": "3"}, "Choose a task."),
        ({"task": "answer_invitation", "amount": "3", "unit": "weeks"}, "Choose days or hours."),
        ({"task": "answer_invitation", "amount": "8761", "unit": "hours"}, "between 1 hour and 365 days"),
    ],
)
def test_a_bad_service_level_is_refused_with_a_message(world, login, manager, data, message):
    response = login(manager).post("/erns/EuroBloodNet/settings/service-levels", data=data)
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(select(SlaRule)) is None


def test_a_manager_sets_the_follow_up_months_and_the_small_cell_threshold(world, login, manager):
    client = login(manager)
    page = client.get("/erns/EuroBloodNet/settings").text
    assert 'name="follow_up_months" value="3,6,12"' in page and 'name="small_cell_threshold" value="5"' in page
    data = {"follow_up_months": "12, 3", "small_cell_threshold": "3"}
    assert client.post("/erns/EuroBloodNet/settings/follow-up", data=data).status_code == 302
    settings = db.session.get(ErnSettings, world.ern.id)
    assert (settings.follow_up_months, settings.small_cell_threshold) == ("3,12", 3)
    assert client.post("/erns/EuroBloodNet/settings/follow-up", data={**data, "follow_up_months": ""}).status_code == 302
    assert db.session.get(ErnSettings, world.ern.id).follow_up_months == ""  # no follow-up any more


@pytest.mark.parametrize(
    ("months", "threshold", "field"),
    [
        ("3, 6, 12, 24", "5", "follow_up_months"),
        ("0", "5", "follow_up_months"),
        ("three", "5", "follow_up_months"),
        ("3", "0", "small_cell_threshold"),
    ],
)
def test_bad_follow_up_or_threshold_settings_are_refused_and_kept(world, login, manager, months, threshold, field):
    response = login(manager).post(
        "/erns/EuroBloodNet/settings/follow-up", data={"follow_up_months": months, "small_cell_threshold": threshold}
    )
    assert response.status_code == 422 and f"{field.replace('_', '-')}-error" in response.text.replace(
        "follow-up-months", "follow-up-months"
    )
    assert f'value="{months}"' in response.text
    assert db.session.get(ErnSettings, world.ern.id) is None
