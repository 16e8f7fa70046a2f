"""Helpers for routes: where a request came from, for the audit log; ids a client sends."""

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import g
from flask import request
from werkzeug.routing import IntegerConverter
from werkzeug.routing import Map
from werkzeug.routing import ValidationError

from app.audit.services import RequestInfo
from app.database import MAX_ID
from app.database import as_id


def origin() -> RequestInfo:
    return RequestInfo(request.remote_addr or "", request.user_agent.string or "", g.get("api_token_id"))


class IdConverter(IntegerConverter):
    """The app's ``<int:…>``: a number beyond what an id column holds matches no route (404) instead of reaching a query."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(MAX_ID)):  # int() refuses thousands of digits with a ValueError, which would be a 500
            raise ValidationError()
        return super().to_python(value)


def row_id(value: str) -> int:
    """An id in a query string (``request.args.get(name, type=row_id)``): anything else is a ValueError, as for int."""
    if (number := as_id(value)) is None:
        raise ValueError("not an id")
    return number


def row_ids(values: Iterable[str]) -> list[int]:
    """The ids among ``values`` (ticked boxes); anything else is left out."""
    return [number for value in values if (number := as_id(value)) is not None]


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
FIRST_YEAR, LAST_YEAR = 1900, 2999  # a day outside these is a typing error (and 9999-12-31 + 1 day overflows)


def day_of(text: str) -> date | None:
    """A day a client sends as yyyy-mm-dd, exactly (no week dates, no compact forms), within sensible years; else None."""
    text = text.strip()
    if not _DAY.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None
