"""Domain steps of the meeting process (bpmn/meeting.bpmn): what its service tasks do (invite, remind, update,
cancel, get the minutes ready) and where the minutes go; the meeting as the workflow layer's subject.

Effect handlers run in the transaction of the service that advanced the instance and only flush.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.i18n import N_
from app.mail.services import Attachment
from app.meetings import calendar
from app.meetings import times
from app.meetings.models import Answer
from app.meetings.models import Meeting
from app.meetings.models import MeetingInvitee
from app.meetings.models import MeetingStatus
from app.meetings.services import mark_cancelled
from app.meetings.services import settings_of
from app.notifications.models import Message
from app.notifications.services import notify
from app.panels import timeline
from app.panels.models import Panel
from app.patients import privacy
from app.tasks.form_definitions import FormDefinition
from app.workflows import store
from app.workflows.models import InstanceStatus
from app.workflows.models import ProcessInstance


def meeting_link(meeting_id: int) -> str:
    return f"/meetings/{meeting_id}"


def page_url(meeting: Meeting) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + meeting_link(meeting.id)


def _meeting(params: dict[str, Any]) -> Meeting:
    """The meeting a step is about, with its invitees and their accounts (every notice names them all)."""
    meeting = db.session.get(Meeting, int(params["meeting_id"]), options=[selectinload(Meeting.invitees).selectinload(MeetingInvitee.user)])
    if meeting is None:
        raise LookupError(f"no meeting {params['meeting_id']}")
    return meeting


def _tell(meeting: Meeting, people: list[User], message: str, method: str, /, **params: Any) -> None:
    """Each person gets ``message`` (an ``N_()`` msgid naming ``params``) in the app, and by mail in their own language
    with the time in their own zone, the join link and the .ics."""
    default_zone = current_app.config["DEFAULT_TIMEZONE"]

    def details(user: User) -> tuple[str, Attachment | None]:  # in the recipient's language (notify's writing_in)
        ics = calendar.invitation(meeting, method, page_url=page_url(meeting), sender=current_app.config["MAIL_SENDER"])
        attachment = Attachment(calendar.INVITATION_FILE, calendar.content_type(method), ics)
        zone = times.zone_for(user, default_zone)
        lines = [_("When: %(when)s", when=times.describe(meeting.starts_at, meeting.duration_minutes, zone, str(get_locale() or "en")))]
        if meeting.join_url and method != "CANCEL":
            lines.append(_("Join: %(url)s", url=meeting.join_url))
        if meeting.agenda and method != "CANCEL":
            lines.append(_("Agenda:\n%(agenda)s", agenda=meeting.agenda))
        return "\n".join(lines), attachment

    event = Message(message, params)
    notify(people, N_("Panel %(panel)s: %(event)s"), meeting_link(meeting.id), details=details, panel=meeting.panel.title, event=event)


def _invited(meeting: Meeting, *, declined: bool = True, but: User | None = None) -> list[User]:
    """The invitees (those who declined too, unless not ``declined``), but the one who acted (they know)."""
    return [i.user for i in meeting.invitees if (declined or i.answer != Answer.DECLINED) and (but is None or i.user_id != but.id)]


# Effects (service tasks) --------------------------------------------------------------------------


def send_meeting_invitations(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    meeting = _meeting(params)
    people = _invited(meeting, but=actor)
    if meeting.scheduled_by is not None:
        invited = N_("%(name)s invited you to the meeting “%(title)s”. Please accept or decline.")
        _tell(meeting, people, invited, "REQUEST", name=meeting.scheduled_by.full_name, title=meeting.title)
    else:
        invited = N_("A member invited you to the meeting “%(title)s”. Please accept or decline.")
        _tell(meeting, people, invited, "REQUEST", title=meeting.title)


def remind_meeting(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """The first or second reminder (the ERN's minutes before the start), to the invitees who did not decline."""
    meeting = _meeting(params)
    if meeting.status != MeetingStatus.SCHEDULED:
        return
    settings = settings_of(meeting.panel.ern_id)
    minutes = settings.meeting_first_reminder_minutes if params["reminder"] == "first" else settings.meeting_second_reminder_minutes
    people = _invited(meeting, declined=False)
    if minutes % 60:
        reminder, n = N_("reminder: the meeting “%(title)s” starts in %(n)s minutes."), minutes
    elif minutes == 60:
        reminder, n = N_("reminder: the meeting “%(title)s” starts in 1 hour."), 1
    else:
        reminder, n = N_("reminder: the meeting “%(title)s” starts in %(n)s hours."), minutes // 60
    _tell(meeting, people, reminder, "REQUEST", title=meeting.title, n=n)


def send_meeting_update(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    meeting = _meeting(params)
    changed = N_("the meeting “%(title)s” was changed. Please check the time and answer again.")
    _tell(meeting, _invited(meeting, but=actor), changed, "REQUEST", title=meeting.title)


def cancel_meeting(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """Cancelled by whoever may (already marked), or because its panel closed before it took place."""
    meeting = _meeting(params)
    if meeting.status == MeetingStatus.SCHEDULED:
        if meeting.starts_at <= utcnow():
            return  # it took place: a panel closing afterwards cancels nothing
        mark_cancelled(meeting, "panel_closed")
        timeline.add(meeting.panel, "meeting", N_("A meeting was cancelled: the panel was closed."), None)
    if meeting.cancel_reason == "panel_closed":
        cancelled = N_("the meeting “%(title)s” is cancelled because the panel was closed.")
    else:
        cancelled = N_("the meeting “%(title)s” is cancelled.")
    _tell(meeting, _invited(meeting, but=actor), cancelled, "CANCEL", title=meeting.title)


def prepare_minutes(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """The meeting is over: its minutes are for the person the lead named, else the lead."""
    meeting = _meeting(params)
    taker_id = meeting.minutes_taker_id or meeting.panel.lead_id or meeting.scheduled_by_id
    instance.assignee_id = taker_id
    taker = db.session.get(User, taker_id) if taker_id is not None else None
    if taker is not None:
        over = N_("the meeting “%(title)s” is over: please record its minutes and attendance.")
        timeline.tell([taker], meeting.panel, over, title=meeting.title)


def cancel_for_closed_panel(panel: Panel, actor: User | None) -> None:
    """A closed panel's meetings to come are cancelled with a notice: each meeting's process hears "panel_closed"."""
    running = db.session.scalars(
        select(ProcessInstance)
        .join(Meeting, Meeting.instance_id == ProcessInstance.id)
        .where(Meeting.panel_id == panel.id, ProcessInstance.status == InstanceStatus.RUNNING)
        .order_by(ProcessInstance.id)
        .with_for_update()
    ).all()
    for instance in running:
        if store.signal(instance, "panel_closed", actor) is None:
            store.cancel(instance, actor)


# Submitted forms ----------------------------------------------------------------------------------


def submit_minutes(actor: User, instance: ProcessInstance, answers: dict[str, Any]) -> dict[str, Any]:
    """The minutes and who attended; they show on the panel's timeline and beside the outcome's draft."""
    meeting = meeting_of(instance)
    attended = {str(value) for value in (answers.get("attended") or [])}
    meeting.minutes, meeting.minutes_by_id, meeting.minutes_at = str(answers["minutes"]), actor.id, utcnow()
    for invitee in meeting.invitees:
        invitee.attended = str(invitee.user_id) in attended
    count = sum(1 for i in meeting.invitees if i.attended)
    timeline.add(meeting.panel, "meeting", N_("Minutes of a meeting recorded (%(count)s attended)."), actor, count=count)
    recorded = N_("the minutes of the meeting “%(title)s” were recorded.")
    timeline.tell(timeline.members_except(meeting.panel, actor), meeting.panel, recorded, title=meeting.title)
    return {}


def meeting_of(instance: ProcessInstance) -> Meeting:
    meeting = db.session.get(Meeting, instance.subject_id) if instance.subject_type == "meeting" else None
    if meeting is None:
        raise LookupError(f"process instance {instance.id} is not about a meeting")
    return meeting


# The meeting as a subject of tasks --------------------------------------------------------------------


def load_meeting(meeting_id: int) -> Meeting | None:
    return db.session.get(Meeting, meeting_id)


def thematic_area_of(meeting_id: int) -> int | None:
    meeting = db.session.get(Meeting, meeting_id)
    return meeting.panel.thematic_area_id if meeting is not None else None


def minutes_form(meeting_id: int, form_key: str, base: FormDefinition) -> FormDefinition:
    """The minutes form lists the meeting's invitees to tick who attended."""
    meeting = db.session.get(Meeting, meeting_id)
    if form_key != "meeting_minutes" or meeting is None:
        return base
    choices = tuple((str(i.user_id), i.user.full_name) for i in meeting.invitees)
    sections = tuple(
        replace(section, fields=tuple(replace(f, choices=choices) if f.name == "attended" else f for f in section.fields))
        for section in base.sections
    )
    return replace(base, sections=sections, by_name={f.name: f for section in sections for f in section.fields})


def refuse_identifying_answers(meeting_id: int, written: dict[str, Any]) -> None:
    """Minutes are read by the panel's members outside the patient's centre: nothing that identifies the patient."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is not None:
        privacy.refuse_identifying(meeting.panel.patient, written)


def minutes_of_panel(panel_id: int) -> list[Meeting]:
    """The panel's meetings with minutes, oldest first (offered beside the outcome's draft)."""
    return list(
        db.session.scalars(select(Meeting).where(Meeting.panel_id == panel_id, Meeting.minutes_at.is_not(None)).order_by(Meeting.starts_at))
    )
