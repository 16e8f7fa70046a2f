"""bpmn/follow_up.bpmn on the engine alone, with a clock the test controls (fire_timers at chosen instants).

The process: for each of schedule["rounds"] rounds (1 to 3), a timer at the round's instant, notify_follow_up_due
(outcome_id, the round's months), then the patient's centre answers follow_up; no_further_follow_up == "yes" ends it.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from SpiffWorkflow.util.task import TaskState

from engine import Engine
from engine import parse
from engine import serializer
from engine import validate

pytestmark = pytest.mark.no_database

XML = (Path(__file__).resolve().parents[2] / "bpmn" / "follow_up.bpmn").read_bytes()
TIMERS = {"first_follow_up_due", "second_follow_up_due", "third_follow_up_due"}
SECOND = timedelta(seconds=1)
# An outcome signed off on 31 January 2027 at 09:30 UTC, plus 3, 6 and 12 months (30 April: April has no 31st).
AT = {
    3: datetime(2027, 4, 30, 9, 30, tzinfo=UTC),
    6: datetime(2027, 7, 31, 9, 30, tzinfo=UTC),
    12: datetime(2028, 1, 31, 9, 30, tzinfo=UTC),
}
ROUNDS = ("first", "second", "third")


def schedule(*months):
    """The schedule as the app passes it (app/panels/follow_up.schedule_for): rounds, instants, months."""
    data = {"rounds": len(months)}
    for index, name in enumerate(ROUNDS):
        chosen = months[min(index, len(months) - 1)]
        data[f"{name}_at"] = AT[chosen].isoformat()
        data[f"{name}_months"] = chosen
    return data


@pytest.fixture(scope="module")
def follow_up():
    return parse(XML, "follow_up", version=1)


@pytest.fixture
def engine():
    return Engine()


def start(engine, follow_up, *months):
    return engine.start(follow_up, {"outcome_id": 5, "panel_id": 3, "schedule": schedule(*months)})


def effects(advance):
    return [(effect.handler, effect.params) for effect in advance.effects]


def waiting_timers(follow_up, state):
    workflow = serializer.loads(state, follow_up.spec, follow_up.subprocess_specs)
    return {task.task_spec.name for task in workflow.get_tasks() if task.task_spec.name in TIMERS and task.state == TaskState.WAITING}


def answer(engine, follow_up, advance, *, ended=False):
    [task] = advance.open_tasks
    return engine.complete(follow_up, advance.state, task.task_id, {"no_further_follow_up": "yes" if ended else "no"})


def test_the_file_is_a_valid_consilium_definition(follow_up):
    problems = validate(
        XML,
        known_forms={"follow_up"},
        known_handlers={"notify_follow_up_due"},
        known_roles={"system", "clinician"},
        expected_process_id="follow_up",
    )
    assert problems == []
    tasks = {(t.name, t.label, t.form_key, t.role) for t in follow_up.user_tasks.values()}
    assert tasks == {(f"{name}_follow_up", "Follow up the advice", "follow_up", "clinician") for name in ROUNDS}


def test_validation_names_the_handler_it_does_not_know():
    problems = validate(XML, known_forms={"follow_up"}, known_handlers=set(), known_roles={"system", "clinician"})
    assert {problem.message for problem in problems} == {"unknown handler 'notify_follow_up_due'"}


def test_each_round_opens_exactly_at_its_instant_and_the_last_one_ends_the_follow_up(engine, follow_up):
    advance = start(engine, follow_up, 3, 6, 12)
    assert advance.failure is None and effects(advance) == [] and advance.open_tasks == ()
    assert advance.next_timer_at == AT[3]
    assert waiting_timers(follow_up, advance.state) == {"first_follow_up_due"}  # one timer at a time
    for name, months, following in (("first", 3, 6), ("second", 6, 12), ("third", 12, None)):
        early = engine.fire_timers(follow_up, advance.state, AT[months] - SECOND)
        assert effects(early) == [] and early.open_tasks == () and early.next_timer_at == AT[months]
        due = engine.fire_timers(follow_up, early.state, AT[months])
        assert effects(due) == [("notify_follow_up_due", {"outcome_id": 5, "months": months})]
        [task] = due.open_tasks
        assert (task.name, task.form_key, task.role) == (f"{name}_follow_up", "follow_up", "clinician")
        assert due.next_timer_at is None  # the next round's timer is set only once this one is answered
        later = engine.fire_timers(follow_up, due.state, AT[months] + timedelta(days=60))
        assert effects(later) == [] and [t.task_id for t in later.open_tasks] == [task.task_id]
        advance = answer(engine, follow_up, later)
        assert advance.failure is None and advance.open_tasks == ()
        if following is None:
            assert advance.completed and advance.next_timer_at is None
        else:
            assert not advance.completed and advance.next_timer_at == AT[following]
            assert waiting_timers(follow_up, advance.state) == {f"{ROUNDS[ROUNDS.index(name) + 1]}_follow_up_due"}


@pytest.mark.parametrize("ended_at", [0, 1])
def test_no_further_follow_up_ends_the_process_and_stops_the_later_rounds(engine, follow_up, ended_at):
    advance = start(engine, follow_up, 3, 6, 12)
    for index, months in enumerate((3, 6, 12)[: ended_at + 1]):
        advance = engine.fire_timers(follow_up, advance.state, AT[months])
        advance = answer(engine, follow_up, advance, ended=index == ended_at)
    assert advance.completed and advance.next_timer_at is None and advance.open_tasks == ()
    assert waiting_timers(follow_up, advance.state) == set()


@pytest.mark.parametrize("months", [(6,), (3, 12), (3, 6, 12)], ids=["one round", "two rounds", "three rounds"])
def test_the_schedule_says_how_many_rounds(engine, follow_up, months):
    advance = start(engine, follow_up, *months)
    asked = []
    while not advance.completed:
        assert advance.next_timer_at is not None
        now = advance.next_timer_at
        advance = engine.fire_timers(follow_up, advance.state, now)
        asked.append((now, [e.params["months"] for e in advance.effects]))
        advance = answer(engine, follow_up, advance)
    assert asked == [(AT[m], [m]) for m in months]


def test_a_late_clock_opens_only_the_round_due_and_never_skips_one(engine, follow_up):
    advance = start(engine, follow_up, 3, 6, 12)
    late = engine.fire_timers(follow_up, advance.state, AT[12] + timedelta(days=1))
    assert effects(late) == [("notify_follow_up_due", {"outcome_id": 5, "months": 3})]
    [task] = late.open_tasks
    assert task.name == "first_follow_up"
    answered = answer(engine, follow_up, late)
    assert answered.next_timer_at == AT[6]  # already due: the scheduler fires it on its next pass


def test_cancelling_stops_the_waiting_timer(engine, follow_up):
    advance = start(engine, follow_up, 3, 6, 12)
    cancelled = engine.cancel(follow_up, advance.state)
    assert cancelled.next_timer_at is None and cancelled.open_tasks == ()
