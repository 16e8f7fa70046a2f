"""The engine: start, complete and wake process instances; every call returns an Advance."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine import serializer
from engine.definitions import Definition
from engine.definitions import role_key
from engine.errors import EngineError
from engine.errors import EventNotAwaited
from engine.errors import TaskNotFound
from engine.errors import TaskNotReady
from engine.results import Advance
from engine.results import OpenTask
from engine.results import TaskEvent
from engine.scripting import SafeScriptEngine

_MISSING = object()


class Engine:
    """Runs BPMN instances until they need a person or wait for time; pure: state in, Advance out."""

    def start(self, definition: Definition, data: dict[str, Any]) -> Advance:
        """Start an instance with initial task data and run it to its first wait."""
        script_engine = SafeScriptEngine()
        # Given at construction: the constructor already runs the start task (and any correlation
        # expression on it), which must never meet the library's default eval engine.
        workflow = BpmnWorkflow(definition.spec, dict(definition.subprocess_specs), script_engine=script_engine)
        workflow.task_tree.data.update(data)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        return self._advance(workflow, script_engine, [], set())

    def complete(self, definition: Definition, state: str, task_id: str, data: dict[str, Any]) -> Advance:
        """Complete a ready user task with ``data`` and run on to the next wait."""
        workflow, script_engine = self._load(definition, state)
        task = self._ready_user_task(workflow, task_id)
        was_open = _open_task_ids(workflow)
        task.data.update(data)
        task.run()
        event = TaskEvent(task.task_spec.name, _label(task), "userTask", tuple(sorted(data)), True)
        return self._advance(workflow, script_engine, [event], was_open)

    def fire_timers(self, definition: Definition, state: str, now: datetime) -> Advance:
        """Fire every timer of the instance that is due at ``now`` and run on."""
        workflow, script_engine = self._load(definition, state)
        was_open = _open_task_ids(workflow)
        for task in _timer_tasks(workflow):
            due = _due_at(task)
            if due is not None and due <= now:
                task._set_internal_data(event_fired=True)
        workflow.refresh_timers()
        return self._advance(workflow, script_engine, [], was_open)

    def signal(self, definition: Definition, state: str, name: str, payload: dict[str, Any] | None = None) -> Advance:
        """Throw the named BPMN signal at the instance (something happened outside it that it reacts to, such as
        "lead_handed_over") and run on. EventNotAwaited when nothing in the instance catches it.

        ``payload`` (ids and routing values only) goes into the task data under the signal's ``variableName``
        (e.g. a rescheduled meeting's new timer instants); a signal without one drops it.

        An interrupting event subprocess ends the rest of the case once it has run, as BPMN has it (SpiffWorkflow 3.2
        would run it beside the case and leave the case's open tasks open)."""
        # SpiffWorkflow connects a triggered event subprocess into the spec it runs on (StartEvent.trigger_wf), which
        # would make every later instance of this shared, cached definition wait for that subprocess and never end:
        # a signal runs on a private copy of the specs (about 2 ms for the panel process).
        spec, subprocess_specs = copy.deepcopy((definition.spec, definition.subprocess_specs))
        workflow, script_engine = self._load(dataclasses.replace(definition, spec=spec, subprocess_specs=subprocess_specs), state)
        was_open = _open_task_ids(workflow)
        if workflow.completed:  # SpiffWorkflow would still run an event subprocess of a finished instance
            raise EventNotAwaited(f"the instance has ended: it no longer waits for the signal '{name}'")
        try:
            workflow.send_event(BpmnEvent(SignalEventDefinition(name), payload=payload))
        except WorkflowException as error:
            raise EventNotAwaited(f"the instance does not wait for the signal '{name}'") from error

        def interrupt(workflow: BpmnWorkflow) -> None:
            ran = workflow.get_tasks(state=TaskState.COMPLETED)
            if any(task.task_spec.name in definition.interrupting_starts for task in ran):
                workflow.cancel()

        event = TaskEvent(name, name.replace("_", " ").capitalize(), "signal", (), True)
        return self._advance(workflow, script_engine, [event], was_open, then=interrupt)

    def cancel(self, definition: Definition, state: str) -> Advance:
        """Cancel the instance: every open task closes, nothing more runs."""
        workflow, script_engine = self._load(definition, state)
        was_open = _open_task_ids(workflow)
        workflow.cancel()
        advance = self._advance(workflow, script_engine, [], was_open)
        return dataclasses.replace(advance, cancelled=True, next_timer_at=None)

    @staticmethod
    def _load(definition: Definition, state: str) -> tuple[BpmnWorkflow, SafeScriptEngine]:
        workflow = serializer.loads(state, definition.spec, definition.subprocess_specs)
        _forget_events_not_waiting(workflow)
        script_engine = SafeScriptEngine()
        workflow.script_engine = script_engine  # not serialized: without this the default eval engine returns
        return workflow, script_engine

    @staticmethod
    def _ready_user_task(workflow: BpmnWorkflow, task_id: str) -> Any:
        try:
            task = workflow.get_task_from_id(UUID(task_id))
        except (ValueError, SpiffWorkflowException, KeyError):
            task = None
        if task is None:
            raise TaskNotFound(f"no task {task_id} in this instance")
        # Task.run() does not check state: an already completed or cancelled task would run again.
        if not task.task_spec.manual:
            raise TaskNotReady(f"task '{task.task_spec.name}' is not a user task")
        if task.state != TaskState.READY:
            raise TaskNotReady(f"task '{task.task_spec.name}' is {TaskState.get_name(task.state)}, not ready")
        return task

    def _advance(
        self,
        workflow: BpmnWorkflow,
        script_engine: SafeScriptEngine,
        events: list[TaskEvent],
        was_open: set[str],
        then: Callable[[BpmnWorkflow], None] | None = None,
    ) -> Advance:
        def record(task: Any) -> None:
            result_variable = getattr(task.task_spec, "result_variable", None)
            if result_variable:
                task.data.pop(result_variable, None)  # effects return nothing; keep task data clean
            if task.task_spec.bpmn_id is not None:
                events.append(TaskEvent(task.task_spec.name, _label(task), _kind(task), _changed_keys(task), False))

        failure = None
        try:
            workflow.do_engine_steps(did_complete_task=record)
        except (SpiffWorkflowException, EngineError) as error:
            failure = _failure_message(error)
        if then is not None and failure is None:
            then(workflow)
        timers = _timer_tasks(workflow)
        due_by_parent = {task.parent.id: _due_at(task) for task in timers if task.parent is not None}
        open_tasks = tuple(_open_task(task, due_by_parent) for task in _ready_user_tasks(workflow))
        due_times = [due for due in (_due_at(task) for task in timers) if due is not None]
        now_open = {task.task_id for task in open_tasks}
        return Advance(
            state=serializer.dumps(workflow),
            open_tasks=open_tasks,
            effects=tuple(script_engine.effects),
            events=tuple(events),
            completed=workflow.completed,
            next_timer_at=min(due_times) if due_times else None,
            failure=failure,
            opened=tuple(task for task in open_tasks if task.task_id not in was_open),
            closed=tuple(sorted(was_open - now_open)),
        )


def _ready_user_tasks(workflow: BpmnWorkflow) -> list[Any]:
    # A flat scan of the task tables: much cheaper than get_tasks(), which walks the tree.
    return [
        task
        for flow in (workflow, *workflow.subprocesses.values())
        for task in flow.tasks.values()
        if task.state == TaskState.READY and task.task_spec.manual
    ]


def _open_task_ids(workflow: BpmnWorkflow) -> set[str]:
    return {str(task.id) for task in _ready_user_tasks(workflow)}


def _open_task(task: Any, due_by_parent: dict[Any, datetime | None]) -> OpenTask:
    spec = task.task_spec
    properties = (getattr(spec, "extensions", None) or {}).get("properties", {})
    return OpenTask(
        task_id=str(task.id),
        name=spec.name,
        label=_label(task),
        form_key=properties.get("formKey", ""),
        role=role_key(spec.lane),
        due_at=due_by_parent.get(task.parent.id) if task.parent is not None else None,
    )


def _label(task: Any) -> str:
    return str(task.task_spec.bpmn_name or task.task_spec.name)


def _kind(task: Any) -> str:
    return str(type(task.task_spec).__name__)


def _changed_keys(task: Any) -> tuple[str, ...]:
    before = task.parent.data if task.parent is not None else {}
    return tuple(sorted(key for key, value in task.data.items() if before.get(key, _MISSING) != value))


def _forget_events_not_waiting(workflow: BpmnWorkflow) -> None:
    # SpiffWorkflow 3.2's loader registers every catching event that is FUTURE as well as WAITING with the event
    # manager; refresh_timers() then evaluates a later timer (a meeting's end after its reminder) over its still empty
    # data and fails, and a signal could reach a catch event the case has not got to. Only waiting events listen.
    events = workflow.event_manager.tasks
    for task_id in [task_id for task_id, task in events.items() if task.state != TaskState.WAITING]:
        del events[task_id]


def _timer_tasks(workflow: BpmnWorkflow) -> list[Any]:
    return [
        task
        for task in workflow.event_manager.tasks.values()
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition) and task.state == TaskState.WAITING
    ]


def _due_at(task: Any) -> datetime | None:
    value = task._get_internal_data("event_value")
    if isinstance(value, str):
        return TimerEventDefinition.get_datetime(value).astimezone(UTC)  # type: ignore[no-any-return]
    if isinstance(value, dict) and "next" in value:
        return datetime.fromisoformat(value["next"]).astimezone(UTC)
    return None


def _failure_message(error: Exception) -> str:
    task = getattr(error, "task", None)
    where = f"task '{task.task_spec.name}': " if task is not None else ""
    cause = getattr(error, "exception", None) or error
    return f"{where}{cause}"
