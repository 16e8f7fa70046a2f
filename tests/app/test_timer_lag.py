"""Timers are never late, mail never blocks them: the timer job sends no mail, and the mail job holds no lock while
the relay takes its time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.mail.models import OutgoingMail
from app.mail.services import queue
from app.mail.services import send_pending_mail
from app.scheduler import _add_jobs
from app.scheduler import run_mail
from app.scheduler import run_timers
from app.tasks.models import OpenTask
from app.workflows import store
from app.workflows.models import ProcessInstance
from tests import factories
from tests.app.relay import relay
from tests.conftest import build_app
from tests.conftest import drop_database_url
from tests.conftest import make_database_url


def start_reminder(world_or_ids):
    """The test process "reminder": a clinician's task that a timer hands to the coordinators after three days."""
    ern_id, centre_id, actor = world_or_ids
    with transaction():
        instance, _ = store.start(
            "reminder", subject_type="test", subject_id=None, ern_id=ern_id, centre_id=centre_id, data={}, actor=actor
        )
    return instance.id, instance.next_timer_at


def _task_names(instance_id):
    return [t.name for t in db.session.scalars(select(OpenTask).where(OpenTask.instance_id == instance_id))]


def test_the_scheduler_runs_timers_and_mail_as_two_jobs(app):
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_jobs(scheduler, app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"fire_due_timers", "send_mail"}
    assert (jobs["fire_due_timers"].func, jobs["send_mail"].func) == (run_timers, run_mail)
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())


def test_the_timer_job_fires_due_timers_and_leaves_the_mail_to_the_mail_job(app, world):
    instance_id, due = start_reminder((world.ern.id, world.leuven.id, world.clinician))
    with transaction():
        queue("someone@example.org", "Waiting", "A mail in the queue.")
    with relay() as inbox:
        run_timers(app, due + timedelta(minutes=1))
    assert _task_names(instance_id) == ["follow_up"]
    mail = db.session.scalar(select(OutgoingMail))
    assert (mail.sent_at, mail.attempts, inbox.attempts) == (None, 0, 0)


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, dict[str, int]]]:
    """A database where the services really commit, for the jobs in their own threads."""
    url = make_database_url(tmp_path_factory.mktemp("timer-lag"), "timerlag")
    app = build_app(url)
    with app.app_context():
        world = factories.make_world()
        ids = {"ern": world.ern.id, "leuven": world.leuven.id, "clinician": world.clinician.id}
    yield app, ids
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database_url(url)


def test_a_due_timer_fires_while_the_mail_job_waits_on_a_slow_relay(committed):
    app, ids = committed
    held = threading.Event()  # the relay holds the mail until the test lets it go
    with relay(hold=held) as slow:
        with app.app_context():
            instance_id, due = start_reminder((ids["ern"], ids["leuven"], db.session.get(User, ids["clinician"])))
            with transaction():
                queue("someone@example.org", "Slow", "The relay takes its time with this one.")
        sending = threading.Thread(target=lambda: _send_in_context(app, slow.settings))
        sending.start()
        assert slow.receiving.wait(timeout=30), "the mail job never reached the relay"
        run_timers(app, due + timedelta(minutes=1))  # meanwhile, in the scheduler's other job
        with app.app_context():
            fired = db.session.get(ProcessInstance, instance_id)
            assert fired.next_timer_at is None and _task_names(instance_id) == ["follow_up"]
            assert slow.messages == []  # the mail was still with the relay when the timer fired
            db.session.remove()
        held.set()
        sending.join(timeout=30)
    assert len(slow.messages) == 1
    with app.app_context():
        assert db.session.scalar(select(OutgoingMail.sent_at).where(OutgoingMail.subject == "Slow")) is not None
        db.session.remove()


def _send_in_context(app, settings):
    with app.app_context():
        try:
            send_pending_mail(settings, now=utcnow())
        finally:
            db.session.remove()
