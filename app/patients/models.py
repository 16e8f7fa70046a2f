"""Patients: identifying data (centre section) and the CPMS ID that pseudonymises them (ERN section)."""

from __future__ import annotations

from datetime import date
from datetime import datetime

from sqlalchemy import Date
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
from app.identifying import Identity
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.text import fold


class Patient(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "patients"
    __table_args__ = (UniqueConstraint("centre_id", "ern_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    ern_id: Mapped[int] = mapped_column(ForeignKey("erns.id"))
    cpms_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    sequence: Mapped[int | None] = mapped_column()
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(20))
    date_of_birth: Mapped[date] = mapped_column(Date)
    record_label: Mapped[str] = mapped_column(String(200), default="")
    enrolled_on: Mapped[date] = mapped_column(Date)
    consent_care: Mapped[bool] = mapped_column()
    consent_care_date: Mapped[date] = mapped_column(Date)
    consent_registry: Mapped[bool] = mapped_column(default=False)
    consent_registry_date: Mapped[date | None] = mapped_column(Date)
    registry_name: Mapped[str] = mapped_column(String(200), default="")
    consent_research: Mapped[bool] = mapped_column(default=False)
    consent_research_date: Mapped[date | None] = mapped_column(Date)
    frozen: Mapped[bool] = mapped_column(default=False)
    # Why and since when the record is frozen (or was last unfrozen): shown on the record, kept until the next change.
    frozen_reason: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    frozen_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    frozen_changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    search_text: Mapped[str] = mapped_column(Text, default="")
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    centre: Mapped[Centre] = relationship()
    ern: Mapped[Ern] = relationship()
    enrolled_by: Mapped[User | None] = relationship(foreign_keys=[enrolled_by_id])
    frozen_changed_by: Mapped[User | None] = relationship(foreign_keys=[frozen_changed_by_id])

    def identity(self) -> Identity:
        """What identifies the patient, to find it in text that must not (panels, DICOM headers)."""
        return Identity(names=(self.first_name, self.last_name), birth_dates=(self.date_of_birth,), others=(self.record_label,))

    def refresh_search_text(self) -> None:
        self.search_text = fold(" ".join(filter(None, [self.first_name, self.last_name, self.cpms_id or ""])))

    def assign_cpms_id(self, sequence: int) -> None:
        """Give the patient their CPMS ID: ERN-{centre}-{ERN}-{sequence, three digits or more}."""
        if self.cpms_id is not None:
            raise ValueError(f"patient {self.id} already has CPMS ID {self.cpms_id}")
        self.sequence = sequence
        self.cpms_id = f"ERN-{self.centre.code}-{self.ern.code}-{sequence:03d}"
        self.refresh_search_text()


class CpmsCounter(db.Model):  # type: ignore[name-defined,misc]
    """The last CPMS sequence number used per centre and ERN; locked while a number is taken."""

    __tablename__ = "cpms_counters"

    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id", ondelete="CASCADE"), primary_key=True)
    ern_id: Mapped[int] = mapped_column(ForeignKey("erns.id", ondelete="CASCADE"), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(default=0)
