"""The safe evaluator: the only way a BPMN expression is ever evaluated.

Expressions see plain task data (names bound to JSON values) and nothing else: no builtins, no
imports, no attribute access, and calls only to a small allow-list of pure functions. Every
expression is checked against an allow-list of syntax before it is evaluated, both when a
definition is validated and again at run time, so a definition that slipped past validation still
cannot run code.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import simpleeval

from engine.errors import UnsafeExpression

_MAX_ITEMS = 10_000  # the largest sequence or string an expression may build or walk
_MAX_ROUND_DIGITS = 20


def _bounded(value: Any) -> Any:
    if isinstance(value, (str, bytes, list, tuple, dict, set)) and len(value) > _MAX_ITEMS:
        raise UnsafeExpression(f"a value of more than {_MAX_ITEMS} items is not allowed in an expression")
    if isinstance(value, (list, tuple, set)) and any(isinstance(item, (list, tuple, dict, set)) for item in value):
        raise UnsafeExpression("nested sequences are not allowed in an expression")
    return value


def _walking(function: Any) -> Any:
    def checked(*args: Any) -> Any:
        for argument in args:
            _bounded(argument)
        return function(*args)

    return checked


def _round(number: Any, digits: int = 0) -> Any:
    if not isinstance(digits, int) or abs(digits) > _MAX_ROUND_DIGITS:
        raise UnsafeExpression(f"round() takes at most {_MAX_ROUND_DIGITS} digits")
    return round(number, digits)


def _multiply(left: Any, right: Any) -> Any:
    # Numbers only: repeating a string or list could build values of any size.
    if not all(isinstance(operand, (int, float)) for operand in (left, right)):
        raise UnsafeExpression("only numbers can be multiplied in an expression")
    return left * right


ALLOWED_FUNCTIONS: dict[str, Any] = {
    "len": len,
    "min": _walking(min),
    "max": _walking(max),
    "abs": abs,
    "int": _walking(int),
    "float": _walking(float),
    "str": _walking(str),
    "bool": bool,
    "round": _round,
}

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.IfExp,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Call,
)

_MAX_LENGTH = 2000


@lru_cache(maxsize=4096)
def check(expression: str) -> None:
    """Raise UnsafeExpression unless ``expression`` uses only allowed syntax and functions."""
    if len(expression) > _MAX_LENGTH:
        raise UnsafeExpression(f"expression longer than {_MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise UnsafeExpression(f"not a valid expression: {error.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise UnsafeExpression(f"{_describe(node)} is not allowed in an expression")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise UnsafeExpression(f"the name '{node.id}' is not allowed (names may not start with '_')")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in ALLOWED_FUNCTIONS:
                raise UnsafeExpression(f"calling {_call_target(node)} is not allowed; allowed: {', '.join(ALLOWED_FUNCTIONS)}")
            if node.keywords:
                raise UnsafeExpression("keyword arguments are not allowed in an expression")
        if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
            raise UnsafeExpression("byte strings are not allowed in an expression")


def evaluate(expression: str, data: Mapping[str, Any]) -> Any:
    """Evaluate a checked expression over plain task data."""
    check(expression)
    names = {key: value for key, value in data.items() if isinstance(key, str) and not key.startswith("_")}
    evaluator = simpleeval.EvalWithCompoundTypes(functions=dict(ALLOWED_FUNCTIONS), names=names)
    evaluator.operators[ast.Mult] = _multiply
    try:
        return evaluator.eval(expression.strip())
    except simpleeval.NameNotDefined as error:
        raise UnsafeExpression(f"unknown name '{error.name}' in expression") from None
    except simpleeval.InvalidExpression as error:
        raise UnsafeExpression(str(error)) from None
    except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, OverflowError, MemoryError, RecursionError) as error:
        raise UnsafeExpression(f"expression failed: {type(error).__name__}: {error}") from None


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"attribute access ('.{node.attr}')"
    if isinstance(node, (ast.Lambda, ast.FunctionDef)):
        return "defining a function"
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return "a comprehension"
    if isinstance(node, (ast.JoinedStr, ast.FormattedValue)):
        return "an f-string"
    if isinstance(node, ast.NamedExpr):
        return "assignment"
    return f"'{type(node).__name__}'"


def _call_target(node: ast.Call) -> str:
    if isinstance(node.func, ast.Name):
        return f"'{node.func.id}'"
    if isinstance(node.func, ast.Attribute):
        return f"a method ('.{node.func.attr}')"
    return "an expression"
