"""Meeting use cases: schedule, answer, reschedule, cancel, name who takes the minutes. Each is one transaction, checked
against the access policy; the meeting's process (bpmn/meeting.bpmn) sends the invitations, reminders and notices."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy import update

from app import security
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.ernsettings.models import ErnSettings
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.i18n import N_
from app.meetings import times
from app.meetings.models import MAX_DURATION_MINUTES
from app.meetings.models import Answer
from app.meetings.models import Meeting
from app.meetings.models import MeetingInvitee
from app.meetings.models import MeetingStatus
from app.panels import timeline
from app.panels.models import Panel
from app.patients import privacy
from app.tasks.models import OpenTask
from app.workflows import store
from app.workflows.models import InstanceStatus
from app.workflows.models import ProcessInstance

MAX_TITLE = 200
MAX_AGENDA = 4000
MAX_NOTE = 500
_URL = re.compile(r"^https?://[^\s<>\"']+$")


@dataclass(frozen=True)
class MeetingTime:
    """When, as the scheduler entered it: a local day and start time in a zone, and a duration."""

    day: date | None
    start: time | None
    duration_minutes: int | None
    time_zone: str


@dataclass(frozen=True)
class MeetingRequest:
    """A meeting as the scheduling form gives it; ``invitee_ids`` None invites every member."""

    title: str
    agenda: str
    when: MeetingTime
    join_url: str = ""
    invitee_ids: list[int] | None = None


def settings_of(ern_id: int) -> ErnSettings:
    return db.session.get(ErnSettings, ern_id) or ErnSettings(ern_id=ern_id)


def may_schedule(actor: User, panel: Panel) -> bool:
    return security.can_schedule_meeting(actor, panel, guests_may=settings_of(panel.ern_id).guests_may_schedule)


def participants(panel: Panel) -> list[User]:
    """Who a meeting of the panel may invite: its lead and the members who accepted."""
    people = [panel.lead] if panel.lead is not None else []
    people += [m.user for m in panel.accepted_members() if m.user_id != panel.lead_id]
    return people


def schedule(actor: User, panel_id: int, asked: MeetingRequest, origin: RequestInfo) -> Meeting:
    """A new meeting of the panel: its invitees are told (with an .ics) and reminded by the meeting's process."""
    with transaction():
        panel = db.session.scalar(select(Panel).where(Panel.id == panel_id).with_for_update())
        if panel is None or not security.can_see_panel(actor, panel):
            raise NotFound(_("No such panel."))
        return add_meeting(actor, panel, asked, origin)


def add_meeting(actor: User, panel: Panel, asked: MeetingRequest, origin: RequestInfo) -> Meeting:
    """Schedule, in the caller's transaction (only flushes): the meeting, its invitees and its process."""
    if not may_schedule(actor, panel):
        raise NotAllowed(_("Only the panel's members can schedule its meetings."))
    starts_at, duration = _checked_time(asked.when)
    people = _invitees(panel, actor, asked.invitee_ids)
    meeting = Meeting(
        panel_id=panel.id,
        title=checked_text(asked.title, "title", _("The title"), panel, MAX_TITLE, required=True),
        agenda=checked_text(asked.agenda, "agenda", _("The agenda"), panel, MAX_AGENDA),
        starts_at=starts_at,
        duration_minutes=duration,
        time_zone=asked.when.time_zone,
        uid=f"{uuid.uuid4()}@consilium",
        scheduled_by_id=actor.id,
    )
    meeting.join_url = _join_url(asked.join_url, meeting, settings_of(panel.ern_id))
    db.session.add(meeting)
    db.session.flush()
    for person in people:
        answered = person.id == actor.id
        meeting.invitees.append(
            MeetingInvitee(
                user_id=person.id, answer=Answer.ACCEPTED if answered else Answer.PENDING, answered_at=utcnow() if answered else None
            )
        )
    db.session.flush()
    # The timeline is read by all who see the panel, the meetings only by its members: it names no meeting.
    timeline.add(panel, "meeting", N_("%(name)s scheduled a meeting."), actor, name=actor.full_name)
    instance, _advance = store.start(
        "meeting",
        subject_type="meeting",
        subject_id=meeting.id,
        ern_id=panel.ern_id,
        centre_id=panel.centre_id,
        data={"meeting_id": meeting.id, "panel_id": panel.id, "schedule": process_schedule(meeting, utcnow())},
        actor=actor,
    )
    meeting.instance_id = instance.id
    audit.record(actor, "meeting.scheduled", "meeting", meeting.id, origin, panel=panel.id, invitees=len(people))
    return meeting


def reschedule(actor: User, meeting_id: int, asked: MeetingRequest, origin: RequestInfo) -> Meeting:
    """A new time (and title, agenda, link): the invitees get the update with a higher SEQUENCE, the reminders move."""
    with transaction():
        meeting = _changeable(actor, meeting_id)
        starts_at, duration = _checked_time(asked.when)
        moved = (starts_at, duration) != (meeting.starts_at, meeting.duration_minutes)
        meeting.title = checked_text(asked.title, "title", _("The title"), meeting.panel, MAX_TITLE, required=True)
        meeting.agenda = checked_text(asked.agenda, "agenda", _("The agenda"), meeting.panel, MAX_AGENDA)
        meeting.starts_at, meeting.duration_minutes, meeting.time_zone = starts_at, duration, asked.when.time_zone
        meeting.join_url = _join_url(asked.join_url, meeting, settings_of(meeting.panel.ern_id))
        meeting.sequence += 1
        meeting.updated_at = utcnow()
        if moved:  # a new time asks everyone again (as calendars do), but the one who moved it
            for invitee in meeting.invitees:
                if invitee.user_id != actor.id:
                    invitee.answer, invitee.answered_at = Answer.PENDING, None
        db.session.flush()
        if _signal(meeting, "meeting_rescheduled", actor, process_schedule(meeting, utcnow())) is None:
            raise Conflict(_("This meeting has already taken place: it cannot be rescheduled."))
        timeline.add(meeting.panel, "meeting", N_("%(name)s changed a meeting."), actor, name=actor.full_name)
        audit.record(actor, "meeting.rescheduled", "meeting", meeting.id, origin, sequence=meeting.sequence, moved=moved)
        return meeting


def cancel(actor: User, meeting_id: int, origin: RequestInfo) -> Meeting:
    """Cancel a meeting that has not taken place: the invitees get a cancellation (METHOD:CANCEL), the reminders stop."""
    with transaction():
        meeting = _changeable(actor, meeting_id)
        mark_cancelled(meeting, "cancelled")
        if _signal(meeting, "meeting_cancelled", actor) is None:
            raise Conflict(_("This meeting has already taken place: it cannot be cancelled."))
        timeline.add(meeting.panel, "meeting", N_("%(name)s cancelled a meeting."), actor, name=actor.full_name)
        audit.record(actor, "meeting.cancelled", "meeting", meeting.id, origin)
        return meeting


def mark_cancelled(meeting: Meeting, reason: str) -> None:
    meeting.status, meeting.cancel_reason, meeting.cancelled_at = MeetingStatus.CANCELLED, reason, utcnow()
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    db.session.flush()


def answer(actor: User, meeting_id: int, reply: str, note: str, origin: RequestInfo) -> Meeting:
    """An invitee accepts, declines or answers "tentative", with an optional note for the others."""
    with transaction():
        meeting = _visible(actor, meeting_id, lock=True)
        invitee = meeting.invitee(actor.id)
        if invitee is None:
            raise NotAllowed(_("You are not invited to this meeting."))
        if meeting.cancelled or meeting.ends_at <= utcnow():
            raise Conflict(_("This meeting is cancelled or over: it takes no more answers."))
        try:
            invitee.answer = Answer(reply)
        except ValueError:
            raise InvalidInput(_("Choose accept, tentative or decline."), {"answer": [_("Choose accept, tentative or decline.")]}) from None
        if invitee.answer == Answer.PENDING:
            raise InvalidInput(_("Choose accept, tentative or decline."), {"answer": [_("Choose accept, tentative or decline.")]})
        invitee.note = checked_text(note, "note", _("The note"), meeting.panel, MAX_NOTE)
        invitee.answered_at = utcnow()
        audit.record(actor, "meeting.answered", "meeting", meeting.id, origin, answer=invitee.answer.value)
        return meeting


def name_minutes_taker(actor: User, meeting_id: int, user_id: int, origin: RequestInfo) -> Meeting:
    """The lead names who records the minutes (a participant); an open "Record the minutes" task follows."""
    with transaction():
        meeting = _visible(actor, meeting_id, lock=True)
        if not security.can_change_meeting(actor, meeting):
            raise NotAllowed(_("Only the panel's lead or whoever scheduled the meeting names who takes the minutes."))
        if meeting.minutes_at is not None or meeting.cancelled:
            raise Conflict(_("The minutes of this meeting are recorded, or it is cancelled."))
        taker = next((p for p in participants(meeting.panel) if p.id == user_id), None)
        if taker is None:
            raise InvalidInput(_("Choose a member of the panel."), {"minutes_taker": [_("Choose a member of the panel.")]})
        meeting.minutes_taker_id = taker.id
        if meeting.instance_id is not None:
            instance = db.session.get(ProcessInstance, meeting.instance_id)
            if instance is not None and instance.status == InstanceStatus.RUNNING and instance.assignee_id is not None:
                instance.assignee_id = taker.id
                db.session.execute(update(OpenTask).where(OpenTask.instance_id == instance.id).values(assignee_id=taker.id))
        audit.record(actor, "meeting.minutes_taker", "meeting", meeting.id, origin, user=taker.id)
        return meeting


def process_schedule(meeting: Meeting, now: datetime) -> dict[str, Any]:
    """The meeting process's timer instants (UTC, ISO 8601); a reminder whose time has passed is not sent."""
    settings = settings_of(meeting.panel.ern_id)
    first = meeting.starts_at - timedelta(minutes=settings.meeting_first_reminder_minutes)
    second = meeting.starts_at - timedelta(minutes=settings.meeting_second_reminder_minutes)
    return {
        "remind_first": settings.meeting_first_reminder_minutes > 0 and first > now,
        "first_reminder_at": first.isoformat(),
        "remind_second": settings.meeting_second_reminder_minutes > 0 and second > now,
        "second_reminder_at": second.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
    }


def _signal(meeting: Meeting, name: str, actor: User | None, payload: dict[str, Any] | None = None) -> Any:
    instance = _running_instance(meeting)
    return store.signal(instance, name, actor, payload) if instance is not None else None


def _running_instance(meeting: Meeting) -> ProcessInstance | None:
    if meeting.instance_id is None:
        return None
    return db.session.scalar(
        select(ProcessInstance)
        .where(ProcessInstance.id == meeting.instance_id, ProcessInstance.status == InstanceStatus.RUNNING)
        .with_for_update()
    )


def _visible(actor: User, meeting_id: int, *, lock: bool = False) -> Meeting:
    query = select(Meeting).where(Meeting.id == meeting_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    meeting = db.session.scalar(query)
    if meeting is None or not security.can_see_meeting(actor, meeting):
        raise NotFound(_("No such meeting."))
    return meeting


def _changeable(actor: User, meeting_id: int) -> Meeting:
    meeting = _visible(actor, meeting_id, lock=True)
    if not security.can_change_meeting(actor, meeting):
        raise NotAllowed(_("Only whoever scheduled the meeting, the panel's lead and its managers can change it."))
    if meeting.cancelled:
        raise Conflict(_("This meeting is cancelled."))
    if meeting.panel.closed:
        raise Conflict(_("Panel %(title)s is closed: its meetings can no longer change.", title=meeting.panel.title))
    if meeting.starts_at <= utcnow():
        raise Conflict(_("This meeting has started or taken place: it can no longer be changed."))
    return meeting


def _checked_time(when: MeetingTime) -> tuple[datetime, int]:
    """The start as a UTC instant and the duration, or every problem of the entered time at once."""
    errors: dict[str, list[str]] = {}
    if when.day is None:
        errors["day"] = [_("Give the day of the meeting.")]
    if when.start is None:
        errors["start_time"] = [_("Give the start time.")]
    duration = when.duration_minutes
    if duration is None or duration <= 0:
        errors["duration"] = [_("A meeting lasts at least a minute.")]
    elif duration > MAX_DURATION_MINUTES:
        errors["duration"] = [_("A meeting lasts at most 12 hours.")]
    if not times.is_valid_zone(when.time_zone):
        errors["time_zone"] = [_("Choose a time zone from the list.")]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors)
    assert when.day is not None and when.start is not None and duration is not None
    starts_at = times.to_utc(when.day, when.start, when.time_zone)  # refuses the skipped and the repeated hour
    if starts_at <= utcnow():
        message = _("The start is in the past: choose a later time.")
        raise InvalidInput(message, {"start_time": [message]})
    return starts_at, duration


def _invitees(panel: Panel, actor: User, chosen: list[int] | None) -> list[User]:
    people = participants(panel)
    if chosen is not None:
        unknown = set(chosen) - {p.id for p in people}
        if unknown:
            message = _("Only the panel's members can be invited to its meetings.")
            raise InvalidInput(message, {"invitees": [message]})
        people = [p for p in people if p.id in chosen or p.id == actor.id]
    if actor.id not in {p.id for p in people}:
        people.append(actor)  # a panel manager who schedules takes part
    if len(people) < 2:
        message = _("Invite at least one other member.")
        raise InvalidInput(message, {"invitees": [message]})
    return people


def _join_url(pasted: str, meeting: Meeting, settings: ErnSettings) -> str:
    """The pasted link, else the ERN's video service with the meeting's own room, else none (to add later)."""
    link = (pasted or "").strip()
    if link:
        if len(link) > 500 or not _URL.match(link):
            message = _("The join link must be a web address starting with https:// (or http://).")
            raise InvalidInput(message, {"join_url": [message]})
        return link
    if settings.video_url_template:
        return settings.video_url_template.replace("{room}", room_name(meeting))
    return ""


def room_name(meeting: Meeting) -> str:
    """The meeting's video room: unguessable, and saying nothing about the case."""
    return "consilium-" + uuid.UUID(meeting.uid.split("@")[0]).hex[:24]


def checked_text(value: str, field: str, what: str, panel: Panel, limit: int, *, required: bool = False) -> str:
    """A text written about the panel (title, agenda, note): within its limit, no control characters, nothing that
    identifies the patient; else InvalidInput on ``field``."""
    text = (value or "").strip()
    problem = ""
    if required and not text:
        problem = _("%(what)s cannot be empty.", what=what)
    elif len(text) > limit:
        problem = _("%(what)s is too long (at most %(n)s characters).", what=what, n=limit)
    elif any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        problem = _("%(what)s contains control characters; remove them and try again.", what=what)
    else:
        problem = privacy.problem_with(text, panel.patient)
    if problem:
        raise InvalidInput(problem, {field: [problem]})
    return text


def panel_for_scheduling(actor: User, panel_id: int) -> Panel:
    """The panel whose meeting form the actor opens: one they may schedule meetings of."""
    panel = db.session.get(Panel, panel_id)
    if panel is None or not security.can_see_panel(actor, panel):
        raise NotFound(_("No such panel."))
    if not may_schedule(actor, panel):
        raise NotAllowed(_("Only the panel's members can schedule its meetings."))
    return panel
