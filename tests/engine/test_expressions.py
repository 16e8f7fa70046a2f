import pytest

from engine import UnsafeExpression
from engine import expressions

pytestmark = pytest.mark.no_database


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('id')",
        "open('/etc/passwd').read()",
        "().__class__.__bases__[0].__subclasses__()",
        "decision.upper()",
        "[c for c in 'abc']",
        "(lambda: 1)()",
        "f'{decision}'",
        "exec('1')",
        "eval('1')",
        "getattr(decision, 'upper')",
        "_secret",
        "(x := 1)",
        "2 ** 1000000",
    ],
)
def test_code_execution_is_refused(expression):
    with pytest.raises(UnsafeExpression):
        expressions.check(expression)
    with pytest.raises(UnsafeExpression):
        expressions.evaluate(expression, {"decision": "approve", "_secret": 1})


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ('decision == "approve"', {"decision": "approve"}, True),
        ("count > 2 and not urgent", {"count": 3, "urgent": False}, True),
        ("'a' in tags", {"tags": ["a", "b"]}, True),
        ("len(members) >= 3", {"members": [1, 2]}, False),
        ('"P3D" if urgent else "P7D"', {"urgent": True}, "P3D"),
        ("answers['consent']", {"answers": {"consent": "yes"}}, "yes"),
        ("max(1, 5) - abs(-2)", {}, 3),
    ],
)
def test_plain_data_expressions_evaluate(expression, data, expected):
    assert expressions.evaluate(expression, data) == expected


def test_unknown_name_is_a_clear_error():
    with pytest.raises(UnsafeExpression, match="unknown name 'missing'"):
        expressions.evaluate("missing == 1", {})


def test_huge_string_is_refused():
    with pytest.raises(UnsafeExpression):
        expressions.evaluate("'x' * 100000000", {})


@pytest.mark.parametrize(
    "expression",
    [
        "min([[0]*99999]*99999)",
        "[[0]*99999]*99999 == [[0]*99999]*99999",
        "len(str([[0]*99999]*99999))",
        "round(1, -1000000000000)",
        "int(1e308*10)",
        "'x' * 5",
        "[0] * 3",
    ],
)
def test_expressions_that_would_exhaust_the_server_are_refused(expression):
    with pytest.raises(UnsafeExpression):
        expressions.evaluate(expression, {})


def test_numbers_still_multiply_and_round():
    assert expressions.evaluate("round(2.5 * count, 1)", {"count": 3}) == 7.5
