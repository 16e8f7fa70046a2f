"""The queue: one row per user task that waits for a person, kept in step with each engine advance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy import func
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import User
from app.database import UtcDateTime
from app.database import db
from app.database import utcnow
from app.workflows.models import ProcessInstance


class OpenTask(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "open_tasks"
    # The scope columns first (who may act), then what the coordinators' queue filters, sorts and counts:
    # the queue's counts and page selection read this index alone, its counts in index order (no sort).
    __table_args__ = (
        Index(
            "ix_open_tasks_queue",
            "ern_id",
            "centre_id",
            "role",
            "process_id",
            "name",
            "label",
            "thematic_area_id",
            "assignee_id",
            "due_at",
            "sla_due_at",
            "created_at",
            "subject_type",
            "subject_id",
        ),
        Index("ix_open_tasks_subject", "subject_type", "subject_id"),  # a panel's tasks
        # The tasks waiting on a role across a user's ERNs (a coordinator's own): without it SQLite reads every
        # unassigned task of every ERN to find them.
        Index("ix_open_tasks_role", "role", "ern_id", "assignee_id"),
        # The queue by age, each of its parts (overdue, not) read in order; with the due dates that tell the parts apart.
        Index("ix_open_tasks_age", "ern_id", "created_at", "id", "due_at", "sla_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    engine_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    process_id: Mapped[str] = mapped_column(String(100), default="", server_default="")  # the instance's, for the queue
    name: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(200))
    form_key: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    ern_id: Mapped[int | None] = mapped_column(ForeignKey("erns.id"))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column()
    # The panel's thematic area when the subject is a panel (set once: a panel keeps its area), for the queue.
    thematic_area_id: Mapped[int | None] = mapped_column(ForeignKey("thematic_areas.id"))
    # The one user the task is for, when it is for one person (else anyone holding ``role`` in scope).
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)  # the process's own deadline (a timer)
    sla_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # the ERN's service level for this task
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # coordinators told it is overdue

    instance: Mapped[ProcessInstance] = relationship()
    assignee: Mapped[User | None] = relationship()


# When a task is due: its process's own deadline, else the ERN's service level.
DUE = func.coalesce(OpenTask.__table__.c.due_at, OpenTask.__table__.c.sla_due_at)
# The queue's default order (by due date, none last; overdue ones are the earliest) read from an index.
# With the columns the queue filters on after the order's, so that a filtered page is read from the index alone.
_C = OpenTask.__table__.c
Index("ix_open_tasks_due", _C.ern_id, DUE.is_(None), DUE, _C.id, _C.centre_id, _C.thematic_area_id, _C.process_id, _C.name, _C.assignee_id)


class TaskSubmission(db.Model):  # type: ignore[name-defined,misc]
    """The answers of a completed task whose form has no domain table of its own."""

    __tablename__ = "task_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    engine_task_id: Mapped[str] = mapped_column(String(36))
    form_key: Mapped[str] = mapped_column(String(100))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TaskDraft(db.Model):  # type: ignore[name-defined,misc]
    """What someone typed into a task's form and saved without submitting (kept as typed, unchecked)."""

    __tablename__ = "task_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    engine_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    raw_answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revision: Mapped[int] = mapped_column(default=1)
    # A version that could not be saved over this one (someone else saved first): kept, not lost.
    conflict_answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    conflict_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    conflict_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    saved_by: Mapped[User | None] = relationship(foreign_keys=[saved_by_id])
    conflict_by: Mapped[User | None] = relationship(foreign_keys=[conflict_by_id])


class SlaRule(db.Model):  # type: ignore[name-defined,misc]
    """Tasks of this name in this ERN are due this many hours after they open; past that, coordinators are told."""

    __tablename__ = "sla_rules"
    __table_args__ = (UniqueConstraint("ern_id", "task_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ern_id: Mapped[int] = mapped_column(ForeignKey("erns.id", ondelete="CASCADE"), index=True)
    task_name: Mapped[str] = mapped_column(String(100))
    hours: Mapped[int] = mapped_column()
