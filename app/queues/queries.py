"""The coordinator's queue: every open task of an ERN, pseudonymised, filtered, sorted, counted per column.

A fixed number of queries whatever the number of tasks: the page (one query with its joins), its
total, and one grouped count per filter column.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.database import db
from app.organisations.models import Centre
from app.organisations.models import ThematicArea
from app.panels.models import Panel
from app.tasks.models import OpenTask

DUE = func.coalesce(OpenTask.due_at, OpenTask.sla_due_at)
SORTS: dict[str, Any] = {
    "due": DUE,
    "age": OpenTask.created_at,
    "task": OpenTask.name,
    "process": OpenTask.process_id,
    "centre": OpenTask.centre_id,
}


@dataclass(frozen=True)
class Filters:
    process: str = ""
    task: str = ""
    centre_id: int | None = None
    area_id: int | None = None
    overdue: bool = False
    unassigned: bool = False


@dataclass(frozen=True)
class Row:
    task: OpenTask
    process_id: str
    subject: str  # pseudonymised: "#12 amber fox", "patient #3", "account request"
    area: str
    centre: str
    assignee: str
    due: datetime | None
    overdue: bool


@dataclass
class Queue:
    rows: list[Row]
    page: int
    pages: int
    total: int
    counts: dict[str, list[tuple[Any, str, int]]] = field(default_factory=dict)  # column → (value, label, count)


def _conditions(ern_id: int, filters: Filters, now: datetime) -> list[ColumnElement[bool]]:
    """Conditions on open_tasks alone (the queue index covers them), the area through the panel."""
    conditions: list[ColumnElement[bool]] = [OpenTask.ern_id == ern_id]
    if filters.process:
        conditions.append(OpenTask.process_id == filters.process)
    if filters.task:
        conditions.append(OpenTask.name == filters.task)
    if filters.centre_id:
        conditions.append(OpenTask.centre_id == filters.centre_id)
    if filters.area_id:
        in_area = select(Panel.id).where(Panel.thematic_area_id == filters.area_id, Panel.ern_id == ern_id)
        conditions.append(and_(OpenTask.subject_type == "panel", OpenTask.subject_id.in_(in_area)))
    if filters.overdue:
        conditions.append(DUE < now)
    if filters.unassigned:
        conditions.append(OpenTask.assignee_id.is_(None))
    return conditions


def queue(
    ern_id: int, filters: Filters, now: datetime, *, sort: str = "due", descending: bool = False, page: int = 1, per_page: int = 25
) -> Queue:
    """One page of the ERN's open tasks, overdue first, then by the chosen column.

    The page's ids are chosen from open_tasks alone (its index), then only those rows are loaded with their joins.
    """
    conditions = _conditions(ern_id, filters, now)
    column = SORTS.get(sort, DUE)
    order = column.desc() if descending else column.asc()
    total = db.session.scalar(select(func.count()).select_from(OpenTask).where(*conditions)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    ids = list(
        db.session.scalars(
            select(OpenTask.id)
            .where(*conditions)
            .order_by(case((DUE < now, 0), else_=1), column.is_(None), order, OpenTask.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    assignee = aliased(User)
    loaded = (
        {
            task.id: (task, panel, area, centre, user)
            for task, panel, area, centre, user in db.session.execute(
                select(OpenTask, Panel, ThematicArea.name, Centre.code, assignee)
                .outerjoin(Panel, and_(OpenTask.subject_type == "panel", Panel.id == OpenTask.subject_id))
                .outerjoin(ThematicArea, ThematicArea.id == Panel.thematic_area_id)
                .outerjoin(Centre, Centre.id == OpenTask.centre_id)
                .outerjoin(assignee, assignee.id == OpenTask.assignee_id)
                .where(OpenTask.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    rows = []
    for task_id in ids:
        task, panel, area, centre, user = loaded[task_id]
        due = task.due_at or task.sla_due_at
        rows.append(
            Row(
                task,
                task.process_id,
                _subject(task, panel),
                area or "",
                centre or "",
                user.full_name if user else "",
                due,
                bool(due and due < now),
            )
        )
    return Queue(rows=rows, page=page, pages=pages, total=total, counts=_counts(ern_id, filters, now))


def _subject(task: OpenTask, panel: Panel | None) -> str:
    if panel is not None:
        return panel.title
    if task.subject_type == "patient":
        return f"patient #{task.subject_id}" if task.subject_id else "enrolment"
    return task.subject_type.replace("_", " ")


def _grouped(key: Any, conditions: list[ColumnElement[bool]], label: Any = None) -> list[tuple[Any, str, int]]:
    query = select(key, key if label is None else label, func.count()).select_from(OpenTask).where(*conditions).group_by(key)
    rows = db.session.execute(query.order_by(func.count().desc()))
    return [(value, str(text), number) for value, text, number in rows if value not in (None, "")]


def _counts(ern_id: int, filters: Filters, now: datetime) -> dict[str, list[tuple[Any, str, int]]]:
    """How many tasks each value of a column has, within the other filters (one grouped query per column).

    Grouped on open_tasks alone; names of centres and areas are looked up for the few groups there are.
    """

    def others(**cleared: Any) -> list[ColumnElement[bool]]:
        return _conditions(ern_id, replace(filters, **cleared), now)

    counts = {
        "process": _grouped(OpenTask.process_id, others(process="")),
        "task": _grouped(OpenTask.name, others(task=""), label=func.max(OpenTask.label)),
        "centre": _grouped(OpenTask.centre_id, others(centre_id=None)),
    }
    codes = dict(db.session.execute(select(Centre.id, Centre.code).where(Centre.id.in_([c for c, _l, _n in counts["centre"]]))).all())
    counts["centre"] = [(centre, str(codes.get(centre, centre)), number) for centre, _label, number in counts["centre"]]
    area_query = (
        select(Panel.thematic_area_id, func.max(ThematicArea.name), func.count())
        .select_from(OpenTask)
        .join(Panel, and_(OpenTask.subject_type == "panel", Panel.id == OpenTask.subject_id))
        .join(ThematicArea, ThematicArea.id == Panel.thematic_area_id)
        .where(*others(area_id=None))
        .group_by(Panel.thematic_area_id)
        .order_by(func.count().desc())
    )
    counts["area"] = [(area, str(name), number) for area, name, number in db.session.execute(area_query)]
    overdue = db.session.scalar(select(func.count()).select_from(OpenTask).where(*others(overdue=True))) or 0
    counts["overdue"] = [(True, "overdue", overdue)]
    return counts


def my_tasks(user: User, condition: ColumnElement[bool], now: datetime, limit: int = 200) -> list[Row]:
    """The user's open tasks across panels and processes, overdue first, then by due date and age."""
    query = (
        select(OpenTask, Panel, ThematicArea.name, Centre.code)
        .outerjoin(Panel, and_(OpenTask.subject_type == "panel", Panel.id == OpenTask.subject_id))
        .outerjoin(ThematicArea, ThematicArea.id == Panel.thematic_area_id)
        .outerjoin(Centre, Centre.id == OpenTask.centre_id)
        .where(condition)
        .order_by(case((DUE < now, 0), else_=1), DUE.is_(None), DUE, OpenTask.created_at, OpenTask.id)
        .limit(limit)
    )
    rows = []
    for task, panel, area, centre in db.session.execute(query):
        due = task.due_at or task.sla_due_at
        rows.append(
            Row(task, task.process_id, _subject(task, panel), area or "", centre or "", user.full_name, due, bool(due and due < now))
        )
    return rows
