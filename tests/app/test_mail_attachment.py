"""A meeting's invitation leaves as a mail with its .ics attached, through a real SMTP server on loopback: a calendar
client finds a text/calendar part of method REQUEST that parses back to the meeting."""

from __future__ import annotations

from icalendar import Calendar

from app.database import transaction
from app.mail.services import Attachment
from app.mail.services import queue
from app.mail.services import send_pending_mail
from app.meetings.calendar import INVITATION_FILE
from app.meetings.calendar import content_type
from app.meetings.calendar import invitation
from tests.app.meetings.test_calendar import make_meeting


def test_an_invitation_arrives_as_a_calendar_request_attached_to_the_mail(database, inbox):
    meeting = make_meeting(title="Révision du cas — deuxième avis")
    ics = invitation(meeting, "REQUEST", page_url="https://consilium.example/meetings/42")
    with transaction():
        queue(
            "expert@hospital.example",
            "Invitation: panel meeting",
            "You are invited.",
            Attachment(INVITATION_FILE, content_type("REQUEST"), ics),
        )
    assert send_pending_mail(inbox.settings) == 1
    [(_recipients, message)] = inbox.mails
    assert message["To"] == "expert@hospital.example" and message["Subject"] == "Invitation: panel meeting"
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST" and part.get_content_charset() == "utf-8"
    assert part.get_filename() == "invite.ics"
    assert message.get_body(("plain",)).get_content().strip() == "You are invited."
    calendar = Calendar.from_ical(part.get_payload(decode=True).decode("utf-8"))
    [event] = calendar.events
    assert str(calendar["METHOD"]) == "REQUEST" and str(event["UID"]) == meeting.uid and event["SEQUENCE"] == meeting.sequence
    assert str(event["SUMMARY"]) == "Panel meeting: Révision du cas — deuxième avis"
    assert event.start == meeting.starts_at
