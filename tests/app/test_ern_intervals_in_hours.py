"""An ERN's managers give the intervals of its panel processes in days or in hours; the invitations follow."""

from datetime import timedelta

import pytest

from app.accounts.models import Role
from app.database import db
from app.database import utcnow
from app.ernsettings.models import ErnSettings
from app.ernsettings.services import intervals
from app.panels import services as panel_services
from app.panels.models import InvitationStatus
from app.panels.models import PanelMember
from app.workflows.services import fire_due_timers
from tests import factories
from tests.factories import ORIGIN

IN_DAYS = {"reminder_after": "2", "expire_after": "10", "urgent_reminder_after": "1", "urgent_expire_after": "4", "review_window": "5"}


@pytest.fixture
def manager(world):
    user = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    db.session.commit()
    return user


def test_intervals_are_kept_in_the_unit_they_were_given_in(world, login, manager):
    client = login(manager)
    posted = {**IN_DAYS, "reminder_after": "36", "reminder_after_unit": "hours", "expire_after_unit": "days"}
    assert client.post("/erns/EuroBloodNet/settings/intervals", data=posted).status_code == 302
    settings = db.session.get(ErnSettings, world.ern.id)
    assert (settings.reminder_after, settings.expire_after, settings.review_window) == ("PT36H", "P10D", "P5D")
    assert intervals(world.ern.id)["reminder_after"] == "36" and intervals(world.ern.id)["reminder_after_unit"] == "hours"
    page = client.get("/erns/EuroBloodNet/settings").text
    assert 'name="reminder_after" value="36"' in page and '<option value="hours" selected>' in page


def test_days_stored_before_hours_existed_keep_their_meaning(world):
    db.session.add(ErnSettings(ern_id=world.ern.id, reminder_after="P3D", expire_after="P14D"))
    db.session.commit()
    shown = intervals(world.ern.id)
    assert (shown["reminder_after"], shown["reminder_after_unit"], shown["expire_after"], shown["expire_after_unit"]) == (
        "3",
        "days",
        "14",
        "days",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"reminder_after": "48", "reminder_after_unit": "hours", "expire_after": "2"},
            "The reminder must come before the invitation expires.",
        ),
        ({"review_window": "8761", "review_window_unit": "hours"}, "Give a whole number of hours between 1 and 8760."),
        ({"review_window_unit": "weeks"}, "Choose days or hours."),
    ],
)
def test_intervals_in_hours_are_checked_like_days(world, login, manager, changes, message):
    response = login(manager).post("/erns/EuroBloodNet/settings/intervals", data={**IN_DAYS, **changes})
    assert response.status_code == 422 and message in response.text
    assert db.session.get(ErnSettings, world.ern.id) is None


def test_an_invitation_is_reminded_after_the_hours_the_ern_chose(world):
    db.session.add(ErnSettings(ern_id=world.ern.id, reminder_after="PT12H", expire_after="PT36H"))
    db.session.commit()
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.give_areas(world.brno_clinician, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    start = utcnow()
    panel_services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id], ORIGIN)
    assert fire_due_timers(start + timedelta(hours=11)) == 0
    assert fire_due_timers(start + timedelta(hours=12, minutes=1)) == 1
    member = db.session.query(PanelMember).filter_by(user_id=world.brno_clinician.id).one()
    assert member.reminded_at is not None and member.status == InvitationStatus.INVITED
    assert fire_due_timers(start + timedelta(hours=36, minutes=1)) == 1
    db.session.refresh(member)
    assert member.status == InvitationStatus.EXPIRED
