"""Meetings run by their BPMN process, through the services a user's clicks call, with a controllable clock for the
reminders: schedule, answer, reschedule, cancel, minutes, and the panel's closing."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from io import BytesIO

import flask_babel
import icalendar
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from sqlalchemy import select

from app.accounts.models import Role
from app.database import db
from app.database import utcnow
from app.ernsettings.models import ErnSettings
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.mail.models import OutgoingMail
from app.meetings import services
from app.meetings.models import Answer
from app.meetings.models import Meeting
from app.meetings.models import MeetingStatus
from app.panels import services as panel_services
from app.panels.models import Panel
from app.panels.models import TimelineEntry
from app.tasks import queries as task_queries
from app.workflows.models import InstanceStatus
from app.workflows.models import ProcessInstance
from app.workflows.services import fire_due_timers
from tests import factories
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of


@pytest.fixture
def panel(world):
    """Leuven's lead (Europe/Brussels) with Brno's expert (Europe/Prague) and a Leuven colleague (Europe/Lisbon) as
    members who accepted."""
    world.clinician.timezone, world.brno_clinician.timezone, world.colleague.timezone = "Europe/Brussels", "Europe/Prague", "Europe/Lisbon"
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    for user in (world.clinician, world.colleague, world.brno_clinician):
        factories.give_areas(user, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    panel_services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id, world.colleague.id], ORIGIN)
    for member in (world.brno_clinician, world.colleague):
        complete(member, task_of(member, "answer_invitation"), {"answer": "accept"})
    db.session.query(OutgoingMail).delete()
    db.session.commit()
    return db.session.get(Panel, panel_id)


def _when(day: date, hour: int, minute: int = 0, zone: str = "Europe/Brussels", duration: int = 60) -> services.MeetingTime:
    return services.MeetingTime(day, time(hour, minute), duration, zone)


def _in_days(days: int) -> date:
    return (utcnow() + timedelta(days=days)).date()


def _schedule(world, panel, when=None, **changes) -> Meeting:
    asked = services.MeetingRequest(title="Treatment options", agenda="1. Imaging\n2. Next steps", when=when or _when(_in_days(5), 10))
    for key, value in changes.items():
        asked = services.MeetingRequest(**{**asked.__dict__, key: value})
    return services.schedule(world.clinician, panel.id, asked, ORIGIN)


def _mails(to=None) -> list[OutgoingMail]:
    query = select(OutgoingMail).order_by(OutgoingMail.id)
    if to is not None:
        query = query.where(OutgoingMail.recipient == to.email)
    return list(db.session.scalars(query))


def _calendar(mail: OutgoingMail) -> icalendar.Calendar:
    assert mail.attachment_name == "invite.ics"
    return icalendar.Calendar.from_ical(mail.attachment)


def _event(mail: OutgoingMail) -> icalendar.Event:
    return next(iter(_calendar(mail).walk("VEVENT")))


def test_scheduling_invites_every_member_with_the_time_in_their_own_zone_and_a_calendar_entry(world, panel):
    meeting = _schedule(world, panel, _when(date(2027, 1, 12), 10))
    assert meeting.starts_at == datetime(2027, 1, 12, 9, tzinfo=UTC)
    assert {i.user_id: i.answer for i in meeting.invitees} == {
        world.clinician.id: Answer.ACCEPTED,
        world.brno_clinician.id: Answer.PENDING,
        world.colleague.id: Answer.PENDING,
    }
    prague, lisbon = _mails(world.brno_clinician)[-1], _mails(world.colleague)[-1]
    assert "Tue 12/Jan/2027 10:00–11:00 (Europe/Prague, CET)" in prague.body
    assert "Tue 12/Jan/2027 09:00–10:00 (Europe/Lisbon, WET)" in lisbon.body
    event = _event(prague)
    assert _calendar(prague)["METHOD"] == "REQUEST"
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2027, 1, 12, 9, tzinfo=UTC)
    assert event["UID"] == meeting.uid and int(event["SEQUENCE"]) == 0
    assert "blue heron" not in prague.attachment and "Roger" not in prague.attachment and "Addel" not in prague.attachment
    entry = db.session.scalar(select(TimelineEntry).where(TimelineEntry.panel_id == panel.id, TimelineEntry.kind == "meeting"))
    assert entry is not None and entry.text == "Hanna Peeters scheduled a meeting."  # who sees the panel, not its meetings


def test_reminders_fire_once_each_at_24_hours_and_15_minutes_before_the_start(world, panel):
    meeting = _schedule(world, panel, _when(_in_days(5), 10))
    start = meeting.starts_at
    db.session.query(OutgoingMail).delete()
    db.session.commit()
    assert fire_due_timers(start - timedelta(hours=24, seconds=1)) == 0
    assert fire_due_timers(start - timedelta(hours=24)) == 1
    assert [m.subject for m in _mails(world.brno_clinician)] == [
        f"Panel {panel.title}: reminder: the meeting “Treatment options” starts in 24 hours."
    ]
    assert fire_due_timers(start - timedelta(hours=1)) == 0  # once only
    assert fire_due_timers(start - timedelta(minutes=15)) == 1
    assert len(_mails(world.brno_clinician)) == 2 and "starts in 15 minutes" in _mails(world.brno_clinician)[-1].subject
    assert fire_due_timers(start + timedelta(minutes=30)) == 0


def test_a_reminder_across_a_daylight_saving_change_fires_at_the_right_instant(world, panel):
    """Monday 29 March 2027, 09:00 in Brussels is 07:00 UTC (summer time began on the Sunday): the reminder 24 hours
    before is due at 07:00 UTC on Sunday, which is 09:00 in Brussels again but 08:00 in winter time."""
    meeting = _schedule(world, panel, _when(date(2027, 3, 29), 9))
    assert meeting.starts_at == datetime(2027, 3, 29, 7, tzinfo=UTC)
    assert fire_due_timers(datetime(2027, 3, 28, 6, 59, tzinfo=UTC)) == 0
    assert fire_due_timers(datetime(2027, 3, 28, 7, 0, tzinfo=UTC)) == 1
    assert fire_due_timers(datetime(2027, 3, 29, 6, 45, tzinfo=UTC)) == 1
    reminders = [m for m in _mails(world.colleague) if "reminder" in m.subject]
    assert len(reminders) == 2


def test_rescheduling_moves_the_reminders_and_sends_the_update_with_a_higher_sequence(world, panel):
    meeting = _schedule(world, panel, _when(_in_days(5), 10))
    old_start = meeting.starts_at
    services.answer(world.brno_clinician, meeting.id, "accepted", "I bring the scans", ORIGIN)
    moved = services.reschedule(
        world.clinician,
        meeting.id,
        services.MeetingRequest(title="Treatment options", agenda="", when=_when(_in_days(8), 16)),
        ORIGIN,
    )
    assert moved.sequence == 1 and moved.starts_at != old_start
    assert moved.invitee(world.brno_clinician.id).answer == Answer.PENDING  # a new time asks again
    update = _mails(world.brno_clinician)[-1]
    assert "changed" in update.subject
    assert int(_event(update)["SEQUENCE"]) == 1 and _event(update)["UID"] == meeting.uid
    assert _event(update).decoded("DTSTART").astimezone(UTC) == moved.starts_at
    assert fire_due_timers(old_start - timedelta(hours=24)) == 0  # the old reminder is gone
    assert fire_due_timers(moved.starts_at - timedelta(hours=24)) == 1


def test_cancelling_stops_the_reminders_and_sends_a_cancellation(world, panel):
    meeting = _schedule(world, panel)
    services.cancel(world.clinician, meeting.id, ORIGIN)
    db.session.refresh(meeting)
    assert meeting.status == MeetingStatus.CANCELLED and meeting.sequence == 1
    cancellation = _mails(world.colleague)[-1]
    assert _calendar(cancellation)["METHOD"] == "CANCEL" and int(_event(cancellation)["SEQUENCE"]) == 1
    instance = db.session.get(ProcessInstance, meeting.instance_id)
    assert instance.status == InstanceStatus.COMPLETED and instance.next_timer_at is None
    assert fire_due_timers(meeting.starts_at) == 0
    with pytest.raises(Conflict):
        services.cancel(world.clinician, meeting.id, ORIGIN)


def test_after_the_meeting_the_named_member_records_minutes_and_attendance(world, panel):
    meeting = _schedule(world, panel)
    services.name_minutes_taker(world.clinician, meeting.id, world.colleague.id, ORIGIN)
    assert fire_due_timers(meeting.ends_at) == 1
    task = task_of(world.colleague, "record_minutes")
    assert "record_minutes" not in [t.name for t in task_queries.open_tasks_for(world.clinician)]
    complete(
        world.colleague, task, {"minutes": "Agreed to repeat the biopsy.", "attended": [str(world.clinician.id), str(world.colleague.id)]}
    )
    db.session.refresh(meeting)
    assert meeting.minutes == "Agreed to repeat the biopsy." and meeting.minutes_by_id == world.colleague.id
    assert {i.user_id for i in meeting.invitees if i.attended} == {world.clinician.id, world.colleague.id}
    assert db.session.scalar(select(TimelineEntry).where(TimelineEntry.panel_id == panel.id, TimelineEntry.text.like("Minutes of%")))


def test_minutes_that_name_the_patient_are_refused(world, panel):
    meeting = _schedule(world, panel)
    fire_due_timers(meeting.ends_at)
    with pytest.raises(InvalidInput):
        complete(world.clinician, task_of(world.clinician, "record_minutes"), {"minutes": "Roger Addel agreed.", "attended": []})


def test_closing_the_panel_cancels_its_meetings_with_a_notice(world, panel):
    meeting = _schedule(world, panel)
    panel_services.close_now(world.clinician, panel.id, "withdrawn", "", ORIGIN)
    db.session.refresh(meeting)
    assert meeting.status == MeetingStatus.CANCELLED and meeting.cancel_reason == "panel_closed"
    notice = next(m for m in _mails(world.brno_clinician) if "cancelled because the panel was closed" in m.subject)
    assert _calendar(notice)["METHOD"] == "CANCEL"
    assert fire_due_timers(meeting.starts_at) == 0


@pytest.mark.parametrize(
    ("when", "field", "message"),
    [
        (lambda: _when(_in_days(-1), 10), "start_time", "in the past"),
        (lambda: _when(_in_days(5), 10, duration=0), "duration", "at least a minute"),
        (lambda: _when(_in_days(5), 10, duration=721), "duration", "at most 12 hours"),
        (lambda: _when(date(2027, 3, 28), 2, 30), "start_time", "does not exist"),
        (lambda: _when(date(2027, 10, 31), 2, 30), "start_time", "happens twice"),
        (lambda: _when(_in_days(5), 10, zone="Mars/Olympus"), "time_zone", "time zone"),
    ],
)
def test_a_time_that_cannot_be_is_refused_with_a_clear_message(world, panel, when, field, message):
    with pytest.raises(InvalidInput, match=message) as refused:
        _schedule(world, panel, when())
    assert field in refused.value.field_errors
    assert db.session.scalar(select(Meeting)) is None


def test_identifying_data_in_the_title_or_agenda_is_refused(world, panel):
    with pytest.raises(InvalidInput) as refused:
        _schedule(world, panel, title="Roger Addel")
    assert "title" in refused.value.field_errors
    with pytest.raises(InvalidInput) as refused:
        _schedule(world, panel, agenda="born 05/02/1976")
    assert "agenda" in refused.value.field_errors


def test_only_members_schedule_and_a_guest_only_where_the_ern_allows(world, panel):
    with pytest.raises(NotFound):
        services.schedule(world.researcher, panel.id, services.MeetingRequest("x", "", _when(_in_days(5), 10)), ORIGIN)
    guest = factories.make_user("guest@elsewhere.example", [(world.ern, world.brno, Role.GUEST_EXPERT)], "Gita", "Guest")
    factories.give_areas(guest, world.ern)
    panel_services.invite_experts(world.clinician, panel.id, [guest.id], ORIGIN)
    complete(guest, task_of(guest, "answer_invitation"), {"answer": "accept"})
    asked = services.MeetingRequest("Guest's meeting", "", _when(_in_days(5), 10))
    with pytest.raises(NotAllowed):
        services.schedule(guest, panel.id, asked, ORIGIN)
    db.session.add(ErnSettings(ern_id=world.ern.id, guests_may_schedule=True))
    db.session.commit()
    assert services.schedule(guest, panel.id, asked, ORIGIN).scheduled_by_id == guest.id


def test_only_invitees_answer_and_a_member_cannot_reschedule_someone_elses_meeting(world, panel):
    meeting = _schedule(world, panel)
    with pytest.raises(NotFound):
        services.answer(world.researcher, meeting.id, "accepted", "", ORIGIN)
    with pytest.raises(InvalidInput):
        services.answer(world.colleague, meeting.id, "maybe", "", ORIGIN)
    services.answer(world.colleague, meeting.id, "declined", "On call that day", ORIGIN)
    db.session.refresh(meeting)
    assert meeting.invitee(world.colleague.id).note == "On call that day"
    with pytest.raises(NotAllowed):
        services.cancel(world.brno_clinician, meeting.id, ORIGIN)


def test_a_polish_invitee_gets_the_invitation_in_polish_with_days_named_in_polish(world, panel, monkeypatch):
    polish = Catalog(locale="pl")
    polish.add("When: %(when)s", "Kiedy: %(when)s")
    polish.add("Panel meeting: %(title)s", "Spotkanie panelu: %(title)s")
    compiled = BytesIO()
    write_mo(compiled, polish)
    compiled.seek(0)
    catalogue = Translations(fp=compiled)
    monkeypatch.setattr(
        flask_babel.Domain, "get_translations", lambda self: catalogue if str(flask_babel.get_locale()) == "pl" else Translations()
    )
    world.brno_clinician.language = "pl"
    _schedule(world, panel, _when(date(2027, 1, 12), 10))
    prague, lisbon = _mails(world.brno_clinician)[-1], _mails(world.colleague)[-1]
    assert "Kiedy: wt. 12/sty/2027 10:00–11:00 (Europe/Prague, CET)" in prague.body
    assert str(_event(prague)["SUMMARY"]).startswith("Spotkanie panelu: Treatment options")
    assert "When: Tue 12/Jan/2027 09:00–10:00 (Europe/Lisbon, WET)" in lisbon.body
