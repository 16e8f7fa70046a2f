from datetime import timedelta

from sqlalchemy import select

from app.database import db
from app.database import transaction
from app.database import utcnow
from app.tasks.models import OpenTask
from app.workflows import store
from app.workflows.models import InstanceEvent
from app.workflows.services import fire_due_timers


def start_reminder(world):
    with transaction():
        instance, _ = store.start(
            "reminder", subject_type="test", subject_id=None, ern_id=world.ern.id, centre_id=world.leuven.id, data={}, actor=world.clinician
        )
    return instance


def test_due_time_is_stored_on_the_instance_and_the_open_task(world):
    instance = start_reminder(world)
    task = db.session.scalar(select(OpenTask).where(OpenTask.instance_id == instance.id))
    assert instance.next_timer_at is not None
    assert abs(instance.next_timer_at - (utcnow() + timedelta(days=3))) < timedelta(minutes=1)
    assert task.due_at == instance.next_timer_at and task.role == "clinician"


def test_timer_fires_once_when_due_and_moves_the_task_to_the_coordinator(world):
    instance = start_reminder(world)
    due = instance.next_timer_at
    assert fire_due_timers(due - timedelta(hours=1)) == 0
    assert fire_due_timers(due + timedelta(minutes=1)) == 1
    assert fire_due_timers(due + timedelta(days=1)) == 0
    db.session.refresh(instance)
    assert instance.next_timer_at is None
    [task] = db.session.scalars(select(OpenTask).where(OpenTask.instance_id == instance.id)).all()
    assert (task.name, task.role) == ("follow_up", "coordinator")
    fired = db.session.scalars(
        select(InstanceEvent).where(InstanceEvent.instance_id == instance.id, InstanceEvent.task_name == "three_days")
    ).all()
    assert len(fired) == 1


def test_run_scheduler_once_fires_due_timers(app, world):
    instance = start_reminder(world)
    at = (instance.next_timer_at + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    result = app.test_cli_runner().invoke(args=["run-scheduler", "--once", "--at", at])
    assert result.exit_code == 0, result.output
    assert "fired 1 instance(s)" in result.output


def test_open_tasks_follow_a_change_of_the_instance_subject(world):
    instance = start_reminder(world)
    instance.move_to_subject("patient", 4242)
    with transaction():
        store.fire_timers(instance, utcnow())
    [task] = db.session.scalars(select(OpenTask).where(OpenTask.instance_id == instance.id)).all()
    assert (task.subject_type, task.subject_id) == ("patient", 4242)


def test_a_broken_instance_does_not_stop_the_other_timers(world):
    broken = start_reminder(world)
    healthy = start_reminder(world)
    with transaction():
        broken.state = "{not json"
        broken.next_timer_at = healthy.next_timer_at - timedelta(hours=1)  # first in line
    assert fire_due_timers(healthy.next_timer_at + timedelta(minutes=1)) == 1
    db.session.refresh(broken)
    db.session.refresh(healthy)
    assert broken.status == "failed" and broken.next_timer_at is None and "timer:" in broken.failure
    assert healthy.next_timer_at is None
