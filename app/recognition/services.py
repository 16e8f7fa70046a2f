"""Contributor recognition: the certificate of one's contributions for a period, each download audited."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import transaction
from app.errors import InvalidInput
from app.recognition import queries
from app.recognition.certificate import certificate_pdf
from app.requests import day_of


def period_of(start: str, end: str) -> tuple[date, date]:
    """The period asked for, from two yyyy-mm-dd dates (the first not after the second), or a clear refusal."""
    first, last = day_of(start), day_of(end)
    if first is None or last is None:
        raise InvalidInput(_("Give the period as two dates written yyyy-mm-dd, for example 2026-01-01 and 2026-12-31."))
    if first > last:
        raise InvalidInput(_("The period must start on or before its end."))
    return first, last


def contributions_certificate(actor: User, start: date, end: date, origin: RequestInfo) -> bytes:
    """A PDF certificate of the actor's own contributions from ``start`` to ``end``; the download is audited."""
    with transaction():
        lines = queries.contributions_of(actor, start, end)
        audit.record(
            actor,
            "contributions.certificate_downloaded",
            "user",
            actor.id,
            origin,
            period_from=start.isoformat(),
            period_to=end.isoformat(),
            contributions=len(lines),
        )
        return certificate_pdf(actor, start, end, lines)
