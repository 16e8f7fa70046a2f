"""Meetings as iCalendar (RFC 5545): the invitation mailed with each change (iTIP, RFC 5546) and a person's feed.

Nothing here reads the panel: a calendar is copied to phones and mail servers beyond our reach, so it holds the
meeting's own title, agenda and links, and never anything about the patient."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from datetime import date
from email.utils import parseaddr
from typing import Literal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from icalendar import PARTSTAT
from icalendar import ROLE
from icalendar import STATUS
from icalendar import Calendar
from icalendar import Event
from icalendar import vCalAddress

from app.meetings.models import Answer
from app.meetings.models import Meeting

INVITATION_FILE = "invite.ics"
PRODID = "-//Consilium//Meetings//EN"
Method = Literal["REQUEST", "CANCEL"]

_PARTSTAT = {
    Answer.PENDING: PARTSTAT.NEEDS_ACTION,
    Answer.ACCEPTED: PARTSTAT.ACCEPTED,
    Answer.TENTATIVE: PARTSTAT.TENTATIVE,
    Answer.DECLINED: PARTSTAT.DECLINED,
}


def content_type(method: Method) -> str:
    """The MIME type of an invitation: mail clients act on the method (add, update or remove the event)."""
    return f"text/calendar; method={method}; charset=UTF-8"


def invitation(meeting: Meeting, method: Method, *, page_url: str, sender: str = "") -> str:
    """The .ics sent to the invitees: the meeting to add or update (REQUEST) or to remove (CANCEL). Its organizer is
    whoever scheduled it, or ``sender`` ("Consilium <no-reply@…>") once their account is gone: iTIP needs one."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unknown iTIP method {method!r}")
    event = _event(meeting, page_url, _description(page_url, meeting.join_url, agenda=meeting.agenda))
    event.status = STATUS.CANCELLED if method == "CANCEL" else STATUS.CONFIRMED
    if meeting.scheduled_by is not None:
        event.organizer = vCalAddress.new(meeting.scheduled_by.email, cn=meeting.scheduled_by.full_name)
    elif sender:
        name, address = parseaddr(sender)
        event.organizer = vCalAddress.new(address, cn=name or "Consilium")
    event.attendees = [
        vCalAddress.new(
            invitee.user.email,
            cn=invitee.user.full_name,
            role=ROLE.REQ_PARTICIPANT,
            partstat=_PARTSTAT[invitee.answer],
            rsvp=True,
        )
        for invitee in meeting.invitees
    ]
    calendar = _calendar([event], [meeting])
    calendar.method = method
    return str(calendar.to_ical().decode())


def feed(
    meetings: Iterable[Meeting],
    *,
    page_url_for: Callable[[Meeting], str],
    nickname_for: Callable[[Meeting], str] | None,
) -> str:
    """A person's calendar subscription: their meetings, without anyone's address; panels' nicknames only if asked."""
    meetings = list(meetings)
    events = []
    for meeting in meetings:
        page_url = page_url_for(meeting)
        event = _event(meeting, page_url, _description(page_url, meeting.join_url), stamp=meeting.updated_at)
        event.status = STATUS.CANCELLED if meeting.cancelled else STATUS.CONFIRMED
        nickname = nickname_for(meeting) if nickname_for is not None else ""
        if nickname:
            event.summary = f"{event.summary} — {nickname}"
        events.append(event)
    calendar = _calendar(events, meetings)
    calendar.calendar_name = _("Consilium meetings")
    return str(calendar.to_ical().decode())


def _event(meeting: Meeting, page_url: str, description: str, *, stamp: date | None = None) -> Event:
    # DTSTAMP: an iTIP message's is when it was made (None: now); a feed's is when the event last changed (RFC 5545
    # 3.8.7.2), so that a client polling the feed sees nothing new when nothing changed.
    # Start and end in the scheduler's zone, with its VTIMEZONE: a repeating meeting copied by hand, or a client
    # that shows the original zone, keeps the wall time the scheduler chose.
    zone = ZoneInfo(meeting.time_zone)
    return Event.new(
        uid=meeting.uid,
        sequence=meeting.sequence,
        stamp=stamp,
        start=meeting.starts_at.astimezone(zone),
        end=meeting.ends_at.astimezone(zone),
        summary=_("Panel meeting: %(title)s", title=meeting.title),
        description=description,
        location=meeting.join_url or _("Video meeting (link on the meeting page)"),
        url=page_url,
    )


def _description(page_url: str, join_url: str, *, agenda: str = "") -> str:
    lines = [agenda.strip(), ""] if agenda.strip() else []
    lines.append(_("Meeting page: %(url)s", url=page_url))
    if join_url:
        lines.append(_("Join the video meeting: %(url)s", url=join_url))
    return "\n".join(lines)


def _calendar(events: list[Event], meetings: list[Meeting]) -> Calendar:
    calendar = Calendar()
    calendar.prodid = PRODID
    calendar.version = "2.0"
    for event in events:
        calendar.add_component(event)
    if meetings:
        # Each zone's rules for the years of these meetings only: the default span (1970–2038) makes a file of
        # hundreds of transitions for every zone.
        first = min(meeting.starts_at for meeting in meetings).year
        last = max(meeting.ends_at for meeting in meetings).year
        calendar.add_missing_timezones(first_date=date(first, 1, 1), last_date=date(last + 1, 1, 1))
    return calendar
