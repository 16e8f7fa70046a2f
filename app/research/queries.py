"""Reading what researchers downloaded, from the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.pagination import Page
from app.pagination import paginate

DATASET = "research.dataset"  # the audit action of a dataset download


def downloads_of(user: User, *, page: int, per_page: int) -> Page:
    """The user's own dataset downloads, the latest first."""
    statement = (
        select(AuditEntry)
        .where(AuditEntry.actor_id == user.id, AuditEntry.action == DATASET)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    return paginate(statement, page=page, per_page=per_page)


def filters_of(details: dict[str, Any]) -> dict[str, Any]:
    """A recorded download's filters that narrowed the search (for the list of downloads)."""
    query = details.get("query") or {}
    return {
        name: value for name, value in query.items() if value and not (name == "period" and not (query.get("since") or query.get("until")))
    }
