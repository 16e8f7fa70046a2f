"""Patients: identifying data (centre section) and the CPMS ID that pseudonymises them (ERN section)."""

from __future__ import annotations

import enum
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Date
from sqlalchemy import Enum
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
    # erasure (patient rights): when, by whom and why the identifying data were erased on the patient's request.
    identifying_erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    identifying_erased_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    identifying_erasure_reason: Mapped[str] = mapped_column(String(1000), default="", server_default="")

    centre: Mapped[Centre] = relationship()
    ern: Mapped[Ern] = relationship()
    enrolled_by: Mapped[User | None] = relationship(foreign_keys=[enrolled_by_id])
    frozen_changed_by: Mapped[User | None] = relationship(foreign_keys=[frozen_changed_by_id])

    def identity(self) -> Identity:
        """What identifies the patient, to find it in text that must not (panels, DICOM headers)."""
        if self.identifying_erased_at is not None:
            return Identity()  # erased: nothing of the person is left to look for
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


class PatientChange(db.Model):  # type: ignore[name-defined,misc]
    """One change of a patient's record: who, when, what (each field with its earlier and its new value), and why.

    Centre section: the earlier values are identifying data, shown only to the patient's centre."""

    __tablename__ = "patient_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # [{"field": name, "before": text, "after": text}], values as the record shows them.
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(1000), default="")
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_by: Mapped[User | None] = relationship()


class TransferStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class PatientTransfer(db.Model):  # type: ignore[name-defined,misc]
    """A request to move a patient's record to another centre of the ERN (bpmn/transfer.bpmn)."""

    __tablename__ = "patient_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    from_centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    to_centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    reason: Mapped[str] = mapped_column(String(1000))
    status: Mapped[TransferStatus] = mapped_column(
        Enum(TransferStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=TransferStatus.REQUESTED,
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    comment: Mapped[str] = mapped_column(String(2000), default="")

    patient: Mapped[Patient] = relationship()
    from_centre: Mapped[Centre] = relationship(foreign_keys=[from_centre_id])
    to_centre: Mapped[Centre] = relationship(foreign_keys=[to_centre_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
