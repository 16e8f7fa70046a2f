"""APScheduler wakes the periodic work in two jobs: the timers (due timers by the fire_due_timers service, overdue
tasks, guest accounts near their end), and the queued mail. Apart, so that a slow mail relay never makes a timer late.
It sits at the top with create_app and the CLI: it calls services of the workflow layer and of features."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from app.accounts.expiry import review_guest_expiry
from app.database import utcnow
from app.mail.services import SmtpSettings
from app.mail.services import send_pending_mail
from app.queues.services import escalate_overdue
from app.workflows.services import fire_due_timers

log = logging.getLogger(__name__)


def run_timers(app: Flask, now: datetime | None = None) -> None:
    """The timer job: due timers first, then overdue tasks and guest accounts. It sends no mail (the mail job does)."""
    with app.app_context():
        fired = fire_due_timers(now or utcnow())
        if fired:
            log.info("fired timers of %d instance(s)", fired)
        escalated = escalate_overdue(now or utcnow())
        if escalated:
            log.info("told coordinators of %d overdue task(s)", escalated)
        kept, warned = review_guest_expiry(now or utcnow())
        if kept or warned:
            log.info("kept %d guest account(s) open for their panels, warned %d of their expiry", kept, warned)


def run_mail(app: Flask) -> None:
    """The mail job: send what is due, for at most MAIL_BATCH_SECONDS (send_pending_mail logs the batch)."""
    with app.app_context():
        send_pending_mail(smtp_settings(app.config))


def smtp_settings(config: Any) -> SmtpSettings:
    return SmtpSettings(
        str(config["MAIL_SERVER"]),
        int(config["MAIL_PORT"]),
        str(config["MAIL_SENDER"]),
        timeout=float(config["MAIL_TIMEOUT_SECONDS"]),
        batch_seconds=float(config["MAIL_BATCH_SECONDS"]),
        retry_seconds=float(config["MAIL_RETRY_SECONDS"]),
        max_attempts=int(config["MAIL_MAX_ATTEMPTS"]),
    )


def _add_jobs(scheduler: BackgroundScheduler | BlockingScheduler, app: Flask) -> None:
    # next_run_time=now: timers that came due while the app was down fire once, right after start. Each job runs in
    # its own thread of the scheduler's pool, one run at a time (max_instances=1), a missed run coalesced into one.
    for job, job_id, seconds in (
        (run_timers, "fire_due_timers", app.config["SCHEDULER_INTERVAL_SECONDS"]),
        (run_mail, "send_mail", app.config["MAIL_INTERVAL_SECONDS"]),
    ):
        scheduler.add_job(
            job, "interval", seconds=int(seconds), args=[app], id=job_id, max_instances=1, coalesce=True, next_run_time=utcnow()
        )


def start_scheduler(app: Flask) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_jobs(scheduler, app)
    scheduler.start()
    app.extensions["consilium_scheduler"] = scheduler
    return scheduler


def run_forever(app: Flask) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    _add_jobs(scheduler, app)
    scheduler.start()
