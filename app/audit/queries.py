"""Reads of the audit log, filtered in SQL by what the reader may see."""

from __future__ import annotations

from typing import Any

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


def export_statement(viewer: User, *, action: str = "") -> Select[Any]:
    """Every entry the viewer may read, as plain columns, oldest first (for the CSV export). The statement is built
    now, while the request has the viewer; app.exports reads it later, on a connection of its own."""
    columns = (AuditEntry.at, User.email, AuditEntry.action, AuditEntry.target_type, AuditEntry.target_id, AuditEntry.remote_addr)
    rows = _query(viewer, action).with_only_columns(*columns, AuditEntry.details).outerjoin(User, AuditEntry.actor_id == User.id)
    return rows.order_by(AuditEntry.at, AuditEntry.id)


def actions(viewer: User) -> list[str]:
    query = select(AuditEntry.action).where(security.audit_filter(viewer, AuditEntry)).distinct()
    return list(db.session.scalars(query.order_by(AuditEntry.action)))
