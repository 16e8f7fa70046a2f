"""An ERN's own settings: the intervals of its panel processes, its DICOM de-identification options, its model consent forms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import User
from app.database import UtcDateTime
from app.database import db
from app.database import utcnow

DEFAULT_INTERVALS = {
    "reminder_after": "P3D",
    "expire_after": "P14D",
    "urgent_reminder_after": "P1D",
    "urgent_expire_after": "P5D",
    "review_window": "P7D",
}
MEETING_DEFAULTS = {
    "meeting_first_reminder_minutes": 24 * 60,
    "meeting_second_reminder_minutes": 15,
    "video_url_template": "",
    "guests_may_schedule": False,
    "follow_up_months": "3,6,12",
    "small_cell_threshold": 5,
}


class ErnSettings(db.Model):  # type: ignore[name-defined,misc]
    """Per-ERN intervals of the panel processes: ISO 8601 durations in the unit the managers chose ("P3D", "PT36H")."""

    __tablename__ = "ern_settings"

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**DEFAULT_INTERVALS, **MEETING_DEFAULTS, **values})

    ern_id: Mapped[int] = mapped_column(ForeignKey("erns.id", ondelete="CASCADE"), primary_key=True)
    reminder_after: Mapped[str] = mapped_column(String(20), default="P3D")
    expire_after: Mapped[str] = mapped_column(String(20), default="P14D")
    urgent_reminder_after: Mapped[str] = mapped_column(String(20), default="P1D")
    urgent_expire_after: Mapped[str] = mapped_column(String(20), default="P5D")
    review_window: Mapped[str] = mapped_column(String(20), default="P7D")
    # DICOM de-identification options beyond the basic profile (PS3.15 E.1-1), per ERN.
    retain_patient_characteristics: Mapped[bool] = mapped_column(default=False)
    retain_device_identity: Mapped[bool] = mapped_column(default=False)
    # Off: descriptions and comments are removed. On: kept where nothing in them may identify anyone.
    clean_descriptors: Mapped[bool] = mapped_column(default=False)
    # Meetings: reminders this many minutes before the start (0: none), the video service, whether guests schedule.
    meeting_first_reminder_minutes: Mapped[int] = mapped_column(default=24 * 60)
    meeting_second_reminder_minutes: Mapped[int] = mapped_column(default=15)
    # A room address with {room} for the meeting's own room name (e.g. https://meet.jit.si/{room}); empty: the
    # scheduler pastes a link per meeting.
    video_url_template: Mapped[str] = mapped_column(String(500), default="")
    guests_may_schedule: Mapped[bool] = mapped_column(default=False)
    # After an outcome is signed, the patient's centre is asked how it went this many months later (comma-separated).
    follow_up_months: Mapped[str] = mapped_column(String(40), default="3,6,12")
    # Counts below this are shown as "< n" in what leaves the ERN (exports, the yearly report): small-cell suppression.
    small_cell_threshold: Mapped[int] = mapped_column(default=5)
    # The language of the ERN's members who chose none and whose browser asks for none Consilium speaks.
    default_language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # Where the experts of the patient's own country come in the ranking of candidates for a panel: "neutral" (by
    # score alone), "last" (cross-border advice first) or "first".
    own_country_order: Mapped[str] = mapped_column(String(10), default="neutral", server_default="neutral")


class ConsentForm(db.Model):  # type: ignore[name-defined,misc]
    """The ERN's model consent form in one language (a PDF), for its clinicians to print at enrolment.

    Kept in the row itself: a handful of small files per ERN, replaced and deleted with their row in one transaction."""

    __tablename__ = "consent_forms"
    __table_args__ = (UniqueConstraint("ern_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ern_id: Mapped[int] = mapped_column(ForeignKey("erns.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))  # ISO 639-1 code: en, fr, cs...
    file_name: Mapped[str] = mapped_column(String(200))  # as uploaded, shown to the managers
    size: Mapped[int] = mapped_column()
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # read only when downloaded
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    uploaded_by: Mapped[User | None] = relationship()
