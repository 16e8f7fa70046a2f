"""Service levels an ERN sets for its open tasks (e.g. an invitation answered within 3 days)."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.database import db


class SlaRule(db.Model):  # type: ignore[name-defined,misc]
    """Tasks of this name in this ERN are due this many days after they open; past that, coordinators are told."""

    __tablename__ = "sla_rules"
    __table_args__ = (UniqueConstraint("ern_id", "task_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ern_id: Mapped[int] = mapped_column(ForeignKey("erns.id", ondelete="CASCADE"), index=True)
    task_name: Mapped[str] = mapped_column(String(100))
    days: Mapped[int] = mapped_column()
