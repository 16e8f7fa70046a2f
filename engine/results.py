"""What the engine returns: frozen values, its only outputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class OpenTask:
    """A user task waiting for a person."""

    task_id: str
    name: str
    label: str
    form_key: str
    role: str
    due_at: datetime | None = None


@dataclass(frozen=True)
class Effect:
    """A named side effect a service task asks the application to perform."""

    handler: str
    params: dict[str, Any]
    task_name: str


@dataclass(frozen=True)
class TaskEvent:
    """One entry of an instance's event log: which task ran and which data keys it changed."""

    task_name: str
    label: str
    kind: str
    changed_keys: tuple[str, ...]
    manual: bool


@dataclass(frozen=True)
class Advance:
    """The outcome of one engine step: new state, open tasks, effects to apply and the log of what ran."""

    state: str
    open_tasks: tuple[OpenTask, ...]
    effects: tuple[Effect, ...]
    events: tuple[TaskEvent, ...]
    completed: bool
    next_timer_at: datetime | None
    failure: str | None = None
    # The change to the open tasks: tasks that became ready in this advance, ids of tasks no longer open.
    opened: tuple[OpenTask, ...] = ()
    closed: tuple[str, ...] = ()
    cancelled: bool = False
