"""Where an instance stands: per diagram element, what has run, what is active and what waits. Runs nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState

from engine import serializer
from engine.definitions import Definition
from engine.runner import _due_at
from engine.runner import _timer_tasks
from engine.scripting import SafeScriptEngine

COMPLETED = "completed"
ACTIVE = "active"
WAITING = "waiting"
_CURRENT = TaskState.READY | TaskState.STARTED | TaskState.WAITING


@dataclass(frozen=True)
class NodeState:
    """One diagram element of an instance: its state and how many times it completed."""

    element_id: str
    label: str
    kind: str
    state: str  # COMPLETED, ACTIVE or WAITING
    count: int


@dataclass(frozen=True)
class DueTimer:
    element_id: str
    label: str
    due_at: datetime


@dataclass(frozen=True)
class InstanceView:
    nodes: tuple[NodeState, ...]
    timers: tuple[DueTimer, ...]
    data: dict[str, Any]  # the task data of the current steps: the caller decides which values to show


def inspect(definition: Definition, state: str) -> InstanceView:
    """The instance's progress over its definition's elements, its due timers and its current task data."""
    workflow = serializer.loads(state, definition.spec, definition.subprocess_specs)
    workflow.script_engine = SafeScriptEngine()
    states: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    specs: dict[str, Any] = {}
    data: dict[str, Any] = dict(workflow.data)
    for task in (task for flow in (workflow, *workflow.subprocesses.values()) for task in flow.tasks.values()):
        if task.has_state(_CURRENT):
            data.update(task.data)
        element_id = task.task_spec.bpmn_id
        node_state = _state(task)
        if element_id is None or node_state is None:
            continue
        specs[element_id] = task.task_spec
        states.setdefault(element_id, set()).add(node_state)
        counts[element_id] = counts.get(element_id, 0) + (node_state == COMPLETED)
    if workflow.completed and workflow.last_task is not None:
        data.update(workflow.last_task.data)
    nodes = tuple(
        NodeState(
            element_id, specs[element_id].bpmn_name or element_id, type(specs[element_id]).__name__, _strongest(found), counts[element_id]
        )
        for element_id, found in sorted(states.items())
    )
    timers = tuple(
        DueTimer(task.task_spec.bpmn_id or task.task_spec.name, task.task_spec.bpmn_name or task.task_spec.name, due)
        for task in _timer_tasks(workflow)
        if (due := _due_at(task)) is not None
    )
    return InstanceView(nodes, tuple(sorted(timers, key=lambda timer: timer.due_at)), data)


def _state(task: Any) -> str | None:
    if task.has_state(TaskState.READY | TaskState.STARTED):
        return ACTIVE
    if task.has_state(TaskState.WAITING):
        return WAITING
    return COMPLETED if task.has_state(TaskState.COMPLETED) else None


def _strongest(states: set[str]) -> str:
    return next(state for state in (ACTIVE, WAITING, COMPLETED) if state in states)
