"""Process definitions (one row per deployed version) and process instances with their event log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import LargeBinary
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


class ProcessDefinition(db.Model):  # type: ignore[name-defined,misc]
    """One immutable version of a BPMN process, for one ERN or (ern_id NULL) for all."""

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("process_id", "ern_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column()
    checksum: Mapped[str] = mapped_column(String(64))
    xml: Mapped[bytes] = mapped_column(LargeBinary)
    ern_id: Mapped[int | None] = mapped_column(ForeignKey("erns.id", ondelete="CASCADE"))
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    deployed_by: Mapped[User | None] = relationship()


class InstanceStatus:
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ProcessInstance(db.Model):  # type: ignore[name-defined,misc]
    """A running case of a process; its serialized state excludes the definition."""

    __tablename__ = "process_instances"
    __table_args__ = (Index("ix_process_instances_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    process_id: Mapped[str] = mapped_column(String(100))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column()
    ern_id: Mapped[int | None] = mapped_column(ForeignKey("erns.id"))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))
    state: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=InstanceStatus.RUNNING)
    failure: Mapped[str] = mapped_column(Text, default="")
    next_timer_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The one person every task of this case is for (an invitee, a guest's own enrolment), if any.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    definition: Mapped[ProcessDefinition] = relationship()
    started_by: Mapped[User | None] = relationship(foreign_keys=[started_by_id])

    # Optimistic locking: an UPDATE that finds another version raises StaleDataError, so two
    # processes can never both advance one instance.
    __mapper_args__ = {"version_id_col": version_id}

    subject_moved = False  # set by move_to_subject in this transaction, not stored

    def move_to_subject(self, subject_type: str, subject_id: int) -> None:
        """The case now concerns another subject (e.g. the patient an enrolment created); open tasks follow."""
        self.subject_type, self.subject_id = subject_type, subject_id
        self.subject_moved = True


class InstanceEvent(db.Model):  # type: ignore[name-defined,misc]
    """One step of an instance: which task ran, who did it, when, which data keys changed (never values)."""

    __tablename__ = "instance_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    engine_task_id: Mapped[str] = mapped_column(String(36), default="", index=True)
    task_name: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    changed_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    actor: Mapped[User | None] = relationship()
    instance: Mapped[ProcessInstance] = relationship()
