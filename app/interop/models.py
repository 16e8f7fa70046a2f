"""What an imported patient summary proposes for a consultation form's draft: one row per item, kept until someone
accepts it into the draft or rejects it (nothing goes into the form unseen)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import User
from app.database import UtcDateTime
from app.database import db
from app.database import utcnow

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"


class ImportedItem(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "imported_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    engine_task_id: Mapped[str] = mapped_column(String(36), index=True)  # the consultation task whose draft it is for
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    batch: Mapped[str] = mapped_column(String(32))  # one upload
    position: Mapped[int] = mapped_column()  # its place in the upload's list
    field: Mapped[str] = mapped_column(String(80))  # the form field it goes into (a group, or a long text)
    source: Mapped[str] = mapped_column(String(80))  # where in the bundle it came from (section, resource type)
    summary: Mapped[str] = mapped_column(String(1000))  # how it reads on the review list
    value: Mapped[Any] = mapped_column(JSON)  # a group entry (dict of its fields) or a text for a long-text field
    status: Mapped[str] = mapped_column(String(10), default=PENDING, server_default=PENDING)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    imported_by: Mapped[User | None] = relationship(foreign_keys=[imported_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
