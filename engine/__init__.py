"""Consilium's workflow-engine layer: SpiffWorkflow behind a small, pure API. Imports no Flask."""

from engine.definitions import Definition
from engine.definitions import DefinitionCache
from engine.definitions import UserTaskInfo
from engine.definitions import checksum
from engine.definitions import expression_sites
from engine.definitions import parse
from engine.definitions import role_key
from engine.definitions import validate
from engine.errors import DefinitionError
from engine.errors import EngineError
from engine.errors import EventNotAwaited
from engine.errors import Problem
from engine.errors import TaskNotFound
from engine.errors import TaskNotReady
from engine.errors import UnsafeExpression
from engine.results import Advance
from engine.results import Effect
from engine.results import OpenTask
from engine.results import TaskEvent
from engine.runner import Engine

__all__ = [
    "Advance",
    "Definition",
    "DefinitionCache",
    "DefinitionError",
    "Effect",
    "Engine",
    "EngineError",
    "EventNotAwaited",
    "OpenTask",
    "Problem",
    "TaskEvent",
    "TaskNotFound",
    "TaskNotReady",
    "UnsafeExpression",
    "UserTaskInfo",
    "checksum",
    "expression_sites",
    "parse",
    "role_key",
    "validate",
]
