"""A file attached to a panel (shared with exactly those who see the panel)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import User
from app.database import UtcDateTime
from app.database import db
from app.database import utcnow


class Document(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="document")  # "summary": the case summary instead of the form
    title: Mapped[str] = mapped_column(String(200))  # shown to people; the file on disk is named by its hash
    media_type: Mapped[str] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # DICOM: the de-identified study and series the file belongs to (files are listed by series).
    study_uid: Mapped[str] = mapped_column(String(64), default="")
    series_uid: Mapped[str] = mapped_column(String(64), default="", index=True)
    series_label: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by: Mapped[User | None] = relationship()
