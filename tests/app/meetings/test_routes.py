"""Meetings over HTTP, through the pages a user clicks: the scheduling form and its refusals, answering from the
dashboard, the join button, the personal calendar feed, the .ics download, the ERN's meeting settings, and the panel's
Meetings tab with the minutes task."""

from __future__ import annotations

import html
import re
from datetime import date
from datetime import timedelta

import icalendar
import pytest
from flask import g
from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import Role
from app.database import db
from app.database import utcnow
from app.ernsettings.models import ErnSettings
from app.meetings.models import Answer
from app.meetings.models import Meeting
from app.meetings.models import MeetingStatus
from app.panels import services as panel_services
from app.panels.models import Panel
from app.patients.models import Patient
from app.workflows.services import fire_due_timers
from tests import factories
from tests.app.meetings import test_meetings
from tests.app.meetings.test_meetings import _in_days
from tests.app.meetings.test_meetings import _schedule
from tests.app.meetings.test_meetings import _when
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of

panel = test_meetings.panel  # the fixture: Leuven's lead (Brussels), Brno's expert (Prague), a colleague (Lisbon)
RECORD_LABEL = "MRN-558120"


def _form(world, **changes) -> dict:
    data = {
        "title": "Treatment options",
        "agenda": "1. Imaging\n2. Next steps",
        "day": "2027-01-12",
        "start_time": "10:00",
        "duration": "60",
        "time_zone": "Europe/Brussels",
        "join_url": "",
        "invitees": [str(world.brno_clinician.id), str(world.colleague.id)],
    }
    data.update(changes)
    return data


def _error(page: str, field: str) -> str:
    found = re.search(rf'id="{field}-error">([^<]*)<', page)
    return html.unescape(found.group(1)) if found else ""


def _list(page: str, list_id: str) -> str:
    """The <ul id=list_id> of a page ('' when the page shows no such list)."""
    found = re.search(rf'<ul[^>]*id="{list_id}"[^>]*>(.*?)</ul>', page, re.S)
    return found.group(1) if found else ""


def _between(page: str, start: str, end: str) -> str:
    """The page from ``start`` up to the next ``end`` (or to its end)."""
    assert start in page, start
    rest = page[page.index(start) + len(start) :]
    return rest[: rest.index(end)] if end in rest else rest


def _meetings() -> int:
    return db.session.scalar(select(func.count()).select_from(Meeting))


def _unfolded(text: str) -> str:
    """iCalendar text with its folded lines joined and its escapes undone, to search in."""
    return text.replace("\r\n ", "").replace("\r\n\t", "").replace("\\,", ",").replace("\\;", ";").replace("\\n", "\n")


# 1. Scheduling through the form ---------------------------------------------------------------------------------------


def test_the_form_preselects_the_viewers_time_zone_and_every_participant(world, panel, login):
    page = login(world.brno_clinician).get(f"/panels/{panel.id}/meetings/new").text
    assert '<option value="Europe/Prague" selected>' in page
    assert '<option value="Europe/Brussels" selected>' not in page
    for person in (world.clinician, world.colleague):
        assert re.search(rf'value="{person.id}" id="invitee-{person.id}" checked', page)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (lambda: {"day": _in_days(-1).isoformat()}, "start_time", "in the past"),
        (lambda: {"duration": "0"}, "duration", "at least a minute"),
        (lambda: {"duration": "721"}, "duration", "at most 12 hours"),
        (lambda: {"day": "2027-03-28", "start_time": "02:30"}, "start_time", "does not exist"),
        (lambda: {"day": "2027-10-31", "start_time": "02:30"}, "start_time", "happens twice"),
        (lambda: {"title": "Roger Addel"}, "title", "would identify the patient"),
    ],
    ids=["past", "duration-0", "duration-721", "skipped-hour", "repeated-hour", "patient-name"],
)
def test_a_refused_meeting_keeps_every_typed_value_with_the_message_by_the_field(world, panel, login, changes, field, message):
    typed = _form(world, agenda="Scans & labs <first>", join_url="https://video.example/room-7", time_zone="Europe/Brussels", **changes())
    response = login(world.clinician).post(f"/panels/{panel.id}/meetings/new", data=typed)
    assert response.status_code == 422
    page = response.text
    assert message in _error(page, field)
    assert f'id="{field}" value' in page or field == "time_zone"
    assert 'aria-invalid="true"' in page
    for name in ("title", "day", "start_time", "duration", "join_url"):
        assert f'name="{name}" id="{name}" value="{html.escape(typed[name])}"' in page, name
    assert '<option value="Europe/Brussels" selected>' in page
    assert html.escape(typed["agenda"], quote=False) in page
    for person in (world.brno_clinician, world.colleague):
        assert re.search(rf'value="{person.id}" id="invitee-{person.id}" checked', page)
    assert _meetings() == 0


def test_a_good_meeting_leads_to_its_page_shown_in_each_viewers_own_zone(world, panel, login):
    response = login(world.clinician).post(f"/panels/{panel.id}/meetings/new", data=_form(world))
    meeting = db.session.scalar(select(Meeting))
    assert response.status_code == 302 and meeting is not None
    assert response.location == f"/meetings/{meeting.id}"
    assert meeting.title == "Treatment options" and {i.user_id for i in meeting.invitees} == {
        world.clinician.id,
        world.brno_clinician.id,
        world.colleague.id,
    }
    expected = {
        world.clinician: "Tue 12/Jan/2027 10:00–11:00 (Europe/Brussels, CET)",
        world.brno_clinician: "Tue 12/Jan/2027 10:00–11:00 (Europe/Prague, CET)",
        world.colleague: "Tue 12/Jan/2027 09:00–10:00 (Europe/Lisbon, WET)",
    }
    for user, when in expected.items():
        page = login(user).get(f"/meetings/{meeting.id}").text
        shown = re.search(r'id="meeting-when">([^<]*)<', page).group(1)
        assert shown == when, user.email
    lisbon = login(world.colleague).get(f"/meetings/{meeting.id}").text
    assert "09:00" in lisbon and "WET" in lisbon and "Scheduled as Tue 12/Jan/2027 10:00–11:00 (Europe/Brussels, CET)" in lisbon


# 2. Answering from the dashboard --------------------------------------------------------------------------------------


def test_an_answer_from_the_dashboard_moves_the_meeting_from_invites_to_upcoming(world, panel, login):
    meeting = _schedule(world, panel, _when(_in_days(5), 10))
    client = login(world.colleague)
    dashboard = client.get("/").text
    assert f'data-meeting="{meeting.id}"' in _list(dashboard, "meeting-invites")
    assert "not answered" in _list(dashboard, "upcoming-meetings")

    response = client.post(f"/meetings/{meeting.id}/answer", data={"answer": "accepted", "note": "", "return_to": "dashboard"})
    assert response.status_code == 302 and response.location == "/"
    dashboard = client.get("/").text
    assert "You accepted the meeting “Treatment options”." in dashboard
    assert f'data-meeting="{meeting.id}"' not in _list(dashboard, "meeting-invites")
    assert "No meeting waits for your answer." in dashboard
    upcoming = _list(dashboard, "upcoming-meetings")
    assert f'data-meeting="{meeting.id}"' in upcoming and "not answered" not in upcoming


def test_a_declined_meeting_is_not_upcoming(world, panel, login):
    meeting = _schedule(world, panel, _when(_in_days(5), 10))
    client = login(world.brno_clinician)
    response = client.post(f"/meetings/{meeting.id}/answer", data={"answer": "declined", "note": "On call", "return_to": "dashboard"})
    assert response.status_code == 302 and response.location == "/"
    dashboard = client.get("/").text
    assert f'data-meeting="{meeting.id}"' not in _list(dashboard, "meeting-invites")
    assert f'data-meeting="{meeting.id}"' not in _list(dashboard, "upcoming-meetings")
    assert meeting.invitee(world.brno_clinician.id).answer == Answer.DECLINED


# 3. Join ------------------------------------------------------------------------------------------------------------


def _move(meeting: Meeting, starts_in: timedelta) -> None:
    meeting.starts_at = utcnow() + starts_in
    db.session.commit()


def test_join_shows_from_15_minutes_before_the_start_to_the_end_with_the_erns_video_room(world, panel, login):
    db.session.add(ErnSettings(ern_id=world.ern.id, video_url_template="https://meet.jit.si/{room}"))
    db.session.commit()
    meeting = _schedule(world, panel, _when(_in_days(1), 10))
    assert meeting.duration_minutes == 60
    client = login(world.brno_clinician)

    page = client.get(f"/meetings/{meeting.id}").text
    assert 'id="join-button"' not in page and 'id="join-later"' in page

    _move(meeting, timedelta(minutes=16))
    assert 'id="join-button"' not in client.get(f"/meetings/{meeting.id}").text
    for starts_in in (timedelta(minutes=14), timedelta(0), timedelta(minutes=-59)):
        _move(meeting, starts_in)
        page = client.get(f"/meetings/{meeting.id}").text
        link = re.search(r'id="join-button" href="([^"]+)"', page)
        assert link, starts_in
        assert re.fullmatch(r"https://meet\.jit\.si/consilium-[0-9a-f]{24}", link.group(1))
        for private in ("blue", "heron", "Roger", "Addel", "1976", str(panel.patient.cpms_id), RECORD_LABEL):
            assert private not in link.group(1)
    _move(meeting, timedelta(minutes=-61))
    assert 'id="join-button"' not in client.get(f"/meetings/{meeting.id}").text


# 4. The personal calendar feed -----------------------------------------------------------------------------------------


@pytest.fixture
def planted(world, panel):
    """The panel's patient with a record label and a CPMS ID, the values a feed must never carry."""
    patient = db.session.get(Patient, panel.patient_id)
    patient.record_label = RECORD_LABEL
    if patient.cpms_id is None:
        patient.cpms_id = "ERN-BE10-EuroBloodNet-001"
    db.session.commit()
    return ["Roger", "Addel", "1976-02-05", "05/02/1976", "05.02.1976", "19760205", "05/Feb/1976", patient.cpms_id, RECORD_LABEL]


def _new_feed(client, nicknames: bool = False) -> str:
    response = client.post("/calendar/feed", data={"show_nicknames": "yes" if nicknames else ""})
    assert response.status_code == 200
    found = re.findall(r"/calendar/([A-Za-z0-9_-]{20,})\.ics", response.text)
    assert len(set(found)) == 1, found
    return found[0]


def _feed(app, token: str):
    """The feed as a calendar application fetches it: a new client, never signed in. The test's app context is shared by
    every request (the database fixture holds it), and Flask-Login keeps the last request's user in ``g``: forget it
    before, and after (so the signed-in client's next request loads its own user again)."""
    g.pop("_login_user", None)
    try:
        return app.test_client().get(f"/calendar/{token}.ics")
    finally:
        g.pop("_login_user", None)


def test_the_feed_answers_without_sign_in_with_the_users_meetings_and_nothing_identifying(app, world, panel, planted, login):
    mine = _schedule(world, panel, _when(_in_days(5), 10))
    others = _schedule(world, panel, _when(_in_days(6), 11), title="Lead and Brno only", invitee_ids=[world.brno_clinician.id])
    cancelled = _schedule(world, panel, _when(_in_days(7), 12), title="Called off")
    login(world.clinician).post(f"/meetings/{cancelled.id}/cancel", data={})
    assert db.session.get(Meeting, cancelled.id).status == MeetingStatus.CANCELLED

    client = login(world.colleague)
    token = _new_feed(client)
    assert token not in client.get("/preferences").text  # shown once only

    response = _feed(app, token)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "no-store" in response.headers["Cache-Control"]
    calendar = icalendar.Calendar.from_ical(response.text)
    events = list(calendar.walk("VEVENT"))
    assert {str(e["UID"]) for e in events} == {mine.uid, cancelled.uid}
    for event in events:
        for prop in ("UID", "DTSTAMP", "DTSTART", "SEQUENCE"):
            assert prop in event, prop
    assert next(e for e in events if e["UID"] == cancelled.uid)["STATUS"] == "CANCELLED"
    text = _unfolded(response.text)
    assert others.uid not in text and "Lead and Brno only" not in text
    for private in [*planted, "blue heron", "heron"]:
        assert private not in text, private
    assert world.brno_clinician.email not in text  # a feed carries no one's address


def test_a_feed_with_nicknames_shows_the_nickname_and_still_nothing_identifying(app, world, panel, planted, login):
    meeting = _schedule(world, panel, _when(_in_days(5), 10))
    token = _new_feed(login(world.brno_clinician), nicknames=True)
    response = _feed(app, token)
    event = next(iter(icalendar.Calendar.from_ical(response.text).walk("VEVENT")))
    assert event["UID"] == meeting.uid
    assert "blue heron" in str(event["SUMMARY"])
    text = _unfolded(response.text)
    for private in planted:
        assert private not in text, private


def test_a_new_address_or_revoking_ends_the_old_one_and_an_unknown_address_is_not_found(app, world, panel, login):
    _schedule(world, panel, _when(_in_days(5), 10))
    client = login(world.colleague)
    first = _new_feed(client)
    assert _feed(app, first).status_code == 200
    second = _new_feed(client)
    assert second != first
    assert _feed(app, first).status_code == 404
    assert _feed(app, second).status_code == 200
    response = client.post("/calendar/feed/revoke", data={})
    assert response.status_code == 302 and response.location.endswith("/preferences#calendar-feed")
    assert _feed(app, second).status_code == 404
    assert _feed(app, "x" * 43).status_code == 404


# 5. The .ics download ---------------------------------------------------------------------------------------------------


def test_the_ics_download_is_a_request_then_a_cancellation(world, panel, login):
    meeting = _schedule(world, panel, _when(_in_days(5), 10))
    client = login(world.clinician)
    response = client.get(f"/meetings/{meeting.id}/invite.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert 'filename="invite.ics"' in response.headers["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(response.text)
    assert calendar["METHOD"] == "REQUEST"
    assert next(iter(calendar.walk("VEVENT")))["UID"] == meeting.uid

    response = client.post(f"/meetings/{meeting.id}/cancel", data={})
    assert response.status_code == 302 and response.location == f"/panels/{panel.id}?tab=meetings"
    calendar = icalendar.Calendar.from_ical(client.get(f"/meetings/{meeting.id}/invite.ics").text)
    assert calendar["METHOD"] == "CANCEL"
    assert int(next(iter(calendar.walk("VEVENT")))["SEQUENCE"]) == 1


# 6. ERN settings: Meetings ------------------------------------------------------------------------------------------


@pytest.fixture
def manager(world):
    user = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    db.session.commit()
    return user


SETTINGS = {
    "first_reminder": "60",
    "second_reminder": "10",
    "video_url_template": "https://meet.jit.si/{room}",
    "guests_may_schedule": "yes",
}


def test_an_ern_manager_saves_the_meeting_settings_and_later_meetings_are_reminded_at_the_new_instants(world, panel, manager, login):
    client = login(manager)
    response = client.post(f"/erns/{world.ern.code}/settings/meetings", data=SETTINGS)
    assert response.status_code == 302 and response.location.endswith("#meetings")
    settings = db.session.get(ErnSettings, world.ern.id)
    db.session.refresh(settings)
    assert (settings.meeting_first_reminder_minutes, settings.meeting_second_reminder_minutes) == (60, 10)
    assert settings.video_url_template == "https://meet.jit.si/{room}" and settings.guests_may_schedule
    page = client.get(f"/erns/{world.ern.code}/settings").text
    assert 'id="meeting-first_reminder" name="first_reminder" value="60"' in page
    assert 'id="meeting-guests" name="guests_may_schedule" value="yes" checked' in page

    meeting = _schedule(world, panel, _when(_in_days(5), 10))
    start = meeting.starts_at
    assert meeting.join_url.startswith("https://meet.jit.si/consilium-")
    assert fire_due_timers(start - timedelta(hours=24)) == 0  # the default first reminder is gone
    assert fire_due_timers(start - timedelta(minutes=61)) == 0
    assert fire_due_timers(start - timedelta(minutes=60)) == 1
    assert fire_due_timers(start - timedelta(minutes=15)) == 0  # the default second reminder is gone
    assert fire_due_timers(start - timedelta(minutes=11)) == 0
    assert fire_due_timers(start - timedelta(minutes=10)) == 1
    assert fire_due_timers(start - timedelta(minutes=1)) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_reminder": "10", "second_reminder": "10"}, "first_reminder"),
        ({"first_reminder": "5", "second_reminder": "10"}, "first_reminder"),
        ({"video_url_template": "https://meet.jit.si/consilium"}, "video_url_template"),
        ({"video_url_template": "http://meet.jit.si/{room}"}, "video_url_template"),
        ({"first_reminder": "-5"}, "first_reminder"),
        ({"second_reminder": "-1"}, "second_reminder"),
        ({"first_reminder": "10081"}, "first_reminder"),
    ],
    ids=["first-equals-second", "first-below-second", "no-room", "http", "negative-first", "negative-second", "too-large"],
)
def test_bad_meeting_settings_are_refused_with_the_values_kept(world, manager, login, changes, field):
    typed = {**SETTINGS, **changes}
    response = login(manager).post(f"/erns/{world.ern.code}/settings/meetings", data=typed)
    assert response.status_code == 422
    page = response.text
    assert _error(page, f"meeting-{field}" if field != "video_url_template" else "meeting-video")
    for key in ("first_reminder", "second_reminder"):
        assert f'id="meeting-{key}" name="{key}" value="{html.escape(typed[key])}"' in page
    assert f'name="video_url_template" maxlength="500" value="{html.escape(typed["video_url_template"])}"' in page
    assert 'id="meeting-guests" name="guests_may_schedule" value="yes" checked' in page
    assert db.session.get(ErnSettings, world.ern.id) is None


# 7. The panel page ------------------------------------------------------------------------------------------------------


def test_the_meetings_tab_lists_the_upcoming_meeting_with_the_answers_and_the_header_the_next_one(world, panel, login):
    meeting = _schedule(world, panel, _when(_in_days(5), 10))
    _schedule(world, panel, _when(_in_days(9), 10), title="Follow-up")
    login(world.colleague).post(f"/meetings/{meeting.id}/answer", data={"answer": "declined", "note": "On call that day"})
    page = login(world.clinician).get(f"/panels/{panel.id}?tab=meetings").text
    upcoming = _between(page, 'id="upcoming-meetings"', 'id="past-meetings-heading"')
    assert "Treatment options" in upcoming and "Follow-up" in upcoming
    item = _between(upcoming, f'data-meeting="{meeting.id}"', "data-meeting=")
    for user, answer in ((world.clinician, "Accepted"), (world.brno_clinician, "No answer yet"), (world.colleague, "Declined")):
        assert re.search(rf'data-invitee="{user.id}">{user.full_name} <span class="badge [^"]*">{answer}</span>', item), user.email
    assert "On call that day" in item
    header = re.search(r'id="next-meeting">(.*?)</dd>', page, re.S).group(1)
    assert "Treatment options" in header and "Follow-up" not in header
    assert f"/meetings/{meeting.id}" in header


def test_who_is_not_a_member_sees_no_meeting(world, panel, login):
    meeting = _schedule(world, panel, _when(_in_days(5), 10))
    nurse = factories.make_user("nurse@leuven.example", [(world.ern, world.leuven, Role.MEMBER_EXPERT)], "Nora", "Nurse")
    db.session.commit()
    leaks = []
    for user in (world.coordinator, nurse):
        client = login(user)
        response = client.get(f"/panels/{panel.id}?tab=meetings")
        assert response.status_code == 200, user.email
        assert "Meetings are for the panel’s members and managers." in response.text
        assert 'id="next-meeting"' not in response.text and 'data-meeting="' not in response.text
        assert client.get(f"/meetings/{meeting.id}").status_code == 404
        leaks += [
            f"{user.email} on {where}"
            for where in (f"/panels/{panel.id}?tab=meetings", "/")
            if "Treatment options" in client.get(where).text
        ]
    # The panel's timeline and the dashboard's "Panel activity" are read by all who see the panel: their lines about
    # meetings name none, so the title stays with the members.
    assert leaks == [], f"the meeting's title is shown to non-members: {leaks}"


def test_the_minutes_are_recorded_through_their_task_and_offered_when_the_outcome_is_drafted(world, panel, login):
    meeting = _schedule(world, panel, _when(date(2027, 1, 12), 10))
    login(world.brno_clinician).post(f"/meetings/{meeting.id}/answer", data={"answer": "accepted"})
    fire_due_timers(meeting.ends_at)
    task_id = task_of(world.clinician, "record_minutes")
    client = login(world.clinician)
    assert f"/tasks/{task_id}" in client.get(f"/meetings/{meeting.id}").text

    page = client.get(f"/tasks/{task_id}").text
    subject, form = page.split(f'<form method="post" action="/tasks/{task_id}"', 1)
    assert f'<a href="/meetings/{meeting.id}">Treatment options</a>' in subject
    assert "Tue 12/Jan/2027 10:00–11:00 (Europe/Brussels, CET)" in subject
    assert 'Jan Novak <span class="badge text-bg-success">Accepted</span>' in subject
    assert '<legend class="form-label fs-6 mb-1">Attended</legend>' in form
    for user in (world.clinician, world.brno_clinician, world.colleague):
        assert f'data-invitee="{user.id}"' in subject
        assert re.search(rf'name="attended" type="checkbox" value="{user.id}">\s*<label[^>]*>{user.full_name}</label>', form), user.email

    answers = {"minutes": "Agreed to repeat the biopsy.", "attended": [str(world.clinician.id), str(world.brno_clinician.id)]}
    response = client.post(f"/tasks/{task_id}", data=answers)
    assert response.status_code == 302
    page = client.get(f"/meetings/{meeting.id}").text
    assert re.search(r'id="meeting-minutes">Agreed to repeat the biopsy\.<', page)
    db.session.refresh(meeting)
    assert {i.user_id for i in meeting.invitees if i.attended} == {world.clinician.id, world.brno_clinician.id}

    complete(world.clinician, task_of(world.clinician, "select_experts"), {})
    page = client.get(f"/tasks/{task_of(world.clinician, 'draft_outcome')}").text
    minutes = re.search(r'id="draft-meeting-minutes">(.*?)</ol>', page, re.S).group(1)
    assert "Minutes of the meetings" in page
    assert "Treatment options" in minutes and "Agreed to repeat the biopsy." in minutes
    assert world.brno_clinician.full_name in minutes and world.colleague.full_name not in minutes


def test_closing_the_panel_from_the_page_leaves_the_meeting_cancelled_on_its_tab(world, panel, login):
    meeting = _schedule(world, panel, _when(_in_days(5), 10))
    panel_services.close_now(world.clinician, panel.id, "withdrawn", "", ORIGIN)
    page = login(world.clinician).get(f"/panels/{panel.id}?tab=meetings").text
    assert f'data-meeting="{meeting.id}"' in _list(page, "past-meetings") and "Cancelled" in page
    assert 'id="next-meeting"' not in page
    assert db.session.get(Panel, panel.id).closed
