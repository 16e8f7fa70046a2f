"""Error descriptions safe for logs: no bound values, no database row contents.

PostgreSQL explains some errors with the row's values ("Failing row contains (…)"), and an
exception's text can carry whatever a user typed. Logs leave the centre, so they get the error's
kind, its SQLSTATE and the statement, and never those values (SPEC §3).
"""

from __future__ import annotations

import traceback

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import SQLAlchemyError


def describe(error: BaseException, *, message: bool = True) -> str:
    """One line naming the error without any value it may carry. ``message=False`` leaves out the text of errors
    that are not the database's too: for logs, where a ValueError raised on a typed birth date must not go."""
    if isinstance(error, DBAPIError):
        original = error.orig
        state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None) or ""
        statement = " ".join((error.statement or "").split())[:300]
        return f"{type(original).__name__}{f' (SQLSTATE {state})' if state else ''} in: {statement}"
    if isinstance(error, SQLAlchemyError):
        return type(error).__name__
    if not message:
        return f"{type(error).__name__} (its message is not logged)"
    return f"{type(error).__name__}: {str(error)[:300]}"


def safe_traceback(error: BaseException) -> str:
    """Where the error happened (files, lines, functions) and what kind of error it was, for logs: without values."""
    frames = traceback.extract_tb(error.__traceback__)[-20:]
    lines = [f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}' for frame in frames]
    return "\n".join(["Traceback (most recent call last):", *lines, describe(error, message=False)])
