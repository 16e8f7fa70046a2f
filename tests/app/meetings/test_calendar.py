"""Meetings as iCalendar, read back with the icalendar parser as a calendar client would: the invitation of each
change and the personal feed, with the right instants across zones and nothing about the patient."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

import app.models  # noqa: F401 - every mapped class, so that the transient objects below can be made
from app.accounts.models import User
from app.meetings.calendar import INVITATION_FILE
from app.meetings.calendar import PRODID
from app.meetings.calendar import content_type
from app.meetings.calendar import feed
from app.meetings.calendar import invitation
from app.meetings.models import Answer
from app.meetings.models import Meeting
from app.meetings.models import MeetingInvitee
from app.meetings.models import MeetingStatus
from app.panels.models import Panel
from app.patients.models import Patient

pytestmark = pytest.mark.no_database

LISBON = ZoneInfo("Europe/Lisbon")
PAGE = "https://consilium.example/meetings/42"
# Planted in the panel and its patient: none of it may reach a calendar.
PATIENT_WORDS = ("Zebulon", "Quackenbush", "MRN-SECRET-0042", "Secret nickname")


def make_meeting(number: int = 42, **changes) -> Meeting:
    panel = Panel(
        nickname="Secret nickname",
        patient=Patient(first_name="Zebulon", last_name="Quackenbush", record_label="MRN-SECRET-0042", date_of_birth=date(2001, 2, 3)),
    )
    lead = User(email="lead@hospital.example", first_name="Lea", last_name="Lead")
    values = {
        "panel": panel,
        "title": "Second opinion on the imaging",
        "agenda": "1. The MRI of June\n2. Next steps",
        "starts_at": datetime(2027, 3, 29, 8, 0, tzinfo=UTC),  # 10:00 in Brussels (summer time), 09:00 in Lisbon
        "duration_minutes": 90,
        "time_zone": "Europe/Brussels",
        "join_url": "https://video.example/room/42",
        "uid": f"meeting-{number}@consilium.example",
        "sequence": 3,
        "status": MeetingStatus.SCHEDULED,
        "scheduled_by": lead,
        "updated_at": datetime(2027, 3, 1, 12, 0, tzinfo=UTC),
    }
    meeting = Meeting(**(values | changes))
    meeting.invitees = [
        MeetingInvitee(
            user=User(email=f"{answer.value}@hospital.example", first_name=answer.value.title(), last_name="Expert"), answer=answer
        )
        for answer in Answer
    ]
    return meeting


def parsed(text: str) -> Calendar:
    calendar = Calendar.from_ical(text)
    calendar.validate()
    return calendar


def test_an_invitation_is_a_request_with_the_meeting_in_the_schedulers_zone():
    text = invitation(make_meeting(), "REQUEST", page_url=PAGE)
    calendar = parsed(text)
    assert (str(calendar["PRODID"]), str(calendar["VERSION"]), str(calendar["METHOD"])) == (PRODID, "2.0", "REQUEST")
    [event] = calendar.events
    assert "DTSTART;TZID=Europe/Brussels:20270329T100000" in text and "DTEND;TZID=Europe/Brussels:20270329T113000" in text
    assert event.start.astimezone(LISBON) == datetime(2027, 3, 29, 9, 0, tzinfo=LISBON)
    assert event.end.astimezone(UTC) == datetime(2027, 3, 29, 9, 30, tzinfo=UTC)
    assert (str(event["UID"]), event["SEQUENCE"], str(event["STATUS"])) == ("meeting-42@consilium.example", 3, "CONFIRMED")
    assert str(event["SUMMARY"]) == "Panel meeting: Second opinion on the imaging"
    assert str(event["URL"]) == PAGE and str(event["LOCATION"]) == "https://video.example/room/42"
    description = str(event["DESCRIPTION"])
    assert "1. The MRI of June\n2. Next steps" in description and PAGE in description and "https://video.example/room/42" in description
    assert event.stamp.tzinfo is not None and abs(event.stamp - datetime.now(UTC)).total_seconds() < 60
    organizer = event["ORGANIZER"]
    assert (organizer.email, organizer.params["CN"]) == ("lead@hospital.example", "Lea Lead")


def test_the_vtimezone_sent_gives_the_right_instants_to_a_client_that_reads_only_it():
    """A client far from Brussels (here: Lisbon) may know no zone by that name: the VTIMEZONE alone must do."""
    winter = make_meeting(1, starts_at=datetime(2027, 1, 12, 9, 0, tzinfo=UTC))
    summer = make_meeting(2)
    calendar = parsed(feed([winter, summer], page_url_for=lambda meeting: PAGE, nickname_for=None))
    [vtimezone] = calendar.timezones
    assert vtimezone.tz_name == "Europe/Brussels"
    from_vtimezone = vtimezone.to_tz(lookup_tzid=False)
    starts = [event.start.replace(tzinfo=None).replace(tzinfo=from_vtimezone) for event in calendar.events]
    assert [start.astimezone(LISBON) for start in starts] == [
        datetime(2027, 1, 12, 9, 0, tzinfo=LISBON),
        datetime(2027, 3, 29, 9, 0, tzinfo=LISBON),
    ]


def test_each_invitees_answer_is_their_partstat():
    [event] = parsed(invitation(make_meeting(), "REQUEST", page_url=PAGE)).events
    attendees = {attendee.email: attendee.params for attendee in event["ATTENDEE"]}
    assert {email: params["PARTSTAT"] for email, params in attendees.items()} == {
        "pending@hospital.example": "NEEDS-ACTION",
        "accepted@hospital.example": "ACCEPTED",
        "tentative@hospital.example": "TENTATIVE",
        "declined@hospital.example": "DECLINED",
    }
    assert all(params["ROLE"] == "REQ-PARTICIPANT" and params["RSVP"] == "TRUE" for params in attendees.values())
    assert attendees["accepted@hospital.example"]["CN"] == "Accepted Expert"


def test_a_cancellation_names_the_same_event_with_a_higher_sequence():
    meeting = make_meeting()
    [requested] = parsed(invitation(meeting, "REQUEST", page_url=PAGE)).events
    meeting.sequence, meeting.status = 4, MeetingStatus.CANCELLED
    calendar = parsed(invitation(meeting, "CANCEL", page_url=PAGE))
    [cancelled] = calendar.events
    assert str(calendar["METHOD"]) == "CANCEL" and str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["UID"]) == str(requested["UID"]) and cancelled["SEQUENCE"] == 4 > requested["SEQUENCE"]


def test_a_meeting_without_a_link_or_a_known_scheduler_still_makes_an_invitation():
    [event] = parsed(invitation(make_meeting(join_url="", scheduled_by=None), "REQUEST", page_url=PAGE)).events
    assert str(event["LOCATION"]) == "Video meeting (link on the meeting page)" and "ORGANIZER" not in event
    assert "video.example" not in str(event["DESCRIPTION"])


def test_without_its_scheduler_the_organizer_is_the_apps_sender():
    meeting = make_meeting(scheduled_by=None)
    [event] = parsed(invitation(meeting, "CANCEL", page_url=PAGE, sender="Consilium <no-reply@consilium.example>")).events
    assert str(event["ORGANIZER"]) == "mailto:no-reply@consilium.example" and event["ORGANIZER"].params["CN"] == "Consilium"


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError):
        invitation(make_meeting(), "PUBLISH", page_url=PAGE)  # type: ignore[arg-type]


def test_nothing_about_the_patient_reaches_a_calendar():
    meeting = make_meeting()
    texts = [
        invitation(meeting, "REQUEST", page_url=PAGE),
        invitation(meeting, "CANCEL", page_url=PAGE),
        feed([meeting], page_url_for=lambda meeting: PAGE, nickname_for=None),
    ]
    for text in texts:
        unfolded = text.replace("\r\n ", "")
        assert not [word for word in PATIENT_WORDS if word in unfolded]


def test_the_feed_is_a_named_calendar_without_method_addresses_or_agendas():
    scheduled, cancelled = make_meeting(1), make_meeting(2, status=MeetingStatus.CANCELLED, sequence=5)
    text = feed([scheduled, cancelled], page_url_for=lambda meeting: f"{PAGE}/{meeting.uid}", nickname_for=None)
    calendar = parsed(text)
    assert "METHOD" not in calendar and str(calendar["X-WR-CALNAME"]) == "Consilium meetings"
    assert "mailto:" not in text and "@hospital.example" not in text and "MRI of June" not in text.replace("\r\n ", "")
    events = calendar.events
    assert all(key in event for event in events for key in ("UID", "DTSTAMP", "DTSTART"))
    assert [(str(event["UID"]), event["SEQUENCE"], str(event["STATUS"])) for event in events] == [
        ("meeting-1@consilium.example", 3, "CONFIRMED"),
        ("meeting-2@consilium.example", 5, "CANCELLED"),
    ]
    assert events[0].stamp == datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # when the meeting last changed, not when fetched
    description = str(events[0]["DESCRIPTION"])
    assert f"{PAGE}/meeting-1@consilium.example" in description and "https://video.example/room/42" in description
    assert [str(event["SUMMARY"]) for event in events] == ["Panel meeting: Second opinion on the imaging"] * 2


def test_the_feed_shows_a_nickname_only_when_asked():
    meeting = make_meeting()
    [named] = parsed(feed([meeting], page_url_for=lambda meeting: PAGE, nickname_for=lambda meeting: "Blue heron")).events
    [plain] = parsed(feed([meeting], page_url_for=lambda meeting: PAGE, nickname_for=None)).events
    assert str(named["SUMMARY"]) == "Panel meeting: Second opinion on the imaging — Blue heron"
    assert str(plain["SUMMARY"]) == "Panel meeting: Second opinion on the imaging"


def test_the_invitation_is_mailed_as_a_calendar_request():
    assert INVITATION_FILE == "invite.ics"
    assert content_type("REQUEST") == "text/calendar; method=REQUEST; charset=UTF-8"
    assert content_type("CANCEL") == "text/calendar; method=CANCEL; charset=UTF-8"
