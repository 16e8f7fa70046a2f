"""Cursor pagination: a page of rows after an opaque, signed cursor (the last id seen), never an offset — a list that
grows while a client reads it neither repeats nor skips a row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature
from itsdangerous import URLSafeSerializer
from sqlalchemy import Select

from app.database import MAX_ID
from app.database import db
from app.errors import ConsiliumError


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def _serializer(kind: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"api-cursor:{kind}")


def after(kind: str, cursor: str | None) -> int:
    """The id a cursor of this list points past (0 for the first page); a cursor of another list, or made up, is refused."""
    if not cursor:
        return 0
    try:
        last = _serializer(kind).loads(cursor)
    except BadSignature:
        last = None
    if not isinstance(last, int) or isinstance(last, bool) or not 0 < last <= MAX_ID:
        raise ConsiliumError(_("This cursor is not one this list gave: start from the first page (no cursor)."))
    return last


def page(kind: str, query: Select[Any], id_column: Any, cursor: str | None, limit: int) -> Page:
    """The rows of ``query`` after the cursor, by id, and the cursor of the next page (None on the last)."""
    rows = list(db.session.scalars(query.where(id_column > after(kind, cursor)).order_by(id_column).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, _serializer(kind).dumps(rows[-1].id) if more and rows else None)
