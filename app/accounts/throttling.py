"""Sign-in throttling from the audit log: recent failures per address, and per account and address.

The audit log already records every failed attempt with its address, and it lives in the shared
database, so every app process sees the same counts. Counting per account *and* address means an
attacker elsewhere cannot lock a user out; the per-address limit stops one address from trying
many accounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.database import db
from app.database import utcnow
from app.errors import TooManyAttempts

FAILURES = ("login.failed", "second_factor.failed", "second_factor.setup_failed")


@dataclass(frozen=True)
class Limits:
    window_minutes: int
    per_account_and_address: int
    per_address: int


def limits_of(config: Mapping[str, Any]) -> Limits:
    """The configured limits (LOGIN_WINDOW_MINUTES and the two failure counts)."""
    return Limits(
        int(config["LOGIN_WINDOW_MINUTES"]),
        int(config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"]),
        int(config["LOGIN_FAILURES_PER_ADDRESS"]),
    )


def check(remote_addr: str, user_id: int | None, limits: Limits) -> None:
    """Raise TooManyAttempts when this address (for this account) failed too often lately."""
    since = utcnow() - timedelta(minutes=limits.window_minutes)
    recent = (
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action.in_(FAILURES), AuditEntry.remote_addr == remote_addr, AuditEntry.at >= since)
    )
    if (db.session.scalar(recent) or 0) >= limits.per_address:
        raise TooManyAttempts(_("Too many failed sign-ins from your address. Try again in %(n)d minutes.", n=limits.window_minutes))
    if user_id is not None:
        for_account = recent.where(AuditEntry.target_id == str(user_id))
        if (db.session.scalar(for_account) or 0) >= limits.per_account_and_address:
            raise TooManyAttempts(_("Too many failed sign-ins for this account. Try again in %(n)d minutes.", n=limits.window_minutes))
