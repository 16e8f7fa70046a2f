"""A panel meeting through the browser, across three time zones, with the invitation mails on a real SMTP server.

Hanna Peeters (Europe/Brussels, lead of the demo panel "silver birch") schedules a meeting; Jan Novák (Europe/Prague)
and Greta Guest (who first sets Europe/Lisbon in her preferences) see it at their own local times. Jan accepts from his
dashboard, Greta declines with a note on the meeting page. Hanna sees the answers, reschedules, then cancels; each
change reaches the invitees by mail with an .ics that a calendar parser reads back: the same UID, the UTC instant of
the start and a SEQUENCE that grows with each change.

Expected local times are computed here with zoneinfo (never a hard-coded offset), so the test holds in winter and
summer alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import Locator
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import RequestInfo
from app.database import db
from app.mail.services import send_pending_mail
from app.meetings.models import Meeting
from app.panels.models import Panel
from app.tasks import queries as task_queries
from app.tasks import services as task_services
from app.tasks.form_definitions import load_form_definitions
from tests.browser.conftest import assert_accessible
from tests.browser.journeys import flash
from tests.browser.journeys import sign_in
from tests.browser.journeys import sign_out
from tests.conftest import LiveServer
from tests.smtp import Inbox

LEAD = "hp1@demo.consilium.eu"  # Hanna Peeters, BE10, leads "silver birch"
EXPERT = "hp2@demo.consilium.eu"  # Jan Novák, CZ08, invited to "silver birch"
GUEST = "guest@demo.consilium.eu"  # Greta Guest, guest expert, invited to "silver birch"
NICKNAME = "silver birch"
BRUSSELS, PRAGUE, LISBON = "Europe/Brussels", "Europe/Prague", "Europe/Lisbon"
TITLE = "Second-line options for the relapse"
AGENDA = "1. Imaging review\n2. Second-line regimen\n3. Follow-up plan"
VIDEO = "https://video.example.org/rooms/silver-birch-relapse"
ORIGIN = RequestInfo("127.0.0.1", "pytest")


def local_span(start: datetime, minutes: int, zone: str) -> str:
    """How the app names a meeting's time in a zone: "Thu 17/Dec/2026 10:00–11:00 (Europe/Prague, CET)"."""
    begins = start.astimezone(ZoneInfo(zone))
    ends = (start + timedelta(minutes=minutes)).astimezone(ZoneInfo(zone))
    assert begins.date() == ends.date()
    return f"{begins:%a %d/%b/%Y %H:%M}–{ends:%H:%M} ({zone}, {begins.tzname()})"


def hours(start: datetime, zone: str) -> str:
    return f"{start.astimezone(ZoneInfo(zone)):%H:%M}"


@pytest.fixture(scope="module")
def panel_id(live_server: LiveServer) -> int:
    """Jan and Greta accept their invitations to "silver birch" (so that meetings may invite them); Hanna and Jan get
    their time zones. Greta sets hers in the browser."""
    with live_server.app.app_context():
        panel = db.session.scalar(select(Panel).where(Panel.nickname == NICKNAME))
        assert panel is not None
        found = panel.id
        forms = load_form_definitions(live_server.app.config["FORMS_DIR"])
        for email in (EXPERT, GUEST):
            user = db.session.scalar(select(User).where(User.email == email))
            assert user is not None
            tasks = [t for t in task_queries.open_tasks_for(user) if t.name == "answer_invitation" and t.subject_id == found]
            assert len(tasks) == 1, f"{email}: {len(tasks)} invitations to {NICKNAME}"
            task_services.complete_task(user, tasks[0].engine_task_id, {"answer": "accept"}, forms, date.today(), ORIGIN)
        for email, zone in ((LEAD, BRUSSELS), (EXPERT, PRAGUE)):
            user = db.session.scalar(select(User).where(User.email == email))
            assert user is not None
            user.timezone = zone
        db.session.commit()
        db.session.remove()
    return found


def deliver(live_server: LiveServer, inbox: Inbox) -> None:
    """The queued mail, through the real SMTP server (the live app sends nothing by itself)."""
    with live_server.app.app_context():
        while send_pending_mail(inbox.settings):
            pass
        db.session.remove()


def invitations(inbox: Inbox, email: str, uid: str) -> Iterator[tuple[EmailMessage, Calendar]]:
    """The mails to ``email`` about the meeting ``uid``, in the order they arrived, with their parsed .ics."""
    for recipients, message in inbox.mails:
        if email not in recipients:
            continue
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                calendar = Calendar.from_ical(part.get_content())
                if str(calendar.walk("VEVENT")[0]["UID"]) == uid:
                    yield message, calendar


def read_back(inbox: Inbox, email: str, uid: str) -> list[tuple[str, int, datetime, str]]:
    """(METHOD, SEQUENCE, DTSTART as a UTC instant, the mail's text) of each mail about the meeting."""
    found = []
    for message, calendar in invitations(inbox, email, uid):
        event = calendar.walk("VEVENT")[0]
        start = event.decoded("DTSTART")
        assert isinstance(start, datetime) and start.tzinfo is not None, start
        body = message.get_body(("plain",))
        assert body is not None
        found.append((str(calendar["METHOD"]), int(event["SEQUENCE"]), start.astimezone(UTC), body.get_content()))
    return found


def go_to_panel(page: Page, panel_id: int) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Panels", exact=True).click()
    page.get_by_role("textbox", name="Number or nickname").fill(NICKNAME)
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("row").filter(has_text=NICKNAME).get_by_role("link", name=f"#{panel_id}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"#{panel_id} {NICKNAME}")


def tab(page: Page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("link", name=name, exact=True)).to_have_attribute("aria-current", "page")


def dashboard_list(page: Page, name: str) -> Locator:
    return page.get_by_role("list", name=name, exact=True)


def answer_of(page: Page, name: str) -> Locator:
    return page.get_by_role("list", name="Answers of the invitees").get_by_role("listitem").filter(has_text=name)


@pytest.mark.browser
def test_a_meeting_across_time_zones_with_its_calendar_mails(page: Page, live_server: LiveServer, panel_id: int, inbox: Inbox) -> None:
    deliver(live_server, inbox)  # the demo data's own mail, out of the way
    inbox.mails.clear()
    day = date.today() + timedelta(days=10)
    starts = datetime.combine(day, time(10, 0), ZoneInfo(BRUSSELS)).astimezone(UTC)
    moved = datetime.combine(day, time(11, 30), ZoneInfo(BRUSSELS)).astimezone(UTC)

    # ---- Greta chooses her time zone (the mails are written in the zone each invitee has when they are sent). ----
    sign_in(page, GUEST, "Greta Guest")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Preferences", exact=True).click()
    expect(page.get_by_role("combobox", name="Time zone")).to_have_value(BRUSSELS)  # the app's default
    page.get_by_role("combobox", name="Time zone").select_option(LISBON)
    page.get_by_role("button", name="Save preferences").click()
    expect(flash(page, "Your preferences are saved.")).to_be_visible()
    expect(page.get_by_role("combobox", name="Time zone")).to_have_value(LISBON)
    sign_out(page)

    # ---- Hanna schedules: first in the hour the clocks skip, then ten days from today. ----
    sign_in(page, LEAD, "Hanna Peeters")
    go_to_panel(page, panel_id)
    tab(page, "Meetings")
    expect(page.get_by_text("No meeting is planned.")).to_be_visible()
    page.get_by_role("link", name="Schedule a meeting").click()
    expect(page.get_by_role("heading", name="Schedule a meeting", level=1)).to_be_visible()
    assert_accessible(page, "schedule a meeting")
    invite = page.get_by_role("group", name="Invite")
    expect(invite.get_by_role("checkbox", name=re.compile(r"^Jan Novák"))).to_be_checked()
    expect(invite.get_by_role("checkbox", name=re.compile(r"^Greta Guest"))).to_be_checked()
    expect(page.get_by_role("combobox", name="Time zone")).to_have_value(BRUSSELS)  # hers, from her preferences

    page.get_by_role("textbox", name="Title").fill(TITLE)
    page.get_by_label("Day").fill("2027-03-28")
    page.get_by_label("Start time").fill("02:30")
    page.get_by_role("button", name="Schedule and invite").click()
    start_time = page.get_by_label("Start time")
    expect(page.locator("#start_time-error")).to_contain_text("02:30 does not exist on 28/Mar/2027 in Europe/Brussels")
    expect(page.locator("#start_time-error")).to_contain_text("the clocks go forward from 02:00 to 03:00")
    expect(start_time).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("textbox", name="Title")).to_have_value(TITLE)  # what was typed comes back
    assert_accessible(page, "schedule a meeting, refused time")

    page.get_by_label("Day").fill(day.isoformat())
    start_time.fill("10:00")
    page.get_by_role("spinbutton", name="Duration (minutes)").fill("60")
    page.get_by_role("combobox", name="Time zone").select_option(BRUSSELS)
    page.get_by_role("textbox", name="Agenda").fill(AGENDA)
    page.get_by_role("textbox", name="Video link").fill(VIDEO)
    page.get_by_role("button", name="Schedule and invite").click()

    expect(flash(page, f"Meeting “{TITLE}” scheduled: the invitations are on their way.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/meetings/\d+$"))
    meeting_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("#meeting-when")).to_have_text(local_span(starts, 60, BRUSSELS))
    expect(page.locator("#meeting-agenda")).to_have_text(AGENDA)
    expect(page.locator("#join-later")).to_be_visible()  # the Join button waits for 15 minutes before the start
    expect(answer_of(page, "Hanna Peeters")).to_contain_text("Accepted")
    expect(answer_of(page, "Jan Novák")).to_contain_text("No answer yet")
    assert_accessible(page, "meeting page")
    with live_server.app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting is not None
        uid = meeting.uid
        assert meeting.starts_at == starts
        db.session.remove()
    sign_out(page)

    # ---- Jan (Prague) accepts from his dashboard. ----
    sign_in(page, EXPERT, "Jan Novák")
    invites = dashboard_list(page, "Meeting invites")
    invite_item = invites.get_by_role("listitem").filter(has_text=TITLE)
    expect(invite_item).to_contain_text(local_span(starts, 60, PRAGUE))
    expect(invite_item).to_contain_text(f"panel #{panel_id} {NICKNAME}")
    assert_accessible(page, "dashboard with a meeting invite")
    invite_item.get_by_role("button", name="Accept").click()
    expect(flash(page, f"You accepted the meeting “{TITLE}”.")).to_be_visible()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.locator(f"#meeting-invites [data-meeting='{meeting_id}']")).to_have_count(0)
    upcoming = dashboard_list(page, "Upcoming meetings in the next 14 days").get_by_role("listitem").filter(has_text=TITLE)
    expect(upcoming).to_contain_text(local_span(starts, 60, PRAGUE))
    expect(upcoming).not_to_contain_text("not answered")
    sign_out(page)

    # ---- Greta (Lisbon) sees the meeting an hour earlier, declines with a note; she cannot schedule. ----
    sign_in(page, GUEST, "Greta Guest")
    guest_item = dashboard_list(page, "Meeting invites").get_by_role("listitem").filter(has_text=TITLE)
    expect(guest_item).to_contain_text(local_span(starts, 60, LISBON))
    assert hours(starts, LISBON) == hours(starts - timedelta(hours=1), BRUSSELS)  # Lisbon is an hour behind Brussels
    guest_item.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("#meeting-when")).to_contain_text(local_span(starts, 60, LISBON))
    expect(page.locator("#meeting-scheduled-when")).to_have_text(f"Scheduled as {local_span(starts, 60, BRUSSELS)}")
    your_answer = page.get_by_role("region", name="Your answer")
    your_answer.get_by_role("radio", name="Decline").check()
    your_answer.get_by_role("textbox", name="Note (optional)").fill("On call that morning, sorry.")
    your_answer.get_by_role("button", name="Send answer").click()
    expect(flash(page, f"You declined the meeting “{TITLE}”.")).to_be_visible()
    expect(answer_of(page, "Greta Guest")).to_contain_text("Declined")
    expect(page.get_by_role("region", name="Your answer").get_by_role("radio", name="Decline")).to_be_checked()
    page.get_by_role("link", name="Back to the panel’s meetings").click()
    expect(page.get_by_role("link", name="Meetings", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.locator(f"#upcoming-meetings [data-meeting='{meeting_id}']")).to_contain_text(local_span(starts, 60, LISBON))
    expect(page.get_by_role("link", name="Schedule a meeting")).to_have_count(0)  # guests do not, unless the ERN allows
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.locator(f"[data-meeting='{meeting_id}']")).to_have_count(0)  # declined: neither an invite nor upcoming
    sign_out(page)

    # ---- Hanna sees the answers and the next meeting, then reschedules to 11:30. ----
    sign_in(page, LEAD, "Hanna Peeters")
    go_to_panel(page, panel_id)
    expect(page.locator("dt").filter(has_text="Next meeting")).to_be_visible()
    expect(page.locator("#next-meeting")).to_have_text(f"{TITLE} — {local_span(starts, 60, BRUSSELS)}")
    page.locator("#next-meeting").get_by_role("link", name=TITLE).click()
    expect(answer_of(page, "Jan Novák")).to_contain_text("Accepted")
    expect(answer_of(page, "Greta Guest")).to_contain_text("Declined")
    expect(answer_of(page, "Greta Guest")).to_contain_text("On call that morning, sorry.")

    page.get_by_role("link", name="Reschedule or edit").click()
    expect(page.get_by_role("heading", name=f"Reschedule “{TITLE}”", level=1)).to_be_visible()
    expect(page.get_by_label("Day")).to_have_value(day.isoformat())
    expect(page.get_by_label("Start time")).to_have_value("10:00")
    assert_accessible(page, "reschedule a meeting")
    page.get_by_label("Start time").fill("11:30")
    page.get_by_role("button", name="Save and tell the invitees").click()
    expect(flash(page, "Meeting rescheduled: the invitees get the new time and answer again.")).to_be_visible()
    expect(page.locator("#meeting-when")).to_have_text(local_span(moved, 60, BRUSSELS))
    expect(answer_of(page, "Jan Novák")).to_contain_text("No answer yet")  # a new time asks again

    # ---- The mails: the invitation and the update, read back by a calendar parser. ----
    deliver(live_server, inbox)
    for email, zone in ((EXPERT, PRAGUE), (GUEST, LISBON)):
        mails = read_back(inbox, email, uid)
        assert [(method, sequence, start) for method, sequence, start, _text in mails] == [
            ("REQUEST", 0, starts),
            ("REQUEST", 1, moved),
        ], email
        assert f"When: {local_span(starts, 60, zone)}" in mails[0][3], mails[0][3]
        assert f"When: {local_span(moved, 60, zone)}" in mails[1][3], mails[1][3]
        assert f"Join: {VIDEO}" in mails[0][3]
    assert read_back(inbox, LEAD, uid) == []  # she scheduled and moved it herself

    # ---- Hanna cancels: the invitees get a CANCEL, the meeting leaves Jan's dashboard. ----
    page.locator("summary").filter(has_text="Cancel the meeting").click()
    page.get_by_role("button", name="Yes, cancel the meeting").click()
    expect(flash(page, f"Meeting “{TITLE}” cancelled: the invitees are told.")).to_be_visible()
    expect(page.get_by_role("link", name="Meetings", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.locator(f"#past-meetings [data-meeting='{meeting_id}']")).to_contain_text("Cancelled")
    expect(page.locator(f"#upcoming-meetings [data-meeting='{meeting_id}']")).to_have_count(0)
    expect(page.locator("#next-meeting")).to_have_count(0)
    assert_accessible(page, "panel page, meetings tab")
    sign_out(page)

    deliver(live_server, inbox)
    for email in (EXPERT, GUEST):
        method, sequence, start, text = read_back(inbox, email, uid)[-1]
        assert (method, sequence, start) == ("CANCEL", 2, moved), email
        assert "is cancelled" in text
    cancelled = next(calendar for _message, calendar in invitations(inbox, EXPERT, uid) if str(calendar["METHOD"]) == "CANCEL")
    assert str(cancelled.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"

    sign_in(page, EXPERT, "Jan Novák")
    expect(page.get_by_text("No meeting waits for your answer.")).to_be_visible()
    expect(page.get_by_text("No meeting in the next 14 days.")).to_be_visible()
    expect(page.locator(f"[data-meeting='{meeting_id}']")).to_have_count(0)
