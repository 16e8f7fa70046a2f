"""One page of an ordered query, with the counts a pager needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select

from app.database import db


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    pages: int
    total: int
    per_page: int


def paginate_in_one_query(query: Select[Any], *, page: int, per_page: int) -> Page:
    """As ``paginate``, with the total counted by a window function in the same query: one pass
    over the matching rows instead of two (a second query only for a page past the end)."""
    page = max(1, page)
    rows = db.session.execute(query.add_columns(func.count().over()).limit(per_page).offset((page - 1) * per_page)).all()
    if not rows and page > 1:
        return paginate(query, page=page, per_page=per_page)
    total = int(rows[0][-1]) if rows else 0
    one_entity = len(query.column_descriptions) == 1
    items = [row[0] if one_entity else row for row in rows]  # rows of a column select keep their named columns
    return Page(items, page, max(1, -(-total // per_page)), total, per_page)


def paginate(query: Select[Any], *, page: int, per_page: int) -> Page:
    """Page ``page`` (clamped to the pages there are) of an already ordered query."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, page, pages, total, per_page)
