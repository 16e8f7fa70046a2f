"""APScheduler wakes the periodic work: due timers (the fire_due_timers service), overdue tasks, guest accounts near
their end, queued mail.
It sits at the top with create_app and the CLI: it calls services of the workflow layer and of features."""

from __future__ import annotations

import logging
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


def _tick(app: Flask) -> None:
    with app.app_context():
        fired = fire_due_timers(utcnow())
        if fired:
            log.info("fired timers of %d instance(s)", fired)
        escalated = escalate_overdue(utcnow())
        if escalated:
            log.info("told coordinators of %d overdue task(s)", escalated)
        kept, warned = review_guest_expiry(utcnow())
        if kept or warned:
            log.info("kept %d guest account(s) open for their panels, warned %d of their expiry", kept, warned)
        send_pending_mail(smtp_settings(app.config))


def smtp_settings(config: Any) -> SmtpSettings:
    return SmtpSettings(str(config["MAIL_SERVER"]), int(config["MAIL_PORT"]), str(config["MAIL_SENDER"]))


def _add_job(scheduler: BackgroundScheduler | BlockingScheduler, app: Flask) -> None:
    # next_run_time=now: timers that came due while the app was down fire once, right after start.
    scheduler.add_job(
        _tick,
        "interval",
        seconds=int(app.config["SCHEDULER_INTERVAL_SECONDS"]),
        args=[app],
        id="fire_due_timers",
        max_instances=1,
        coalesce=True,
        next_run_time=utcnow(),
    )


def start_scheduler(app: Flask) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_job(scheduler, app)
    scheduler.start()
    app.extensions["consilium_scheduler"] = scheduler
    return scheduler


def run_forever(app: Flask) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    _add_job(scheduler, app)
    scheduler.start()
