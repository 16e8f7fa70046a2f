"""A file about a patient: in the centre section only, or attached to a panel (shared with exactly those
who see the panel). DICOM files are stored de-identified; those that may carry burned-in text are
held for a person of the centre to review before a panel sees them."""

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

SHARED, HELD = "shared", "held"


class Document(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    panel_id: Mapped[int | None] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)  # None: centre only
    # A PDF that belongs to a member's contribution (shown with it; still one of the panel's documents).
    contribution_id: Mapped[int | None] = mapped_column(ForeignKey("contributions.id", ondelete="SET NULL"), index=True)
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
    instance_number: Mapped[int | None] = mapped_column()
    # Rows, columns, frames, pixel spacing, default window…: what the viewer needs without opening the file.
    image: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # "held": may carry burned-in text; only the patient's centre sees it until someone there shares it.
    status: Mapped[str] = mapped_column(String(20), default=SHARED, server_default=SHARED)
    hold_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])

    @property
    def is_dicom(self) -> bool:
        return self.media_type == "application/dicom"

    @property
    def held(self) -> bool:
        return self.status == HELD
