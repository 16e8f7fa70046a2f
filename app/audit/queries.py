"""Reads of the audit log, filtered in SQL by what the reader may see."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy.orm import joinedload

from app import security
from app.accounts.models import Membership
from app.accounts.models import Role
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.database import db
from app.patients.queries import Page


def _visible(viewer: User) -> ColumnElement[bool]:
    """Administrators see everything; coordinators see what the members of their ERNs did."""
    if viewer.is_admin:
        return true()
    erns = [m.ern_id for m in viewer.memberships if m.role == Role.COORDINATOR]
    if not erns:
        return false()
    members = select(Membership.user_id).where(Membership.ern_id.in_(erns))
    return AuditEntry.actor_id.in_(members)


def can_read_audit(viewer: User) -> bool:
    return security.manages_accounts(viewer)


def _query(viewer: User, action: str) -> Select[tuple[AuditEntry]]:
    query = select(AuditEntry).where(_visible(viewer))
    if action:
        query = query.where(AuditEntry.action == action)
    return query


def audit_entries(viewer: User, *, action: str = "", page: int = 1, per_page: int = 50) -> Page:
    """Newest first, one page."""
    query = _query(viewer, action)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = query.options(joinedload(AuditEntry.actor)).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    items = list(db.session.scalars(rows.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, page, pages, total, per_page)


def all_audit_entries(viewer: User, *, action: str = "") -> Iterator[AuditEntry]:
    """Every visible entry, oldest first, streamed in batches (for the CSV export)."""
    rows = _query(viewer, action).options(joinedload(AuditEntry.actor)).order_by(AuditEntry.at, AuditEntry.id)
    yield from db.session.scalars(rows.execution_options(yield_per=500))


def actions(viewer: User) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(_visible(viewer)).distinct().order_by(AuditEntry.action)))
