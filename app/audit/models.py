"""The audit log: who did or read what, when, from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import User
from app.database import UtcDateTime
from app.database import db
from app.database import utcnow


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "audit_entries"
    # Sign-in throttling counts recent failures by address and by account.
    __table_args__ = (
        Index("ix_audit_entries_action_address", "action", "remote_addr", "at"),
        Index("ix_audit_entries_action_target", "action", "target_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(80), default="")
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[User | None] = relationship()
