"""Polls for a meeting time: the panel's lead proposes several slots, the members mark each yes, if need be or no, and
the lead picks one, which schedules the meeting. Each use case is one transaction (deciding is explained below)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time

from flask_babel import gettext as _
from sqlalchemy import select

from app import security
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.i18n import N_
from app.meetings import services
from app.meetings import times
from app.meetings.models import MAX_DURATION_MINUTES
from app.meetings.models import Meeting
from app.meetings.models import MeetingPoll
from app.meetings.models import PollSlot
from app.meetings.models import PollStatus
from app.meetings.models import PollVote
from app.meetings.models import Vote
from app.panels import timeline
from app.panels.models import Panel

MIN_SLOTS = 2
MAX_SLOTS = 10


@dataclass(frozen=True)
class SlotTally:
    """One proposed time and who marked it how (names sorted)."""

    slot: PollSlot
    yes: list[User] = field(default_factory=list)
    if_need_be: list[User] = field(default_factory=list)
    no: list[User] = field(default_factory=list)

    @property
    def available(self) -> int:
        """How many can come, willingly or not: what the lead looks at first."""
        return len(self.yes) + len(self.if_need_be)


@dataclass(frozen=True)
class PollPage:
    """What the poll page shows the viewer: the poll, its tally, the viewer's own marks and what they may do."""

    poll: MeetingPoll
    tally: list[SlotTally]
    mine: dict[int, str]
    may_vote: bool
    may_decide: bool
    voters: int


def may_propose(actor: User, panel: Panel) -> bool:
    """Propose times (and pick one, withdraw the poll): the panel's lead and its managers in scope, while it is open."""
    return not panel.closed and _leads(actor, panel)


def propose(
    actor: User,
    panel_id: int,
    title: str,
    agenda: str,
    duration_minutes: int | None,
    time_zone: str,
    slots: list[tuple[date | None, time | None]],
    origin: RequestInfo,
) -> MeetingPoll:
    """Ask the panel's members which of several times suits them; they are told."""
    with transaction():
        panel = _panel(actor, panel_id, lock=True)
        if not _leads(actor, panel):
            raise NotAllowed(_("Only the panel's lead and its managers propose meeting times."))
        if panel.closed:
            raise Conflict(_("Panel %(title)s is closed: it has no more meetings.", title=panel.title))
        errors: dict[str, list[str]] = {}
        checked_title = _checked(
            errors, lambda: services.checked_text(title, "title", _("The title"), panel, services.MAX_TITLE, required=True)
        )
        checked_agenda = _checked(errors, lambda: services.checked_text(agenda, "agenda", _("The agenda"), panel, services.MAX_AGENDA))
        if duration_minutes is None or duration_minutes <= 0:
            errors["duration"] = [_("A meeting lasts at least a minute.")]
        elif duration_minutes > MAX_DURATION_MINUTES:
            errors["duration"] = [_("A meeting lasts at most 12 hours.")]
        instants = _slot_instants(slots, time_zone, errors)
        if errors:
            raise InvalidInput(next(iter(errors.values()))[0], errors)
        assert duration_minutes is not None
        poll = MeetingPoll(
            panel_id=panel.id,
            title=checked_title,
            agenda=checked_agenda,
            duration_minutes=duration_minutes,
            time_zone=time_zone,
            created_by_id=actor.id,
            slots=[PollSlot(starts_at=instant) for instant in instants],
        )
        db.session.add(poll)
        db.session.flush()
        proposed = N_("%(name)s proposed %(count)s times for a meeting (a poll on the Meetings tab).")
        timeline.add(panel, "meeting", proposed, actor, name=actor.full_name, count=len(instants))
        proposes = N_("%(name)s proposes %(count)s times for the meeting “%(title)s”: mark those that suit you.")
        timeline.tell(timeline.members_except(panel, actor), panel, proposes, name=actor.full_name, count=len(instants), title=poll.title)
        audit.record(actor, "meeting_poll.proposed", "meeting_poll", poll.id, origin, panel=panel.id, slots=len(instants))
        return poll


def vote(actor: User, poll_id: int, choices: dict[int, str], origin: RequestInfo) -> MeetingPoll:
    """Mark each proposed time yes, if need be or no; marking again replaces the earlier marks."""
    with transaction():
        poll = _poll(actor, poll_id, lock=True)
        if not _takes_part(actor, poll.panel):
            raise NotAllowed(_("Only the panel's lead and its members mark the proposed times."))
        if poll.status != PollStatus.OPEN:
            raise Conflict(_("This poll is closed: the time is chosen or the poll withdrawn."))
        marked = _marks(poll, choices)
        for slot in poll.slots:
            mine = next((v for v in slot.votes if v.user_id == actor.id), None)
            choice = marked.get(slot.id)
            if choice is None:
                if mine is not None:
                    slot.votes.remove(mine)
            elif mine is not None:
                mine.choice = choice
            else:
                slot.votes.append(PollVote(user_id=actor.id, choice=choice))
        db.session.flush()
        audit.record(actor, "meeting_poll.voted", "meeting_poll", poll.id, origin, marked=len(marked))
        return poll


def decide(actor: User, poll_id: int, slot_id: int, origin: RequestInfo) -> Meeting:
    """Schedule the meeting at one of the proposed times; the panel's lead and members are invited to it."""
    with transaction():
        poll = _poll(actor, poll_id, lock=True)
        _check_lead(actor, poll)
        slot = next((s for s in poll.slots if s.id == slot_id), None)
        if slot is None:
            message = _("Choose one of the proposed times.")
            raise InvalidInput(message, {"slot": [message]})
        if slot.starts_at <= utcnow():
            raise Conflict(_("This time has passed: choose a later one, or propose new times."))
        wall = times.local(slot.starts_at, poll.time_zone)
        asked = services.MeetingRequest(
            title=poll.title,
            agenda=poll.agenda,
            when=services.MeetingTime(wall.date(), wall.time(), poll.duration_minutes, poll.time_zone),
        )
        meeting = services.add_meeting(actor, poll.panel, asked, origin)
        poll.status, poll.meeting_id = PollStatus.DECIDED, meeting.id
        audit.record(actor, "meeting_poll.decided", "meeting_poll", poll.id, origin, slot=slot_id, meeting=meeting.id)
        return meeting


def withdraw(actor: User, poll_id: int, origin: RequestInfo) -> MeetingPoll:
    """Withdraw a poll that no longer serves; its votes stay readable, nobody can mark it any more."""
    with transaction():
        poll = _poll(actor, poll_id, lock=True)
        _check_lead(actor, poll)
        poll.status = PollStatus.WITHDRAWN
        timeline.add(poll.panel, "meeting", N_("%(name)s withdrew a meeting poll."), actor, name=actor.full_name)
        withdrew = N_("%(name)s withdrew the meeting poll “%(title)s”.")
        timeline.tell(timeline.members_except(poll.panel, actor), poll.panel, withdrew, name=actor.full_name, title=poll.title)
        audit.record(actor, "meeting_poll.withdrawn", "meeting_poll", poll.id, origin)
        return poll


# Queries ------------------------------------------------------------------------------------------


def open_polls(panel_id: int) -> list[MeetingPoll]:
    """The panel's polls still taking marks, oldest first."""
    query = select(MeetingPoll).where(MeetingPoll.panel_id == panel_id, MeetingPoll.status == PollStatus.OPEN)
    return list(db.session.scalars(query.order_by(MeetingPoll.created_at, MeetingPoll.id)))


def tally(poll: MeetingPoll) -> list[SlotTally]:
    """Per proposed time (earliest first): who marked it yes, if need be, no."""
    rows = []
    for slot in poll.slots:
        by_choice: dict[Vote, list[User]] = {choice: [] for choice in Vote}
        for cast in slot.votes:
            by_choice[cast.choice].append(cast.user)
        for people in by_choice.values():
            people.sort(key=lambda user: (user.last_name.casefold(), user.first_name.casefold(), user.id))
        rows.append(SlotTally(slot, by_choice[Vote.YES], by_choice[Vote.IF_NEED_BE], by_choice[Vote.NO]))
    return rows


def panel_for_proposal(actor: User, panel_id: int) -> Panel:
    """The panel whose lead (or manager) is about to propose times: NotFound, NotAllowed or Conflict otherwise."""
    panel = _panel(actor, panel_id)
    if not _leads(actor, panel):
        raise NotAllowed(_("Only the panel's lead and its managers propose meeting times."))
    if panel.closed:
        raise Conflict(_("Panel %(title)s is closed: it has no more meetings.", title=panel.title))
    return panel


def page(actor: User, poll_id: int) -> PollPage:
    """The poll as ``actor`` sees it (NotFound for those who do not see the panel's meetings)."""
    poll = _poll(actor, poll_id)
    is_open = poll.status == PollStatus.OPEN
    return PollPage(
        poll=poll,
        tally=tally(poll),
        mine={v.slot_id: v.choice.value for s in poll.slots for v in s.votes if v.user_id == actor.id},
        may_vote=is_open and not poll.panel.closed and _takes_part(actor, poll.panel),
        may_decide=is_open and may_propose(actor, poll.panel),
        voters=len({v.user_id for s in poll.slots for v in s.votes}),
    )


# Helpers ------------------------------------------------------------------------------------------


def _leads(actor: User, panel: Panel) -> bool:
    return security.is_panel_lead(actor, panel) or security.manages_panel_in_scope(actor, panel)


def _takes_part(actor: User, panel: Panel) -> bool:
    return any(person.id == actor.id for person in services.participants(panel))


def _panel(actor: User, panel_id: int, *, lock: bool = False) -> Panel:
    query = select(Panel).where(Panel.id == panel_id)
    if lock:
        query = query.with_for_update()
    panel = db.session.scalar(query)
    if panel is None or not security.can_see_meetings(actor, panel):
        raise NotFound(_("No such panel."))
    return panel


def _poll(actor: User, poll_id: int, *, lock: bool = False) -> MeetingPoll:
    query = select(MeetingPoll).where(MeetingPoll.id == poll_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    poll = db.session.scalar(query)
    if poll is None or not security.can_see_meetings(actor, poll.panel):
        raise NotFound(_("No such poll."))
    return poll


def _check_lead(actor: User, poll: MeetingPoll) -> None:
    if not _leads(actor, poll.panel):
        raise NotAllowed(_("Only the panel's lead and its managers choose the time or withdraw the poll."))
    if poll.status != PollStatus.OPEN:
        raise Conflict(_("This poll is closed: the time is chosen or the poll withdrawn."))
    if poll.panel.closed:
        raise Conflict(_("Panel %(title)s is closed: it has no more meetings.", title=poll.panel.title))


def _checked(errors: dict[str, list[str]], check: Callable[[], str]) -> str:
    """The checked text, or "" with its problem added to ``errors`` (so that every field's problem shows at once)."""
    try:
        return check()
    except InvalidInput as error:
        errors.update(error.field_errors)
        return ""


def _slot_instants(slots: list[tuple[date | None, time | None]], time_zone: str, errors: dict[str, list[str]]) -> list[datetime]:
    """The UTC instants of the filled rows; a problem of row n goes to ``slot_<n>`` (n from 1, as the form numbers them)."""
    if not times.is_valid_zone(time_zone):
        errors["time_zone"] = [_("Choose a time zone from the list.")]
        return []
    instants: list[datetime] = []
    now = utcnow()
    for number, (day, start) in enumerate(slots, start=1):
        if day is None and start is None:
            continue
        key = f"slot_{number}"
        if day is None or start is None:
            errors[key] = [_("Give both the day and the start time, or leave both empty.")]
            continue
        try:
            instant = times.to_utc(day, start, time_zone)  # refuses the skipped and the repeated hour
        except InvalidInput as error:
            errors[key] = [error.message]
            continue
        if instant <= now:
            errors[key] = [_("This time is in the past: choose a later one.")]
        elif instant in instants:
            errors[key] = [_("This time is proposed twice: change or remove one.")]
        else:
            instants.append(instant)
    filled = sum(1 for day, start in slots if day is not None or start is not None)
    if filled < MIN_SLOTS:
        errors["slots"] = [_("Propose at least %(n)s times.", n=MIN_SLOTS)]
    elif filled > MAX_SLOTS:
        errors["slots"] = [_("Propose at most %(n)s times.", n=MAX_SLOTS)]
    return instants


def _marks(poll: MeetingPoll, choices: dict[int, str]) -> dict[int, Vote]:
    slot_ids = {slot.id for slot in poll.slots}
    marked: dict[int, Vote] = {}
    for slot_id, value in choices.items():
        if slot_id not in slot_ids:
            raise InvalidInput(_("Mark only the times this poll proposes."))
        try:
            marked[slot_id] = Vote(value)
        except ValueError:
            message = _("Mark each time yes, if need be or no.")
            raise InvalidInput(message, {f"vote_{slot_id}": [message]}) from None
    if not marked:
        message = _("Mark at least one of the proposed times.")
        raise InvalidInput(message, {"votes": [message]})
    return marked
