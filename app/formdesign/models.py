"""An ERN's own version of a form: published versions are immutable; panels keep the one they used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import User
from app.database import UtcDateTime
from app.database import db
from app.database import utcnow


class FormVersion(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("ern_id", "form_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ern_id: Mapped[int] = mapped_column(ForeignKey("erns.id", ondelete="CASCADE"))
    form_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column()
    definition: Mapped[str] = mapped_column(Text)  # the JSON text, as published
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    published_by: Mapped[User | None] = relationship()
