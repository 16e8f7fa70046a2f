"""The script engine attached to every workflow: safe expressions, no scripts, service calls as effects.

SpiffWorkflow does not serialize the script engine, so ``runner`` attaches a fresh one after every
load; without it the library's default (full Python ``eval``) would silently come back.
"""

from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine import expressions
from engine.errors import UnsafeExpression
from engine.results import Effect


class SafeEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """The environment SpiffWorkflow calls directly in some places (message correlation, process
    completion conditions): the same safe evaluator, and no scripts. The library's default would
    run full Python ``eval`` there."""

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        return expressions.evaluate(expression, {**context, **(external_context or {})})

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        raise UnsafeExpression("scripts are not allowed")

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise UnsafeExpression("services are called through effects only")


class SafeScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """Evaluates expressions with the safe evaluator and collects service calls as effects."""

    def __init__(self) -> None:
        super().__init__(environment=SafeEnvironment())
        self.effects: list[Effect] = []

    def validate(self, expression: str) -> None:
        expressions.check(expression)

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        data = dict(task.data)
        if external_context:
            data.update(external_context)
        return expressions.evaluate(expression, data)

    def execute(self, task: Any, script: str, external_context: dict[str, Any] | None = None) -> Any:
        raise UnsafeExpression(f"script tasks are not allowed (task '{task.task_spec.bpmn_id}')")

    def call_service(self, task: Any, **kwargs: Any) -> str:
        params = {name: param["value"] for name, param in kwargs.get("operation_params", {}).items()}
        self.effects.append(Effect(kwargs["operation_name"], params, task.task_spec.bpmn_id))
        return json.dumps(None)
