"""bpmn/meeting.bpmn on the engine alone, with a clock the test controls (fire_timers at chosen instants).

The process: send_meeting_invitations; until the meeting ends, the first and second reminders (remind_meeting,
each only if its flag is set) and the meeting's end wait at once; then prepare_minutes and the lead's
record_minutes. meeting_rescheduled (payload: a new schedule) sets every timer again; meeting_cancelled and
panel_closed cancel the meeting (cancel_meeting) and end the instance.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from SpiffWorkflow.util.task import TaskState

from engine import Engine
from engine import EventNotAwaited
from engine import TaskNotReady
from engine import parse
from engine import serializer
from engine import validate

pytestmark = pytest.mark.no_database

XML = (Path(__file__).resolve().parents[2] / "bpmn" / "meeting.bpmn").read_bytes()
HANDLERS = {"send_meeting_invitations", "remind_meeting", "send_meeting_update", "cancel_meeting", "prepare_minutes"}
TIMERS = {"first_reminder_due", "second_reminder_due", "meeting_ends"}
SECOND = timedelta(seconds=1)
BRUSSELS = ZoneInfo("Europe/Brussels")

FIRST = datetime(2027, 1, 5, 8, 0, tzinfo=UTC)
SECOND_REMINDER = datetime(2027, 1, 6, 8, 0, tzinfo=UTC)
ENDS = datetime(2027, 1, 6, 11, 0, tzinfo=UTC)


def schedule(first=FIRST, second=SECOND_REMINDER, ends=ENDS, *, remind_first=True, remind_second=True):
    """The schedule as the app passes it: flags and ISO 8601 UTC instants."""
    return {
        "remind_first": remind_first,
        "first_reminder_at": first.astimezone(UTC).isoformat(),
        "remind_second": remind_second,
        "second_reminder_at": second.astimezone(UTC).isoformat(),
        "ends_at": ends.astimezone(UTC).isoformat(),
    }


@pytest.fixture(scope="module")
def meeting():
    return parse(XML, "meeting", version=1)


@pytest.fixture
def engine():
    return Engine()


def effects(advance):
    return [(effect.handler, effect.params) for effect in advance.effects]


def start(engine, meeting, **kwargs):
    return engine.start(meeting, {"meeting_id": 7, "panel_id": 3, "schedule": schedule(**kwargs)})


def waiting_timers(meeting, state):
    workflow = serializer.loads(state, meeting.spec, meeting.subprocess_specs)
    tasks = [task for task in workflow.get_tasks() if task.task_spec.name in TIMERS]
    return {task.task_spec.name for task in tasks if task.state == TaskState.WAITING}, {
        task.task_spec.name for task in tasks if task.state == TaskState.FUTURE
    }


def test_the_file_is_a_valid_consilium_definition(meeting):
    problems = validate(
        XML,
        known_forms={"meeting_minutes"},
        known_handlers=HANDLERS,
        known_roles={"system", "panel_lead"},
        expected_process_id="meeting",
    )
    assert problems == []
    assert meeting.interrupting_starts == {"meeting_cancelled", "panel_closed"}
    [minutes] = meeting.user_tasks.values()
    assert (minutes.name, minutes.label, minutes.form_key, minutes.role) == (
        "record_minutes",
        "Record the minutes",
        "meeting_minutes",
        "panel_lead",
    )


def test_validation_names_every_handler_it_does_not_know():
    problems = validate(XML, known_forms={"meeting_minutes"}, known_handlers=set(), known_roles={"system", "panel_lead"})
    assert {problem.message for problem in problems} == {f"unknown handler '{handler}'" for handler in HANDLERS}


def test_start_sends_the_invitations_and_sets_every_timer_at_once(engine, meeting):
    started = start(engine, meeting)
    assert started.failure is None
    assert effects(started) == [("send_meeting_invitations", {"meeting_id": 7})]
    assert started.open_tasks == () and not started.completed
    assert started.next_timer_at == FIRST
    waiting, future = waiting_timers(meeting, started.state)
    assert waiting == TIMERS and future == set()  # no timer sits behind another one


def test_each_reminder_fires_once_exactly_when_due_then_the_lead_records_the_minutes(engine, meeting):
    started = start(engine, meeting)

    early = engine.fire_timers(meeting, started.state, FIRST - SECOND)
    assert effects(early) == [] and early.next_timer_at == FIRST

    first = engine.fire_timers(meeting, early.state, FIRST)
    assert effects(first) == [("remind_meeting", {"meeting_id": 7, "reminder": "first"})]
    assert first.next_timer_at == SECOND_REMINDER
    again = engine.fire_timers(meeting, first.state, SECOND_REMINDER - SECOND)
    assert effects(again) == [] and again.next_timer_at == SECOND_REMINDER

    second = engine.fire_timers(meeting, again.state, SECOND_REMINDER)
    assert effects(second) == [("remind_meeting", {"meeting_id": 7, "reminder": "second"})]
    assert second.next_timer_at == ENDS and second.open_tasks == ()
    assert effects(engine.fire_timers(meeting, second.state, ENDS - SECOND)) == []

    ended = engine.fire_timers(meeting, second.state, ENDS)
    assert effects(ended) == [("prepare_minutes", {"meeting_id": 7})]
    assert ended.next_timer_at is None and not ended.completed
    [task] = ended.open_tasks
    assert (task.name, task.label, task.form_key, task.role) == ("record_minutes", "Record the minutes", "meeting_minutes", "panel_lead")
    assert ended.opened == ended.open_tasks
    later = engine.fire_timers(meeting, ended.state, ENDS + timedelta(days=30))
    assert effects(later) == [] and [t.task_id for t in later.open_tasks] == [task.task_id]

    done = engine.complete(meeting, later.state, task.task_id, {})
    assert done.completed and done.effects == () and done.open_tasks == ()
    assert done.closed == (task.task_id,)


def test_a_late_clock_fires_every_due_timer_in_one_go_reminders_first(engine, meeting):
    started = start(engine, meeting)
    late = engine.fire_timers(meeting, started.state, ENDS + timedelta(hours=1))
    assert effects(late) == [
        ("remind_meeting", {"meeting_id": 7, "reminder": "first"}),
        ("remind_meeting", {"meeting_id": 7, "reminder": "second"}),
        ("prepare_minutes", {"meeting_id": 7}),
    ]
    assert [task.name for task in late.open_tasks] == ["record_minutes"]


@pytest.mark.parametrize(
    ("remind_first", "remind_second", "expected"),
    [(False, True, ["second"]), (True, False, ["first"]), (False, False, [])],
)
def test_a_reminder_that_is_not_wanted_never_fires(engine, meeting, remind_first, remind_second, expected):
    started = start(engine, meeting, remind_first=remind_first, remind_second=remind_second)
    wanted = {"first": FIRST, "second": SECOND_REMINDER}
    assert started.next_timer_at == min([wanted[name] for name in expected] + [ENDS])
    waiting, _ = waiting_timers(meeting, started.state)
    assert waiting == {"meeting_ends"} | {f"{name}_reminder_due" for name in expected}

    state, fired = started.state, []
    for now in (FIRST, SECOND_REMINDER):
        advance = engine.fire_timers(meeting, state, now)
        state = advance.state
        fired += [effect.params["reminder"] for effect in advance.effects]
    assert fired == expected
    ended = engine.fire_timers(meeting, state, ENDS)
    assert effects(ended) == [("prepare_minutes", {"meeting_id": 7})]
    assert [task.name for task in ended.open_tasks] == ["record_minutes"]


def test_rescheduling_moves_every_timer(engine, meeting):
    started = start(engine, meeting)
    week = timedelta(days=7)
    moved = engine.signal(meeting, started.state, "meeting_rescheduled", schedule(FIRST + week, SECOND_REMINDER + week, ENDS + week))
    assert moved.failure is None
    assert effects(moved) == [("send_meeting_update", {"meeting_id": 7})]
    assert moved.next_timer_at == FIRST + week and not moved.completed
    waiting, future = waiting_timers(meeting, moved.state)
    assert waiting == TIMERS and future == set()

    old = engine.fire_timers(meeting, moved.state, ENDS)  # every old instant has passed
    assert effects(old) == [] and old.next_timer_at == FIRST + week and old.open_tasks == ()

    assert effects(engine.fire_timers(meeting, old.state, FIRST + week - SECOND)) == []
    first = engine.fire_timers(meeting, old.state, FIRST + week)
    assert effects(first) == [("remind_meeting", {"meeting_id": 7, "reminder": "first"})]
    second = engine.fire_timers(meeting, first.state, SECOND_REMINDER + week)
    assert effects(second) == [("remind_meeting", {"meeting_id": 7, "reminder": "second"})]
    assert second.next_timer_at == ENDS + week
    ended = engine.fire_timers(meeting, second.state, ENDS + week)
    assert effects(ended) == [("prepare_minutes", {"meeting_id": 7})]
    assert [task.name for task in ended.open_tasks] == ["record_minutes"]


def test_rescheduling_to_an_earlier_time_brings_the_timers_forward(engine, meeting):
    started = start(engine, meeting)
    day = timedelta(days=1)
    moved = engine.signal(meeting, started.state, "meeting_rescheduled", schedule(FIRST - day, SECOND_REMINDER - day, ENDS - day))
    assert moved.next_timer_at == FIRST - day
    ended = engine.fire_timers(meeting, moved.state, ENDS - day)
    assert [effect.handler for effect in ended.effects] == ["remind_meeting", "remind_meeting", "prepare_minutes"]


def test_rescheduling_after_a_reminder_went_out_sets_the_timers_from_the_new_schedule(engine, meeting):
    """The new schedule's flags decide: a reminder that already went out is sent again for the new time only if
    the app keeps its flag set."""
    started = start(engine, meeting)
    first = engine.fire_timers(meeting, started.state, FIRST)
    assert [effect.params["reminder"] for effect in first.effects] == ["first"]
    week = timedelta(days=7)

    again = engine.signal(meeting, first.state, "meeting_rescheduled", schedule(FIRST + week, SECOND_REMINDER + week, ENDS + week))
    assert effects(again) == [("send_meeting_update", {"meeting_id": 7})]
    assert again.next_timer_at == FIRST + week
    assert effects(engine.fire_timers(meeting, again.state, SECOND_REMINDER)) == []  # the old second reminder is gone
    refired = engine.fire_timers(meeting, again.state, FIRST + week)
    assert [effect.params["reminder"] for effect in refired.effects] == ["first"]

    once = engine.signal(
        meeting,
        first.state,
        "meeting_rescheduled",
        schedule(FIRST + week, SECOND_REMINDER + week, ENDS + week, remind_first=False),
    )
    assert once.next_timer_at == SECOND_REMINDER + week
    waiting, _ = waiting_timers(meeting, once.state)
    assert waiting == {"second_reminder_due", "meeting_ends"}
    ended = engine.fire_timers(meeting, once.state, ENDS + week)
    assert effects(ended) == [
        ("remind_meeting", {"meeting_id": 7, "reminder": "second"}),
        ("prepare_minutes", {"meeting_id": 7}),
    ]


def test_a_meeting_can_be_rescheduled_again_and_again(engine, meeting):
    state = start(engine, meeting).state
    for weeks in (1, 2, 3):
        shift = timedelta(weeks=weeks)
        moved = engine.signal(meeting, state, "meeting_rescheduled", schedule(FIRST + shift, SECOND_REMINDER + shift, ENDS + shift))
        assert effects(moved) == [("send_meeting_update", {"meeting_id": 7})]
        assert moved.next_timer_at == FIRST + shift
        state = moved.state
    assert effects(engine.fire_timers(meeting, state, ENDS + timedelta(weeks=2))) == []
    ended = engine.fire_timers(meeting, state, ENDS + timedelta(weeks=3))
    assert len(ended.effects) == 3 and [task.name for task in ended.open_tasks] == ["record_minutes"]


@pytest.mark.parametrize("name", ["meeting_cancelled", "panel_closed"])
def test_cancelling_ends_the_instance_and_leaves_no_timer(engine, meeting, name):
    started = start(engine, meeting)
    cancelled = engine.signal(meeting, started.state, name)
    assert cancelled.failure is None
    assert effects(cancelled) == [("cancel_meeting", {"meeting_id": 7})]
    assert cancelled.completed and cancelled.next_timer_at is None and cancelled.open_tasks == ()
    assert effects(engine.fire_timers(meeting, cancelled.state, ENDS + timedelta(days=1))) == []
    for signal in ("meeting_rescheduled", "meeting_cancelled", "panel_closed"):
        with pytest.raises(EventNotAwaited):
            engine.signal(meeting, cancelled.state, signal, schedule())


@pytest.mark.parametrize("name", ["meeting_cancelled", "panel_closed"])
def test_cancelling_after_a_reminder_and_a_reschedule(engine, meeting, name):
    started = start(engine, meeting)
    first = engine.fire_timers(meeting, started.state, FIRST)
    moved = engine.signal(meeting, first.state, "meeting_rescheduled", schedule(ENDS, ENDS + SECOND, ENDS + timedelta(hours=2)))
    cancelled = engine.signal(meeting, moved.state, name)
    assert effects(cancelled) == [("cancel_meeting", {"meeting_id": 7})]
    assert cancelled.completed and cancelled.next_timer_at is None


def test_after_the_meeting_ended_it_can_no_longer_be_rescheduled(engine, meeting):
    ended = engine.fire_timers(meeting, start(engine, meeting).state, ENDS)
    [task] = ended.open_tasks
    with pytest.raises(EventNotAwaited):
        engine.signal(meeting, ended.state, "meeting_rescheduled", schedule(ENDS + timedelta(days=1)))


@pytest.mark.parametrize("name", ["meeting_cancelled", "panel_closed"])
def test_cancelling_while_the_minutes_are_open_closes_the_minutes_task(engine, meeting, name):
    """The event subprocesses wait as long as the instance runs: after the meeting too, cancel_meeting then runs for a
    meeting that has taken place (its handler must allow that) and the open record_minutes task closes."""
    ended = engine.fire_timers(meeting, start(engine, meeting).state, ENDS)
    [task] = ended.open_tasks
    cancelled = engine.signal(meeting, ended.state, name)
    assert effects(cancelled) == [("cancel_meeting", {"meeting_id": 7})]
    assert cancelled.completed and cancelled.open_tasks == () and cancelled.closed == (task.task_id,)
    with pytest.raises(TaskNotReady):
        engine.complete(meeting, cancelled.state, task.task_id, {})


def test_signals_leave_the_shared_definition_as_it_was(engine, meeting):
    started = start(engine, meeting)
    engine.signal(meeting, started.state, "meeting_cancelled")
    engine.signal(meeting, started.state, "meeting_rescheduled", schedule())
    later = start(engine, meeting)
    waiting, future = waiting_timers(meeting, later.state)
    assert waiting == TIMERS and future == set()
    ended = engine.fire_timers(meeting, later.state, ENDS)
    assert [task.name for task in ended.open_tasks] == ["record_minutes"]
    assert engine.complete(meeting, ended.state, ended.open_tasks[0].task_id, {}).completed


def _local(year, month, day, hour):
    return datetime(year, month, day, hour, 0, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    ("meeting_local", "first_utc", "second_utc", "ends_utc"),
    [
        # Summer time starts on Sunday 28 March 2027 at 01:00 UTC (02:00 CET becomes 03:00 CEST).
        # 09:00 CEST on Monday 29 March is 07:00 UTC. The first reminder, "two days before at the same local
        # time" (09:00 CET on Saturday 27 March), is 08:00 UTC: 49 hours before, not 48.
        # The second, 24 hours before, is 07:00 UTC on Sunday (09:00 CEST). The meeting lasts 2 hours.
        (
            _local(2027, 3, 29, 9),
            datetime(2027, 3, 27, 8, tzinfo=UTC),
            datetime(2027, 3, 28, 7, tzinfo=UTC),
            datetime(2027, 3, 29, 9, tzinfo=UTC),
        ),
        # Summer time ends on Sunday 31 October 2027 at 01:00 UTC (03:00 CEST becomes 02:00 CET).
        # 09:00 CET on Monday 1 November is 08:00 UTC; 09:00 CEST on Saturday 30 October is 07:00 UTC (49 hours
        # earlier); 24 hours before is 08:00 UTC on Sunday (09:00 CET).
        (
            _local(2027, 11, 1, 9),
            datetime(2027, 10, 30, 7, tzinfo=UTC),
            datetime(2027, 10, 31, 8, tzinfo=UTC),
            datetime(2027, 11, 1, 10, tzinfo=UTC),
        ),
    ],
    ids=["march", "october"],
)
def test_reminders_fire_at_the_right_utc_instant_across_a_daylight_saving_change(
    engine, meeting, meeting_local, first_utc, second_utc, ends_utc
):
    starts_utc = meeting_local.astimezone(UTC)
    # The first reminder is set in local time (same wall-clock time two days before): zoneinfo gives its offset.
    first_local = (meeting_local.replace(tzinfo=None) - timedelta(days=2)).replace(tzinfo=BRUSSELS)
    first = first_local.astimezone(UTC)
    second = starts_utc - timedelta(hours=24)  # an exact duration: UTC arithmetic
    ends = starts_utc + timedelta(hours=2)
    assert (first, second, ends) == (first_utc, second_utc, ends_utc)
    assert first_local.utcoffset() != meeting_local.utcoffset()  # the change lies in between

    started = engine.start(meeting, {"meeting_id": 9, "panel_id": 3, "schedule": schedule(first, second, ends)})
    assert started.next_timer_at == first_utc
    assert effects(engine.fire_timers(meeting, started.state, first_utc - SECOND)) == []
    assert abs(starts_utc - timedelta(hours=48) - first_utc) == timedelta(hours=1)  # naive arithmetic is an hour off
    fired_first = engine.fire_timers(meeting, started.state, first_utc)
    assert effects(fired_first) == [("remind_meeting", {"meeting_id": 9, "reminder": "first"})]
    assert fired_first.next_timer_at == second_utc
    assert effects(engine.fire_timers(meeting, fired_first.state, second_utc - SECOND)) == []
    fired_second = engine.fire_timers(meeting, fired_first.state, second_utc)
    assert effects(fired_second) == [("remind_meeting", {"meeting_id": 9, "reminder": "second"})]
    assert fired_second.next_timer_at == ends_utc
    assert effects(engine.fire_timers(meeting, fired_second.state, ends_utc - SECOND)) == []
    ended = engine.fire_timers(meeting, fired_second.state, ends_utc)
    assert effects(ended) == [("prepare_minutes", {"meeting_id": 9})]
    assert [task.name for task in ended.open_tasks] == ["record_minutes"]


def test_an_instant_with_a_local_offset_is_due_at_the_same_utc_instant(engine, meeting):
    """The app sends UTC; an instant written with an offset (+01:00 in winter) still means the same moment."""
    data = schedule()
    data["first_reminder_at"] = FIRST.astimezone(ZoneInfo("Europe/Brussels")).isoformat()
    assert data["first_reminder_at"].endswith("+01:00")
    started = engine.start(meeting, {"meeting_id": 7, "panel_id": 3, "schedule": data})
    assert started.next_timer_at == FIRST
    assert effects(engine.fire_timers(meeting, started.state, FIRST - SECOND)) == []
    assert len(engine.fire_timers(meeting, started.state, FIRST).effects) == 1


def test_a_reschedule_needs_the_whole_new_schedule(engine, meeting):
    """The payload replaces schedule (it is not merged): without it, or with keys missing, the process fails."""
    started = start(engine, meeting)
    assert "not subscriptable" in engine.signal(meeting, started.state, "meeting_rescheduled").failure
    partial = engine.signal(meeting, started.state, "meeting_rescheduled", {"ends_at": ENDS.isoformat()})
    assert "remind_first" in partial.failure
