"""Personal access tokens: created and revoked by their owner, shown once, stored as a hash, scoped, expiring."""

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

READ, WRITE = "read", "write"


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha-256 of the secret, hex
    prefix: Mapped[str] = mapped_column(String(16))  # the start of the secret, to tell tokens apart
    scope: Mapped[str] = mapped_column(String(10))  # read | write
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Requests in the current minute (rate limit): one shared counter, so every app process sees the same.
    window_start: Mapped[int] = mapped_column(default=0, server_default="0")
    window_count: Mapped[int] = mapped_column(default=0, server_default="0")
    user: Mapped[User] = relationship()
