"""Reads of the audit log, filtered in SQL by what the reader may see."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Row
from sqlalchemy import Select
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import security
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.database import db
from app.pagination import Page
from app.pagination import paginate


def _query(viewer: User, action: str) -> Select[tuple[AuditEntry]]:
    query = select(AuditEntry).where(security.audit_filter(viewer, AuditEntry))
    if action:
        query = query.where(AuditEntry.action == action)
    return query


def audit_entries(viewer: User, *, action: str = "", page: int = 1, per_page: int = 50) -> Page:
    """Newest first, one page."""
    rows = _query(viewer, action).options(joinedload(AuditEntry.actor)).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    return paginate(rows, page=page, per_page=per_page)


def export_rows(viewer: User, *, action: str = "") -> Iterator[Row[Any]]:
    """Every visible entry as plain values, oldest first (for the CSV export): the query is built now, read when iterated."""
    columns = (AuditEntry.at, User.email, AuditEntry.action, AuditEntry.target_type, AuditEntry.target_id, AuditEntry.remote_addr)
    rows = _query(viewer, action).with_only_columns(*columns, AuditEntry.details).outerjoin(User, AuditEntry.actor_id == User.id)
    return _read_in_batches(rows.order_by(AuditEntry.at, AuditEntry.id))


def _read_in_batches(statement: Select[Any]) -> Iterator[Row[Any]]:
    # A real server sends a streamed body after the request's session was removed (the test client does not): the
    # viewer was read above, while it was open; here stream_with_context's context has a new session, which lives
    # until the last row. Plain rows in batches, not instances: memory stays bounded, and it is one read transaction.
    yield from db.session.execute(statement, execution_options={"yield_per": 500})


def actions(viewer: User) -> list[str]:
    query = select(AuditEntry.action).where(security.audit_filter(viewer, AuditEntry)).distinct()
    return list(db.session.scalars(query.order_by(AuditEntry.action)))
