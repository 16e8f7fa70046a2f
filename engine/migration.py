"""Move a running instance onto another version of its definition, conservatively.

Steps are matched by id. An instance may move when every step it has been through still exists,
every step that is waiting or ready exists with the same kind, and nothing that changed is in
progress. Ready and waiting steps whose own definition changed are reset: a ready task keeps its id
and data and is offered again, a waiting timer starts again. Where only the steps after them changed,
those predicted next steps are rebuilt from the new version. Nothing runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import serializer
from engine.definitions import Definition
from engine.errors import EngineError
from engine.results import Advance
from engine.runner import _due_at
from engine.runner import _open_task
from engine.runner import _ready_user_tasks
from engine.runner import _timer_tasks
from engine.scripting import SafeScriptEngine

_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_RESETTABLE = TaskState.READY | TaskState.WAITING
_PREDICTED = TaskState.PREDICTED_MASK | TaskState.FUTURE
_LINKS = {"inputs", "outputs"}  # a step whose only change is what comes before or after it keeps its own state


class MigrationRefused(EngineError):
    """The instance cannot move to that version; ``reasons`` says why."""

    def __init__(self, reasons: tuple[str, ...]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


@dataclass(frozen=True)
class MigrationPlan:
    """What moving one instance to another version would do."""

    reasons: tuple[str, ...]  # why it cannot move; empty when it can
    resets: tuple[str, ...]  # the ready or waiting steps that would start again

    @property
    def migratable(self) -> bool:
        return not self.reasons


def plan_migration(current: Definition, target: Definition, state: str) -> MigrationPlan:
    """The dry run: whether the instance can move to ``target`` and which steps would reset."""
    plan = _plan(_load(current, state), target)
    return MigrationPlan(tuple(plan.reasons), () if plan.reasons else tuple(_reset_label(task) for task in plan.resets))


def migrate(current: Definition, target: Definition, state: str) -> Advance:
    """Move the instance to ``target``: same data, same open task ids, changed ready steps reset."""
    workflow = _load(current, state)
    plan = _plan(workflow, target)
    if plan.reasons:
        raise MigrationRefused(tuple(plan.reasons))
    was_open = {str(task.id) for task in _ready_user_tasks(workflow)}
    workflow.spec = target.spec
    workflow.subprocess_specs = dict(target.subprocess_specs)
    specs = target.spec.task_specs
    for task in workflow.tasks.values():
        if task.task_spec.name in specs:
            task.task_spec = specs[task.task_spec.name]
    for subprocess in workflow.subprocesses.values():  # finished ones only (see _plan)
        subprocess.spec = target.subprocess_specs[subprocess.spec.name]
        for task in subprocess.tasks.values():
            task.task_spec = subprocess.spec.task_specs.get(task.task_spec.name, task.task_spec)
    for task in plan.resets:
        task.reset_branch(None)
    for task in plan.repredicts:
        task._drop_children(force=True)
        task.task_spec._predict(task, mask=TaskState.NOT_FINISHED_MASK)
    stale = sorted({task.task_spec.name for task in workflow.tasks.values() if specs.get(task.task_spec.name) is not task.task_spec})
    if stale:
        raise MigrationRefused((f"the steps {', '.join(stale)} could not be matched in the new version",))
    new_state = serializer.dumps(workflow)
    serializer.loads(new_state, target.spec, target.subprocess_specs)  # proves the new state loads on the new version
    timers = _timer_tasks(workflow)
    due_by_parent = {task.parent.id: _due_at(task) for task in timers if task.parent is not None}
    open_tasks = tuple(_open_task(task, due_by_parent) for task in _ready_user_tasks(workflow))
    due_times = [due for due in (_due_at(task) for task in timers) if due is not None]
    now_open = {task.task_id for task in open_tasks}
    return Advance(
        state=new_state,
        open_tasks=open_tasks,
        effects=(),
        events=(),
        completed=workflow.completed,
        next_timer_at=min(due_times) if due_times else None,
        opened=tuple(task for task in open_tasks if task.task_id not in was_open),
        closed=tuple(sorted(was_open - now_open)),
    )


def _load(definition: Definition, state: str) -> BpmnWorkflow:
    workflow = serializer.loads(state, definition.spec, definition.subprocess_specs)
    workflow.script_engine = SafeScriptEngine()  # a reset timer evaluates its expression: never with the default engine
    return workflow


@dataclass
class _Plan:
    reasons: list[str]
    resets: list[Any]  # ready or waiting tasks whose own step changed
    repredicts: list[Any]  # ready or waiting tasks whose predicted next steps changed


def _plan(workflow: BpmnWorkflow, target: Definition) -> _Plan:
    reasons: dict[str, bool] = {}  # reason → concerns a diagram element (not an internal step)
    resets: dict[Any, Any] = {}
    repredicts: dict[Any, Any] = {}
    for subprocess in workflow.subprocesses.values():
        # A finished run of an event subprocess (a signal the case reacted to) is history, like a finished step.
        if not subprocess.completed:
            reasons["the case is inside a sub-process, and sub-processes are not migrated"] = True
        elif subprocess.spec.name not in target.subprocess_specs:
            reasons[f"the finished sub-process '{subprocess.spec.name}' is not in the new version"] = True
    specs = target.spec.task_specs
    for task in workflow.tasks.values():
        old = task.task_spec
        new = specs.get(old.name)
        label, visible = _label(task), old.bpmn_id is not None
        if task.has_state(TaskState.FINISHED_MASK):
            if new is None:
                reasons[f"the finished step '{label}' is not in the new version, so the case's history would not fit it"] = visible
        elif task.has_state(_PREDICTED):
            if new is None or _changes(old, new):
                anchor = _live_ancestor(task)
                if anchor is not None and anchor.has_state(_RESETTABLE):
                    repredicts[anchor.id] = anchor
                elif anchor is not None:
                    reasons[f"the steps after '{_label(anchor)}' changed while it is in progress"] = anchor.task_spec.bpmn_id is not None
        elif new is None:
            reasons[f"the step '{label}' is {_state(task)} but is not in the new version"] = visible
        elif type(new) is not type(old):
            reasons[f"the step '{label}' is {_state(task)} and is a {_kind(new)} in the new version, not a {_kind(old)}"] = visible
        elif changes := _changes(old, new):
            if not task.has_state(_RESETTABLE):
                reasons[f"the step '{label}' changed while it is in progress"] = visible
            elif changes - _LINKS:
                resets[task.id] = task
            else:
                repredicts[task.id] = task
    # Internal steps (gateway joins, boundary-event wrappers) follow from diagram elements: name those when there are any.
    shown = [reason for reason, visible in reasons.items() if visible] or list(reasons)
    return _Plan(sorted(shown), _by_name(resets), [task for task in _by_name(repredicts) if task.id not in resets])


def _by_name(tasks: dict[Any, Any]) -> list[Any]:
    return sorted(tasks.values(), key=lambda task: task.task_spec.name)


def _changes(old: Any, new: Any) -> set[str]:
    """The attributes of a step that differ between two versions (its links to other steps included)."""
    registry = serializer._serializer().registry
    before, after = registry.convert(old), registry.convert(new)
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def _live_ancestor(task: Any) -> Any:
    node = task.parent
    while node is not None and node.has_state(_PREDICTED):
        node = node.parent
    return node if node is not None and node.has_state(_LIVE) else None


def _label(task: Any) -> str:
    return str(task.task_spec.bpmn_name or task.task_spec.bpmn_id or task.task_spec.name)


def _kind(spec: Any) -> str:
    return str(type(spec).__name__)


def _state(task: Any) -> str:
    return str(TaskState.get_name(task.state)).lower()


def _reset_label(task: Any) -> str:
    if task.has_state(TaskState.WAITING):
        return f"{_label(task)} (waits again from the start)"
    return _label(task)
