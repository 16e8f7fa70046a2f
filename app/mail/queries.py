"""What administrators read of the outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import defer

from app.mail.models import OutgoingMail
from app.pagination import Page
from app.pagination import paginate


def undeliverable_mail(*, page: int, per_page: int) -> Page:
    """Mail given up after too many failures, the latest first; without their bodies, which nobody reads here."""
    query = (
        select(OutgoingMail)
        .options(defer(OutgoingMail.body))
        .where(OutgoingMail.given_up_at.is_not(None))
        .order_by(OutgoingMail.given_up_at.desc(), OutgoingMail.id.desc())
    )
    return paginate(query, page=page, per_page=per_page)
