"""Errors raised by the workflow-engine layer."""


class EngineError(Exception):
    """Base class of every error the engine raises."""


class DefinitionError(EngineError):
    """A process definition cannot be used; ``problems`` lists why, one per element."""

    def __init__(self, problems: "list[Problem]") -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


class UnsafeExpression(EngineError):
    """An expression uses something the safe evaluator does not allow."""


class TaskNotFound(EngineError):
    """No task with that id exists in the instance."""


class TaskNotReady(EngineError):
    """The task exists but is not a ready user task (already completed, cancelled or waiting)."""


class EventNotAwaited(EngineError):
    """The instance does not wait for that event (its version does not model it, or it has ended)."""


class Problem:
    """One validation problem, tied to the element it concerns."""

    __slots__ = ("element_id", "message")

    def __init__(self, element_id: str, message: str) -> None:
        self.element_id = element_id
        self.message = message

    def __str__(self) -> str:
        return f"{self.element_id}: {self.message}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and (self.element_id, self.message) == (other.element_id, other.message)

    def __repr__(self) -> str:
        return f"Problem({self.element_id!r}, {self.message!r})"
