"""An ERN's own settings: the intervals of its panel processes and its DICOM de-identification options."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.database import db

DEFAULT_INTERVALS = {
    "reminder_after": "P3D",
    "expire_after": "P14D",
    "urgent_reminder_after": "P1D",
    "urgent_expire_after": "P5D",
    "review_window": "P7D",
}


class ErnSettings(db.Model):  # type: ignore[name-defined,misc]
    """Per-ERN intervals of the panel processes (ISO 8601 durations)."""

    __tablename__ = "ern_settings"

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**DEFAULT_INTERVALS, **values})

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
