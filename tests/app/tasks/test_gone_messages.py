"""A task that is no longer open: each of its participants is told what happened to it, a stranger is told nothing."""

from datetime import timedelta

import pytest

from app.database import db
from app.database import utcnow
from app.errors import Conflict
from app.errors import NotFound
from app.panels import services as panel_services
from app.panels.models import InvitationStatus
from app.panels.models import PanelMember
from app.tasks import services
from app.workflows.services import fire_due_timers
from tests import factories
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of


@pytest.fixture
def invitation(world):
    """The Brno expert's open invitation to a Leuven panel (led by the clinician); its engine task id."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.give_areas(world.brno_clinician, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    panel_services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id], ORIGIN)
    return task_of(world.brno_clinician, "answer_invitation")


def _told(user, task_id):
    with pytest.raises(Conflict) as refused:
        complete(user, task_id, {"answer": "accept"})
    return refused.value.message


def test_an_invitee_who_submits_twice_is_told_they_already_answered(world, invitation):
    complete(world.brno_clinician, invitation, {"answer": "accept"})
    assert _told(world.brno_clinician, invitation).startswith("You already answered on ")
    with pytest.raises(Conflict, match="You already answered on "):
        services.task_for(world.brno_clinician, invitation)  # the page, reloaded


def test_the_panel_lead_is_told_who_completed_it_and_a_stranger_gets_not_found(world, invitation):
    complete(world.brno_clinician, invitation, {"answer": "accept"})
    assert _told(world.clinician, invitation).startswith("This task was already completed by Jan Novak at ")
    with pytest.raises(NotFound, match="No such task."):
        complete(world.researcher, invitation, {"answer": "accept"})


def test_an_invitee_answering_after_the_expiry_timer_fired_is_told_it_expired(world, invitation):
    assert fire_due_timers(utcnow() + timedelta(days=14, minutes=1)) == 1
    member = db.session.query(PanelMember).filter_by(user_id=world.brno_clinician.id).one()
    assert member.status == InvitationStatus.EXPIRED
    told = _told(world.brno_clinician, invitation)
    assert told.startswith("This invitation expired on ") and told.endswith("ask the panel lead to invite you again.")
    db.session.refresh(member)
    assert member.status == InvitationStatus.EXPIRED  # the late answer changed nothing
    with pytest.raises(NotFound):
        complete(world.researcher, invitation, {"answer": "accept"})
    with pytest.raises(NotFound):
        complete(world.colleague, "0" * 8 + "-0000-0000-0000-" + "0" * 12, {"answer": "accept"})


def test_the_panel_lead_learns_of_the_expiry_too(world, invitation):
    fire_due_timers(utcnow() + timedelta(days=14, minutes=1))
    told = _told(world.clinician, invitation)
    assert told.startswith("This invitation expired on ") and "invite you again" not in told


def test_the_second_submission_of_an_invitation_page_answers_409_with_the_first_answer_date(world, invitation, login):
    client = login(world.brno_clinician)
    assert client.post(f"/tasks/{invitation}", data={"answer": "accept"}).status_code == 302
    again = client.post(f"/tasks/{invitation}", data={"answer": "accept"})
    assert again.status_code == 409 and "You already answered on " in again.text
