import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine import Engine
from engine import EventNotAwaited
from engine import TaskNotFound
from engine import TaskNotReady
from engine import migration
from engine import parse
from tests import bpmn_builder as bpmn

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def engine():
    return Engine()


@pytest.fixture(scope="module")
def enrolment():
    return parse((ROOT / "bpmn" / "enrolment.bpmn").read_bytes(), "enrolment", version=1)


@pytest.fixture(scope="module")
def reminder():
    return parse((DATA / "reminder.bpmn").read_bytes(), "reminder", version=1)


def test_enrolment_waits_for_the_clinician_then_asks_for_a_cpms_id(engine, enrolment):
    started = engine.start(enrolment, {"instance_id": 1})
    [task] = started.open_tasks
    assert (task.name, task.form_key, task.role) == ("enrol_patient", "enrolment", "clinician")
    assert not started.completed and started.effects == ()

    done = engine.complete(enrolment, started.state, task.task_id, {"patient_id": 42})
    assert done.completed and done.open_tasks == ()
    assert [(e.handler, e.params) for e in done.effects] == [("assign_cpms_id", {"patient_id": 42})]
    assert [e.task_name for e in done.events if e.manual] == ["enrol_patient"]
    assert done.events[0].changed_keys == ("patient_id",)


def test_state_is_stored_without_the_definition(engine, enrolment):
    started = engine.start(enrolment, {})
    state = json.loads(started.state)
    assert "spec" not in state and "subprocess_specs" not in state
    workflow = BpmnWorkflow(enrolment.spec)
    default = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG)).serialize_json(workflow)
    assert len(started.state) < len(default) / 2


def test_a_completed_task_cannot_be_completed_again(engine, enrolment):
    started = engine.start(enrolment, {})
    task_id = started.open_tasks[0].task_id
    done = engine.complete(enrolment, started.state, task_id, {"patient_id": 1})
    with pytest.raises(TaskNotReady, match="COMPLETED"):
        engine.complete(enrolment, done.state, task_id, {"patient_id": 2})


def test_unknown_task_id_is_refused(engine, enrolment):
    started = engine.start(enrolment, {})
    with pytest.raises(TaskNotFound):
        engine.complete(enrolment, started.state, "00000000-0000-0000-0000-000000000000", {})
    with pytest.raises(TaskNotFound):
        engine.complete(enrolment, started.state, "not-a-uuid", {})


def test_engine_tasks_cannot_be_completed_by_hand(engine, enrolment):
    started = engine.start(enrolment, {})
    done = engine.complete(enrolment, started.state, started.open_tasks[0].task_id, {"patient_id": 1})
    from engine import serializer

    workflow = serializer.loads(done.state, enrolment.spec, enrolment.subprocess_specs)
    service_task = next(t for t in workflow.get_tasks() if t.task_spec.name == "assign_cpms_id_task")
    with pytest.raises(TaskNotReady, match="not a user task"):
        engine.complete(enrolment, done.state, str(service_task.id), {})


def test_gateway_routes_on_plain_task_data(engine):
    definition = parse(bpmn.gateway_process('decision == "yes"'), "checked", version=1)
    started = engine.start(definition, {})
    yes = engine.complete(definition, started.state, started.open_tasks[0].task_id, {"decision": "yes"})
    assert [t.name for t in yes.open_tasks] == ["yes"]
    started = engine.start(definition, {})
    no = engine.complete(definition, started.state, started.open_tasks[0].task_id, {"decision": "no"})
    assert [t.name for t in no.open_tasks] == ["no"]


def test_unsafe_expression_that_reached_the_runtime_fails_the_task_without_running(engine, tmp_path):
    marker = tmp_path / "pwned"
    # parse() does not validate expressions: this simulates a definition that slipped past validation.
    definition = parse(bpmn.gateway_process(f"__import__('os').system('touch {marker}') == 0"), "checked", version=1)
    started = engine.start(definition, {})
    advance = engine.complete(definition, started.state, started.open_tasks[0].task_id, {"decision": "yes"})
    assert advance.failure is not None
    assert "not allowed" in advance.failure
    assert not marker.exists()
    assert advance.open_tasks == ()


def test_script_task_at_runtime_fails_without_running(engine, tmp_path):
    marker = tmp_path / "pwned"
    script = f'<bpmn:scriptTask id="task" name="Run"><bpmn:script>open("{marker}", "w").write("x")</bpmn:script></bpmn:scriptTask>'
    definition = parse(bpmn.single_task_process(script), "single", version=1)
    advance = engine.start(definition, {})
    assert advance.failure is not None and "script tasks are not allowed" in advance.failure
    assert not marker.exists()


def test_script_engine_is_reattached_after_every_load(engine, tmp_path):
    marker = tmp_path / "pwned"
    definition = parse(bpmn.gateway_process(f"open('{marker}', 'w') is None"), "checked", version=1)
    started = engine.start(definition, {})
    # The state went through JSON: had the default (eval) engine come back, the file would be written.
    advance = engine.complete(definition, started.state, started.open_tasks[0].task_id, {})
    assert advance.failure is not None
    assert not marker.exists()


def test_boundary_timer_due_time_is_reported_and_fires_only_when_due(engine, reminder):
    started = engine.start(reminder, {})
    [task] = started.open_tasks
    assert started.next_timer_at is not None
    assert task.due_at == started.next_timer_at
    due = started.next_timer_at

    early = engine.fire_timers(reminder, started.state, due - timedelta(minutes=1))
    assert [t.name for t in early.open_tasks] == ["acknowledge_case"]

    fired = engine.fire_timers(reminder, started.state, due + timedelta(seconds=1))
    assert [(t.name, t.role) for t in fired.open_tasks] == [("follow_up", "coordinator")]
    assert fired.next_timer_at is None
    assert "three_days" in [e.task_name for e in fired.events]


def test_completing_before_the_timer_cancels_it(engine, reminder):
    started = engine.start(reminder, {})
    done = engine.complete(reminder, started.state, started.open_tasks[0].task_id, {})
    assert done.completed and done.next_timer_at is None


def test_correlation_expressions_cannot_run_code(engine, tmp_path):
    marker = tmp_path / "pwned"
    template = (DATA / "correlated.bpmn").read_text()
    xml = template.replace("EXPRESSION", f"__import__('os').system('touch {marker}')").encode()
    definition = parse(xml, "correlated", version=1)
    advance = engine.start(definition, {})
    assert advance.failure is not None
    assert not marker.exists()
    safe = parse(template.replace("EXPRESSION", "case").encode(), "correlated", version=1)
    assert engine.start(safe, {}).failure is None


@pytest.fixture(scope="module")
def course_events():
    return parse((DATA / "course_events.bpmn").read_bytes(), "course_events", version=2)


def test_a_signal_runs_the_event_subprocess_that_waits_for_it_each_time_and_the_case_goes_on(engine, course_events):
    started = engine.start(course_events, {"case_id": 7})
    [task] = started.open_tasks
    first = engine.signal(course_events, started.state, "lead_handed_over")
    assert [effect.params for effect in first.effects] == [{"case": 7}]
    assert first.events[0].kind == "signal" and first.events[0].manual
    assert "Lead handed over" in [event.label for event in first.events]
    assert [t.task_id for t in first.open_tasks] == [task.task_id] and first.opened == first.closed == ()
    again = engine.signal(course_events, first.state, "lead_handed_over")
    assert len(again.effects) == 1
    done = engine.complete(course_events, again.state, task.task_id, {})
    assert done.completed
    # The definition is shared by every instance of its version: a signal must leave it as it was.
    later = engine.start(course_events, {"case_id": 8})
    assert engine.complete(course_events, later.state, later.open_tasks[0].task_id, {}).completed


def test_a_signal_nothing_waits_for_is_refused(engine, course_events, reminder):
    with pytest.raises(EventNotAwaited):
        engine.signal(reminder, engine.start(reminder, {"case_id": 1, "decision": "approve"}).state, "lead_handed_over")
    started = engine.start(course_events, {"case_id": 7})
    with pytest.raises(EventNotAwaited):
        engine.signal(course_events, started.state, "released")
    done = engine.complete(course_events, started.state, started.open_tasks[0].task_id, {})
    with pytest.raises(EventNotAwaited):
        engine.signal(course_events, done.state, "lead_handed_over")


def test_an_instance_moved_to_a_version_with_the_event_subprocess_reacts_to_its_signal(engine, course_events):
    xml = (DATA / "course_events.bpmn").read_text()
    without = xml[: xml.index("<bpmn:subProcess")] + xml[xml.index("</bpmn:subProcess>") + len("</bpmn:subProcess>") :]
    earlier = parse(without.replace("<bpmn:flowNodeRef>on_lead_handed_over</bpmn:flowNodeRef>", "").encode(), "course_events", version=1)
    started = engine.start(earlier, {"case_id": 7})
    with pytest.raises(EventNotAwaited):
        engine.signal(earlier, started.state, "lead_handed_over")
    assert migration.plan_migration(earlier, course_events, started.state).migratable
    moved = migration.migrate(earlier, course_events, started.state)
    signalled = engine.signal(course_events, moved.state, "lead_handed_over")
    assert len(signalled.effects) == 1


def test_a_case_that_reacted_to_signals_still_moves_to_a_later_version(engine, course_events):
    """Finished runs of an event subprocess are history: they do not keep the case on its version."""
    started = engine.start(course_events, {"case_id": 7})
    signalled = engine.signal(course_events, started.state, "lead_handed_over")
    xml = (DATA / "course_events.bpmn").read_bytes().replace(b'name="Acknowledge case"', b'name="Acknowledge the case"')
    later = parse(xml, "course_events", version=3)
    assert migration.plan_migration(course_events, later, signalled.state).migratable
    moved = migration.migrate(course_events, later, signalled.state)
    assert [task.label for task in moved.open_tasks] == ["Acknowledge the case"]
    again = engine.signal(later, moved.state, "lead_handed_over")
    assert len(again.effects) == 1
    assert engine.complete(later, again.state, moved.open_tasks[0].task_id, {}).completed


def test_an_interrupting_event_subprocess_runs_then_ends_the_case(engine, course_events):
    started = engine.start(course_events, {"case_id": 7})
    [task] = started.open_tasks
    closed = engine.signal(course_events, started.state, "close_requested")
    assert [effect.handler for effect in closed.effects] == ["close_case"]
    assert closed.completed and closed.open_tasks == () and closed.closed == (task.task_id,)
    with pytest.raises(EventNotAwaited):
        engine.signal(course_events, closed.state, "lead_handed_over")
    with pytest.raises(TaskNotReady):
        engine.complete(course_events, closed.state, task.task_id, {})
    later = engine.start(course_events, {"case_id": 8})  # the shared definition is as it was
    assert engine.complete(course_events, later.state, later.open_tasks[0].task_id, {}).completed


def test_a_later_timer_over_task_data_waits_its_turn_after_the_state_is_loaded(engine):
    """SpiffWorkflow 3.2's loader registers the catch events of a subprocess that are still FUTURE with the event
    manager, which then evaluated the second timer over its empty data: the engine listens only to the events that
    wait."""
    definition = parse(bpmn.timers_in_a_row(), "timers", version=1)
    started = engine.start(definition, {"first_at": "2027-01-05T08:00:00+00:00", "then_at": "2027-01-05T09:00:00+00:00"})
    assert started.next_timer_at == datetime(2027, 1, 5, 8, tzinfo=UTC)
    waiting = engine.fire_timers(definition, started.state, datetime(2027, 1, 5, 7, 59, tzinfo=UTC))
    assert waiting.failure is None and waiting.next_timer_at == datetime(2027, 1, 5, 8, tzinfo=UTC)
    first = engine.fire_timers(definition, waiting.state, datetime(2027, 1, 5, 8, tzinfo=UTC))
    assert first.failure is None and first.next_timer_at == datetime(2027, 1, 5, 9, tzinfo=UTC) and not first.open_tasks
    assert [effect.handler for effect in first.effects] == ["note_first"]
    then = engine.fire_timers(definition, first.state, datetime(2027, 1, 5, 9, tzinfo=UTC))
    assert [task.name for task in then.open_tasks] == ["task"] and then.next_timer_at is None
