"""Prometheus metrics: request latency by route, task completions, sign-in failures, and, read at each scrape, the
outbox's backlog and how late the timers are.

Under gunicorn each worker is a process with its own counters; gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR, where
prometheus_client keeps them in shared files, and a scrape sums every worker's. Task completions and sign-in failures
are counted from the audit entries their services write, once the transaction commits: the audit trail is already
the record of both, so the services need no second call.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Histogram
from prometheus_client import generate_latest
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.database import db
from app.database import utcnow
from app.mail.models import OutgoingMail
from app.workflows.models import InstanceStatus
from app.workflows.models import ProcessInstance

# The metrics this process counts; a scrape outside multiprocess mode reads this registry.
REGISTRY = CollectorRegistry()
REQUEST_SECONDS = Histogram(
    "consilium_request_duration_seconds",
    "Time to answer a request, by route endpoint, method and status.",
    ("endpoint", "method", "status"),
    registry=REGISTRY,
)
TASK_COMPLETIONS = Counter("consilium_task_completions", "User tasks completed, by process id.", ("process",), registry=REGISTRY)
SIGN_IN_FAILURES = Counter(
    "consilium_sign_in_failures", "Refused sign-ins: wrong password, second factor or identity provider.", registry=REGISTRY
)
SIGN_IN_FAILURE_ACTIONS = frozenset({"login.failed", "second_factor.failed"})
_PENDING = "consilium_metrics_pending"


def observe_request(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(endpoint or "unmatched", method, str(status)).observe(seconds)


def scrape() -> tuple[bytes, str]:
    """The exposition text of every worker's metrics plus the ones read from the database now, and its content type."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Registered())
    registry.register(DatabaseCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Registered(Collector):
    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


class DatabaseCollector(Collector):
    """What the database says at scrape time: mail waiting to go out or given up, and timers due but not fired."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        waiting = (OutgoingMail.sent_at.is_(None), OutgoingMail.given_up_at.is_(None))
        queued, oldest = db.session.execute(select(func.count(OutgoingMail.id), func.min(OutgoingMail.created_at)).where(*waiting)).one()
        undeliverable = db.session.scalar(select(func.count(OutgoingMail.id)).where(OutgoingMail.given_up_at.is_not(None)))
        yield GaugeMetricFamily("consilium_outbox_queued", "Mails waiting to be sent (retries included).", value=queued)
        yield GaugeMetricFamily(
            "consilium_outbox_oldest_age_seconds", "Age of the oldest mail waiting to be sent (0: none).", value=_age(oldest, now)
        )
        yield GaugeMetricFamily(
            "consilium_outbox_undeliverable", "Mails given up after too many failures, waiting for an administrator.", value=undeliverable
        )
        due = db.session.scalar(
            select(func.min(ProcessInstance.next_timer_at)).where(
                ProcessInstance.next_timer_at <= now, ProcessInstance.status == InstanceStatus.RUNNING
            )
        )
        yield GaugeMetricFamily(
            "consilium_timer_lag_seconds", "How long the most overdue timer has been due without firing (0: none).", value=_age(due, now)
        )


def _age(since: datetime | None, now: datetime) -> float:
    return max((now - since).total_seconds(), 0.0) if since is not None else 0.0


def count_committed_audit_entries() -> None:
    """Count task completions and sign-in failures from the audit entries of each committed transaction."""
    for name, listener in (("before_flush", _note_audit_entries), ("after_commit", _count_noted), ("after_rollback", _forget_noted)):
        if not event.contains(Session, name, listener):  # once per process, however many apps are built
            event.listen(Session, name, listener)


def _note_audit_entries(session: Session, _context: Any, _instances: Any) -> None:
    for entry in session.new:
        if not isinstance(entry, AuditEntry):
            continue
        if entry.action == "task.completed":
            instance = session.get(ProcessInstance, int(entry.target_id))  # loaded already by the completion
            session.info.setdefault(_PENDING, []).append(("task", instance.process_id if instance else "unknown"))
        elif entry.action in SIGN_IN_FAILURE_ACTIONS:
            session.info.setdefault(_PENDING, []).append(("sign_in", ""))


def _count_noted(session: Session) -> None:
    for kind, process in session.info.pop(_PENDING, []):
        if kind == "task":
            TASK_COMPLETIONS.labels(process).inc()
        else:
            SIGN_IN_FAILURES.inc()


def _forget_noted(session: Session) -> None:
    session.info.pop(_PENDING, None)
