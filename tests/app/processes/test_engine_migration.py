"""The engine's migration and inspection, on the reminder test process: pure, no Flask, no database."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

import engine
from engine import inspection
from engine import migration
from tests.factories import DATA

XML = (DATA / "reminder.bpmn").read_bytes()
ENGINE = engine.Engine()
REVIEW = (
    b'<bpmn:userTask id="review" name="Review"><bpmn:extensionElements><spiffworkflow:properties>'
    b'<spiffworkflow:property name="formKey" value="acknowledge" /></spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>'
)


def version(xml, number):
    return engine.parse(xml, "reminder", version=number)


@pytest.fixture
def started():
    current = version(XML, 1)
    return current, ENGINE.start(current, {"case_id": 7})


def test_a_relabelled_ready_task_is_reset_and_keeps_its_id_and_data(started):
    current, advance = started
    target = version(XML.replace(b'name="Acknowledge case"', b'name="Acknowledge the case"'), 2)
    assert migration.plan_migration(current, target, advance.state) == migration.MigrationPlan((), ("Acknowledge case",))
    moved = migration.migrate(current, target, advance.state)
    [task] = moved.open_tasks
    assert (task.task_id, task.label) == (advance.open_tasks[0].task_id, "Acknowledge the case")
    assert moved.next_timer_at == advance.next_timer_at  # the timer did not change: it keeps its due time
    assert (moved.opened, moved.closed, moved.effects) == ((), (), ())
    done = ENGINE.complete(target, moved.state, task.task_id, {"comment": "seen"})
    assert done.completed and not done.failure
    assert inspection.inspect(target, done.state).data == {"case_id": 7, "comment": "seen"}


def test_a_changed_timer_starts_again_under_the_new_definition(started):
    current, advance = started
    target = version(XML.replace(b'"P3D"', b'"P5D"'), 2)
    plan = migration.plan_migration(current, target, advance.state)
    assert plan.resets == ("3 days (waits again from the start)",)
    moved = migration.migrate(current, target, advance.state)
    assert moved.next_timer_at - advance.next_timer_at > timedelta(days=1, hours=23)


def test_a_step_inserted_after_the_ready_task_is_taken_without_a_reset(started):
    current, advance = started
    inserted = XML.replace(b'sourceRef="acknowledge_case" targetRef="done"', b'sourceRef="acknowledge_case" targetRef="review"')
    flow = b'<bpmn:sequenceFlow id="f2b" sourceRef="review" targetRef="done" />'
    inserted = inserted.replace(b'<bpmn:endEvent id="done" />', REVIEW + flow + b'<bpmn:endEvent id="done" />')
    inserted = inserted.replace(
        b"<bpmn:flowNodeRef>done</bpmn:flowNodeRef>",
        b"<bpmn:flowNodeRef>done</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef>",
    )
    target = version(inserted, 2)
    assert migration.plan_migration(current, target, advance.state) == migration.MigrationPlan((), ())
    moved = migration.migrate(current, target, advance.state)
    done = ENGINE.complete(target, moved.state, moved.open_tasks[0].task_id, {})
    assert [task.name for task in done.open_tasks] == ["review"]


def test_a_renamed_step_after_a_waiting_timer_is_predicted_again_and_the_timer_keeps_its_due_time(started):
    current, advance = started
    target = version(XML.replace(b"follow_up", b"chase_up"), 2)
    moved = migration.migrate(current, target, advance.state)
    assert moved.next_timer_at == advance.next_timer_at
    fired = ENGINE.fire_timers(target, moved.state, datetime.now(UTC) + timedelta(days=4))
    assert [task.name for task in fired.open_tasks] == ["chase_up"]


def test_an_instance_whose_ready_task_is_gone_cannot_move(started):
    current, advance = started
    target = version(XML.replace(b"acknowledge_case", b"confirm_case"), 2)
    plan = migration.plan_migration(current, target, advance.state)
    assert plan.reasons == ("the step 'Acknowledge case' is ready but is not in the new version",)
    with pytest.raises(migration.MigrationRefused):
        migration.migrate(current, target, advance.state)


def test_a_finished_step_must_still_exist(started):
    current, advance = started
    done = ENGINE.complete(current, advance.state, advance.open_tasks[0].task_id, {})
    target = version(XML.replace(b"acknowledge_case", b"confirm_case"), 2)
    [reason] = migration.plan_migration(current, target, done.state).reasons
    assert "finished step 'Acknowledge case'" in reason


def test_a_ready_task_that_changes_kind_cannot_move(started):
    current, advance = started
    plain = XML.replace(b'<bpmn:userTask id="acknowledge_case"', b'<bpmn:task id="acknowledge_case"')
    plain = plain.replace(b'</bpmn:userTask>\n    <bpmn:sequenceFlow id="f2"', b'</bpmn:task>\n    <bpmn:sequenceFlow id="f2"')
    target = version(plain, 2)
    [reason] = migration.plan_migration(current, target, advance.state).reasons
    assert "the step 'Acknowledge case' is ready and is a NoneTask in the new version, not a UserTask" == reason


def test_inspection_marks_completed_active_and_waiting_elements(started):
    current, advance = started
    view = inspection.inspect(current, advance.state)
    states = {node.element_id: (node.state, node.count) for node in view.nodes}
    assert states == {"start": ("completed", 1), "acknowledge_case": ("active", 0), "three_days": ("waiting", 0)}
    assert [(timer.element_id, timer.due_at) for timer in view.timers] == [("three_days", advance.next_timer_at)]
    assert view.data == {"case_id": 7}
