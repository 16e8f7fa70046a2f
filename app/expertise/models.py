"""What a member says they know: declared ORPHA and HPO codes, learned codes they hid, the languages they consult in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.database import UtcDateTime
from app.database import db
from app.database import utcnow

SYSTEMS = ("ORPHA", "HPO")


class DeclaredExpertise(db.Model):  # type: ignore[name-defined,misc]
    """An ORPHA disease (or group) or an HPO term a member declared in their preferences."""

    __tablename__ = "declared_expertise"
    __table_args__ = (UniqueConstraint("user_id", "system", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    system: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class HiddenLearnedCode(db.Model):  # type: ignore[name-defined,misc]
    """A code learned from the member's panels that they removed from their expertise: no longer counted."""

    __tablename__ = "hidden_learned_codes"
    __table_args__ = (UniqueConstraint("user_id", "system", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    system: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(40))


class ConsultationLanguage(db.Model):  # type: ignore[name-defined,misc]
    """A language a member consults in (ISO 639-1)."""

    __tablename__ = "consultation_languages"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
