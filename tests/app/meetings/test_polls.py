"""Meeting polls over HTTP: the lead proposes times, each member sees them in their own zone and marks them, the lead
picks one and the meeting is scheduled for the panel's participants; wrong times are refused with the form kept."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import select

from app.database import db
from app.meetings import polls
from app.meetings.models import Meeting
from app.meetings.models import MeetingPoll
from app.meetings.models import PollStatus
from app.meetings.models import PollVote
from app.meetings.models import Vote
from app.notifications.models import Notification
from app.panels import services as panel_services
from app.panels.models import Panel
from app.panels.models import TimelineEntry
from tests import factories
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of

BRUSSELS_TIMES = {"slot_day_1": "2027-06-15", "slot_time_1": "10:00", "slot_day_2": "2027-06-16", "slot_time_2": "14:30"}


@pytest.fixture
def panel(world):
    """A panel led by the clinician (Leuven) with the Brno clinician as accepted member, who reads times in Lisbon."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    for user in (world.clinician, world.brno_clinician):
        factories.give_areas(user, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    panel_services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    world.clinician.timezone = "Europe/Brussels"
    world.brno_clinician.timezone = "Europe/Lisbon"
    db.session.commit()
    panel = db.session.get(Panel, panel_id)
    assert panel.lead_id == world.clinician.id
    return panel


def _form(**changes: str) -> dict[str, str]:
    form = {"title": "Treatment options", "agenda": "Which line next?", "duration": "60", "time_zone": "Europe/Brussels"}
    form.update(BRUSSELS_TIMES)
    form.update(changes)
    return form


def _propose(client, panel, **changes: str) -> MeetingPoll:
    response = client.post(f"/panels/{panel.id}/polls/new", data=_form(**changes))
    assert response.status_code == 302, response.text
    poll_id = int(re.search(r"/polls/(\d+)$", response.headers["Location"]).group(1))
    return db.session.get(MeetingPoll, poll_id)


def _slot_ids(poll: MeetingPoll) -> list[int]:
    return [slot.id for slot in sorted(poll.slots, key=lambda slot: slot.starts_at)]


def test_the_lead_proposes_times_and_a_member_in_lisbon_sees_them_an_hour_earlier(world, login, panel):
    lead = login(world.clinician)
    form = lead.get(f"/panels/{panel.id}/polls/new")
    assert form.status_code == 200
    assert '<option value="Europe/Brussels" selected>' in form.text

    poll = _propose(lead, panel)
    assert poll.status == PollStatus.OPEN and poll.time_zone == "Europe/Brussels"
    assert [slot.starts_at for slot in poll.slots] == [datetime(2027, 6, 15, 8, 0, tzinfo=UTC), datetime(2027, 6, 16, 12, 30, tzinfo=UTC)]
    told = db.session.scalars(select(Notification.text).where(Notification.user_id == world.brno_clinician.id)).all()
    assert any("proposes 2 times for the meeting “Treatment options”" in text for text in told)
    lines = db.session.scalars(select(TimelineEntry.text).where(TimelineEntry.panel_id == panel.id)).all()
    assert "Hanna Peeters proposed 2 times for a meeting (a poll on the Meetings tab)." in lines

    lead_page = lead.get(f"/polls/{poll.id}").text
    assert "Tue 15/Jun/2027 10:00–11:00 (Europe/Brussels, CEST)" in lead_page
    assert "Schedule at this time" in lead_page and "Withdraw the poll" in lead_page

    member_page = login(world.brno_clinician).get(f"/polls/{poll.id}")
    assert member_page.status_code == 200
    assert "Tue 15/Jun/2027 09:00–10:00 (Europe/Lisbon, WEST)" in member_page.text
    assert "Wed 16/Jun/2027 13:30–14:30 (Europe/Lisbon, WEST)" in member_page.text
    assert "10:00–11:00" not in member_page.text
    assert "Schedule at this time" not in member_page.text and f'name="vote_{poll.slots[0].id}"' in member_page.text


def test_members_vote_the_tally_counts_them_and_a_new_vote_replaces_the_old(world, login, panel):
    poll = _propose(login(world.clinician), panel)
    first, second = _slot_ids(poll)
    lead = login(world.clinician)
    assert lead.post(f"/polls/{poll.id}/vote", data={f"vote_{first}": "yes", f"vote_{second}": "no"}).status_code == 302
    member = login(world.brno_clinician)
    assert member.post(f"/polls/{poll.id}/vote", data={f"vote_{first}": "no", f"vote_{second}": "yes"}).status_code == 302
    assert member.post(f"/polls/{poll.id}/vote", data={f"vote_{first}": "if_need_be", f"vote_{second}": "yes"}).status_code == 302

    marks = {(v.slot_id, v.user_id): v.choice for v in db.session.scalars(select(PollVote).execution_options(populate_existing=True))}
    assert marks == {
        (first, world.clinician.id): Vote.YES,
        (second, world.clinician.id): Vote.NO,
        (first, world.brno_clinician.id): Vote.IF_NEED_BE,
        (second, world.brno_clinician.id): Vote.YES,
    }
    page = member.get(f"/polls/{poll.id}").text
    row = re.search(rf'<tr id="slot-{first}".*?</tr>', page, re.S).group(0)
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', row))
    assert counts == {"yes": "1", "if_need_be": "1", "no": "0"}
    assert "Hanna Peeters" in row and "Jan Novak" in row
    assert f'id="vote-{first}-if_need_be" value="if_need_be" checked' in page

    bad = member.post(f"/polls/{poll.id}/vote", data={f"vote_{first}": "maybe"}, follow_redirects=True)
    assert "Mark each time yes, if need be or no." in bad.text


def test_the_lead_picks_a_time_and_the_meeting_invites_the_participants(world, login, panel):
    lead = login(world.clinician)
    poll = _propose(lead, panel)
    first, _second = _slot_ids(poll)
    response = lead.post(f"/polls/{poll.id}/decide", data={"slot_id": str(first)})
    assert response.status_code == 302
    meeting_id = int(re.search(r"/meetings/(\d+)$", response.headers["Location"]).group(1))

    meeting = db.session.get(Meeting, meeting_id)
    assert meeting.panel_id == panel.id and meeting.title == "Treatment options" and meeting.agenda == "Which line next?"
    assert meeting.starts_at == datetime(2027, 6, 15, 8, 0, tzinfo=UTC) and meeting.duration_minutes == 60
    assert meeting.time_zone == "Europe/Brussels"
    assert {i.user_id for i in meeting.invitees} == {world.clinician.id, world.brno_clinician.id}
    poll = db.session.scalar(select(MeetingPoll).where(MeetingPoll.id == poll.id).execution_options(populate_existing=True))
    assert poll.status == PollStatus.DECIDED and poll.meeting_id == meeting.id

    page = lead.get(f"/polls/{poll.id}").text
    assert f"/meetings/{meeting.id}" in page and "Schedule at this time" not in page
    again = lead.post(f"/polls/{poll.id}/decide", data={"slot_id": str(first)}, follow_redirects=True)
    assert "This poll is closed" in again.text
    assert db.session.scalar(select(Meeting.id).where(Meeting.panel_id == panel.id, Meeting.id != meeting.id)) is None


def test_the_panel_lists_open_polls_until_the_lead_withdraws_one(world, login, panel):
    lead = login(world.clinician)
    poll = _propose(lead, panel)
    listed = lead.application.jinja_env.get_template("meetings/_polls.html")
    with lead.application.test_request_context():
        html = listed.render(panel=panel, polls=polls.open_polls(panel.id), may_propose=True)
    assert f"/polls/{poll.id}" in html and "Propose times" in html

    response = lead.post(f"/polls/{poll.id}/withdraw")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/panels/{panel.id}?tab=meetings")
    poll = db.session.scalar(select(MeetingPoll).where(MeetingPoll.id == poll.id).execution_options(populate_existing=True))
    assert poll.status == PollStatus.WITHDRAWN
    refused = login(world.brno_clinician).post(f"/polls/{poll.id}/vote", data={f"vote_{poll.slots[0].id}": "yes"}, follow_redirects=True)
    assert "This poll is closed" in refused.text


@pytest.mark.parametrize("who", ["colleague", "coordinator", "researcher"])
def test_who_does_not_see_the_panels_meetings_finds_no_poll(world, login, panel, who):
    poll = _propose(login(world.clinician), panel)
    client = login(getattr(world, who))
    assert client.get(f"/polls/{poll.id}").status_code == 404
    assert client.get(f"/panels/{panel.id}/polls/new").status_code == 404
    assert client.post(f"/polls/{poll.id}/vote", data={f"vote_{poll.slots[0].id}": "yes"}).status_code == 404
    assert client.post(f"/polls/{poll.id}/decide", data={"slot_id": str(poll.slots[0].id)}).status_code == 404


def test_a_member_who_is_not_the_lead_cannot_propose_decide_or_withdraw(world, login, panel):
    poll = _propose(login(world.clinician), panel)
    member = login(world.brno_clinician)
    assert member.get(f"/panels/{panel.id}/polls/new").status_code == 403
    assert member.post(f"/panels/{panel.id}/polls/new", data=_form()).status_code == 403
    assert member.post(f"/polls/{poll.id}/decide", data={"slot_id": str(poll.slots[0].id)}).status_code == 403
    assert member.post(f"/polls/{poll.id}/withdraw").status_code == 403
    assert db.session.scalar(select(Meeting.id).where(Meeting.panel_id == panel.id)) is None
    assert db.session.scalars(select(MeetingPoll.id).where(MeetingPoll.panel_id == panel.id)).all() == [poll.id]


def test_a_time_the_clocks_skip_is_refused_with_its_reason_and_the_form_keeps_what_was_typed(world, login, panel):
    response = login(world.clinician).post(
        f"/panels/{panel.id}/polls/new", data=_form(slot_day_3="2027-03-28", slot_time_3="02:30", title="Spring meeting")
    )
    assert response.status_code == 422
    assert "02:30 does not exist on 28/Mar/2027 in Europe/Brussels: the clocks go forward from 02:00 to 03:00." in response.text
    assert 'id="slot_3"' in response.text and 'aria-describedby="slot_3-error"' in response.text
    assert 'value="Spring meeting"' in response.text and 'value="2027-03-28"' in response.text and 'value="02:30"' in response.text
    assert 'value="2027-06-15"' in response.text and "Which line next?" in response.text
    assert db.session.scalar(select(MeetingPoll.id).where(MeetingPoll.panel_id == panel.id)) is None


def test_a_time_in_the_past_or_proposed_twice_is_refused(world, login, panel):
    lead = login(world.clinician)
    past = lead.post(f"/panels/{panel.id}/polls/new", data=_form(slot_day_2="2020-01-10", slot_time_2="10:00"))
    assert past.status_code == 422 and "This time is in the past: choose a later one." in past.text
    twice = lead.post(f"/panels/{panel.id}/polls/new", data=_form(slot_day_2="2027-06-15", slot_time_2="10:00"))
    assert twice.status_code == 422 and "This time is proposed twice" in twice.text
    one = lead.post(f"/panels/{panel.id}/polls/new", data=_form(slot_day_2="", slot_time_2=""))
    assert one.status_code == 422 and "Propose at least 2 times." in one.text
    assert db.session.scalar(select(MeetingPoll.id).where(MeetingPoll.panel_id == panel.id)) is None


def test_a_title_that_names_the_patient_is_refused(world, login, panel):
    response = login(world.clinician).post(f"/panels/{panel.id}/polls/new", data=_form(title="Meeting about Roger Addel"))
    assert response.status_code == 422
    assert "This would identify the patient (it holds their name)" in response.text
    assert 'value="Meeting about Roger Addel"' in response.text
    assert db.session.scalar(select(MeetingPoll.id).where(MeetingPoll.panel_id == panel.id)) is None


def test_a_time_that_has_passed_meanwhile_cannot_be_picked(world, login, panel):
    lead = login(world.clinician)
    poll = _propose(lead, panel)
    poll.slots[0].starts_at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    db.session.commit()
    response = lead.post(f"/polls/{poll.id}/decide", data={"slot_id": str(poll.slots[0].id)}, follow_redirects=True)
    assert "This time has passed: choose a later one, or propose new times." in response.text
    assert db.session.scalar(select(Meeting.id).where(Meeting.panel_id == panel.id)) is None


def test_when_the_meeting_cannot_be_scheduled_the_poll_stays_open(world, login, panel):
    lead = login(world.clinician)
    poll = _propose(lead, panel)
    poll.title = "Roger Addel"  # as if the patient's record were changed to this name after the poll was proposed
    db.session.commit()
    response = lead.post(f"/polls/{poll.id}/decide", data={"slot_id": str(poll.slots[0].id)}, follow_redirects=True)
    assert "This would identify the patient" in response.text
    poll = db.session.scalar(select(MeetingPoll).where(MeetingPoll.id == poll.id).execution_options(populate_existing=True))
    assert poll.status == PollStatus.OPEN and poll.meeting_id is None
    assert db.session.scalar(select(Meeting.id).where(Meeting.panel_id == panel.id)) is None
