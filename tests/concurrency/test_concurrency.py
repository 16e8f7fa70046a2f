"""Several threads or processes on one database: each completion, CPMS number and timer happens once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import date
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import transaction
from app.errors import Conflict
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.patients.models import Patient
from app.tasks import services as task_services
from app.workflows import store
from app.workflows.models import InstanceEvent
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def run_together(app, count, work):
    """Run ``work(index)`` in ``count`` threads released at once; return results or exceptions by index."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def runner(index: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[index] = work(index)
            except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_concurrent_completions_of_one_task_succeed_once(committed):
    app, _url, ids = committed
    with app.app_context():
        clinician = db.session.get(User, ids["clinician"])
        task_id = factories.start_enrolment(clinician, db.session.get(Centre, ids["leuven"]), db.session.get(Ern, ids["ern"]))
        before = db.session.scalar(select(func.count()).select_from(Patient))

    def complete(index: int):
        actor = db.session.get(User, ids["clinician"] if index % 2 == 0 else ids["colleague"])
        answers = factories.enrolment_answers(first_name=f"Racer{index}")
        return task_services.complete_task(actor, task_id, answers, factories.forms(), date(2026, 11, 21), factories.ORIGIN)

    results = run_together(app, 4, complete)
    successes = [r for r in results if isinstance(r, task_services.Completed)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(successes) == 1, results
    assert len(conflicts) == 3, results
    assert all("already completed by" in c.message or "You already answered on" in c.message for c in conflicts)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Patient)) == before + 1


def test_twenty_simultaneous_enrolments_get_gap_free_unique_cpms_ids(committed):
    app, _url, ids = committed
    with app.app_context():
        db.session.add(Centre(code="FR08", name="Hôpital Saint-Louis", country="FR", erns=[db.session.get(Ern, ids["ern"])]))
        db.session.commit()
        centre = db.session.scalar(select(Centre).where(Centre.code == "FR08"))
        clinician = factories.make_user("hp@fr08.example", [(db.session.get(Ern, ids["ern"]), centre, factories.Role.MEMBER_EXPERT)])
        db.session.commit()
        user_id, centre_id = clinician.id, centre.id

    def enrol(index: int) -> str:
        user = db.session.get(User, user_id)
        patient = factories.enrol(user, db.session.get(Centre, centre_id), db.session.get(Ern, ids["ern"]), first_name=f"Parallel{index}")
        return str(patient.cpms_id)

    results = run_together(app, 20, enrol)
    assert all(isinstance(r, str) for r in results), results
    assert sorted(results) == [f"ERN-FR08-EuroBloodNet-{n:03d}" for n in range(1, 21)]


def test_two_scheduler_processes_fire_each_due_timer_exactly_once(committed):
    app, url, ids = committed
    with app.app_context():
        instance_ids = []
        with transaction():
            for _ in range(30):
                instance, _advance = store.start(
                    "reminder", subject_type="test", subject_id=None, ern_id=ids["ern"], centre_id=ids["leuven"], data={}, actor=None
                )
                instance_ids.append(instance.id)
        due = max(store_instance.next_timer_at for store_instance in _instances(instance_ids))
    at = (due + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    env = {**os.environ, "DATABASE_URL": url, "CONSILIUM_SCHEDULER_ENABLED": "false"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "run-scheduler", "--once", "--at", at]
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    fired = [int(out.split("fired ")[1].split()[0]) for out, _err in outputs]
    assert sum(fired) == 30, outputs
    with app.app_context():
        counts = db.session.execute(
            select(InstanceEvent.instance_id, func.count())
            .where(InstanceEvent.instance_id.in_(instance_ids), InstanceEvent.task_name == "three_days")
            .group_by(InstanceEvent.instance_id)
        ).all()
        assert sorted(n for _id, n in counts) == [1] * 30


def test_a_timer_that_came_due_while_the_app_was_down_fires_after_restart(committed):
    app, url, ids = committed
    with app.app_context():
        with transaction():
            instance, _advance = store.start(
                "reminder", subject_type="test", subject_id=None, ern_id=ids["ern"], centre_id=ids["leuven"], data={}, actor=None
            )
        due, instance_id = instance.next_timer_at, instance.id
    # A new process (the restarted app) sees the stored due time and fires it once.
    restarted = _fresh_app(url)
    from app.workflows.services import fire_due_timers

    with restarted.app_context():
        assert fire_due_timers(due + timedelta(hours=5)) >= 1
        assert fire_due_timers(due + timedelta(hours=6)) == 0
        events = db.session.scalars(
            select(InstanceEvent).where(InstanceEvent.instance_id == instance_id, InstanceEvent.task_name == "three_days")
        ).all()
        assert len(events) == 1
        db.session.remove()
        db.engine.dispose()


def _fresh_app(url):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_ENABLED": False, "TESTING": True})


def _instances(instance_ids):
    from app.workflows.models import ProcessInstance

    return db.session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(instance_ids))).all()
