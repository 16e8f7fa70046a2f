"""The coordinator's queue: every open task of an ERN, pseudonymised, filtered, sorted, counted per column.

Four queries whatever the number of tasks: the tasks grouped by the four choice columns at once
(the total and each column's counts are summed from those few groups), the overdue count, the
page's ids (the queue index), and the page's rows as plain columns.
"""

from __future__ import annotations

from collections import Counter
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

from app.accounts.models import User
from app.database import db
from app.organisations.models import Centre
from app.organisations.models import ThematicArea
from app.panels.models import Panel
from app.panels.models import title_of
from app.tasks.models import OpenTask

DUE = func.coalesce(OpenTask.due_at, OpenTask.sla_due_at)
SORTS: dict[str, Any] = {
    "due": DUE,
    "age": OpenTask.created_at,
    "task": OpenTask.name,
    "process": OpenTask.process_id,
    "centre": OpenTask.centre_id,
}
_IN_PANEL = and_(OpenTask.subject_type == "panel", Panel.id == OpenTask.subject_id)


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
    engine_task_id: str
    process_id: str
    label: str
    role: str
    subject: str  # pseudonymised: "#12 amber fox", "patient #3", "account request"
    area: str
    centre: str
    assignee_id: int | None
    assignee: str
    created_at: datetime
    due: datetime | None
    overdue: bool


@dataclass
class Queue:
    rows: list[Row]
    page: int
    pages: int
    total: int
    counts: dict[str, list[tuple[Any, str, int]]] = field(default_factory=dict)  # column → (value, label, count)


@dataclass(frozen=True)
class _Group:
    """Open tasks alike in the four choice columns, and how many there are."""

    process: str
    task: str
    task_label: str
    centre_id: int | None
    centre: str
    area_id: int | None
    area: str
    count: int

    def matches(self, filters: Filters, *, but: str = "") -> bool:
        """Whether these tasks pass the filters, leaving out the one named by ``but``."""
        return (
            (but == "process" or not filters.process or self.process == filters.process)
            and (but == "task" or not filters.task or self.task == filters.task)
            and (but == "centre" or not filters.centre_id or self.centre_id == filters.centre_id)
            and (but == "area" or not filters.area_id or self.area_id == filters.area_id)
        )


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

    The page's ids are chosen from open_tasks alone (its index), then only those rows are read with their joins.
    """
    groups = _groups(ern_id, filters, now)
    total = sum(group.count for group in groups if group.matches(filters))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    column = SORTS.get(sort, DUE)
    order = column.desc() if descending else column.asc()
    ids = list(
        db.session.scalars(
            select(OpenTask.id)
            .where(*_conditions(ern_id, filters, now))
            .order_by(case((DUE < now, 0), else_=1), column.is_(None), order, OpenTask.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    counts = _counts(groups, filters)
    overdue = (
        total
        if filters.overdue
        else db.session.scalar(select(func.count()).select_from(OpenTask).where(*_conditions(ern_id, replace(filters, overdue=True), now)))
    )
    counts["overdue"] = [(True, "overdue", overdue or 0)]
    return Queue(rows=_rows(ids, now), page=page, pages=pages, total=total, counts=counts)


def _groups(ern_id: int, filters: Filters, now: datetime) -> list[_Group]:
    """The ERN's open tasks that pass the check-box filters, grouped by the choice columns, with the names of
    centres and areas."""
    query = (
        select(
            OpenTask.process_id,
            OpenTask.name,
            func.max(OpenTask.label),
            OpenTask.centre_id,
            func.max(Centre.code),
            Panel.thematic_area_id,
            func.max(ThematicArea.name),
            func.count(),
        )
        .select_from(OpenTask)
        .outerjoin(Panel, _IN_PANEL)
        .outerjoin(ThematicArea, ThematicArea.id == Panel.thematic_area_id)
        .outerjoin(Centre, Centre.id == OpenTask.centre_id)
        .where(*_conditions(ern_id, Filters(overdue=filters.overdue, unassigned=filters.unassigned), now))
        .group_by(OpenTask.process_id, OpenTask.name, OpenTask.centre_id, Panel.thematic_area_id)
    )
    return [
        _Group(process or "", name, label or name, centre_id, centre or "", area_id, area or "", count)
        for process, name, label, centre_id, centre, area_id, area, count in db.session.execute(query)
    ]


def _counts(groups: list[_Group], filters: Filters) -> dict[str, list[tuple[Any, str, int]]]:
    """How many tasks each value of a column has, within the other filters; most first."""

    def column(name: str, value: Any, label: Any) -> list[tuple[Any, str, int]]:
        counted: Counter[Any] = Counter()
        labels: dict[Any, str] = {}
        for group in groups:
            key = value(group)
            if key in (None, "") or not group.matches(filters, but=name):
                continue
            counted[key] += group.count
            labels[key] = label(group)
        return [(key, labels[key], number) for key, number in counted.most_common()]

    return {
        "process": column("process", lambda g: g.process, lambda g: g.process),
        "task": column("task", lambda g: g.task, lambda g: g.task_label),
        "centre": column("centre", lambda g: g.centre_id, lambda g: g.centre or str(g.centre_id)),
        "area": column("area", lambda g: g.area_id, lambda g: g.area),
    }


_ROW_COLUMNS = (
    OpenTask.id,
    OpenTask.engine_task_id,
    OpenTask.process_id,
    OpenTask.label,
    OpenTask.role,
    OpenTask.subject_type,
    OpenTask.subject_id,
    OpenTask.assignee_id,
    OpenTask.created_at,
    DUE,
    Panel.id,
    Panel.nickname,
    ThematicArea.name,
    Centre.code,
    User.first_name,
    User.last_name,
)


def _rows(ids: list[int], now: datetime) -> list[Row]:
    """The rows of these open tasks, in this order, as plain columns (no ORM objects)."""
    if not ids:
        return []
    query = (
        select(*_ROW_COLUMNS)
        .select_from(OpenTask)
        .outerjoin(Panel, _IN_PANEL)
        .outerjoin(ThematicArea, ThematicArea.id == Panel.thematic_area_id)
        .outerjoin(Centre, Centre.id == OpenTask.centre_id)
        .outerjoin(User, User.id == OpenTask.assignee_id)
        .where(OpenTask.id.in_(ids))
    )
    found = {row[0]: row for row in db.session.execute(query)}
    return [_row(found[task_id], now) for task_id in ids if task_id in found]


def _row(columns: Any, now: datetime, assignee: str | None = None) -> Row:
    _id, engine_id, process, label, role, subject_type, subject_id, assignee_id, created, due = columns[:10]
    panel_id, nickname, area, centre = columns[10:14]
    if assignee is None:
        assignee = f"{columns[14]} {columns[15]}" if assignee_id else ""
    return Row(
        engine_id,
        process,
        label,
        role,
        _subject(subject_type, subject_id, panel_id, nickname),
        area or "",
        centre or "",
        assignee_id,
        assignee,
        created,
        due,
        bool(due and due < now),
    )


def _subject(subject_type: str, subject_id: int | None, panel_id: int | None, nickname: str | None) -> str:
    if panel_id is not None:
        return title_of(panel_id, nickname)
    if subject_type == "patient":
        return f"patient #{subject_id}" if subject_id else "enrolment"
    return subject_type.replace("_", " ")


def my_tasks(user: User, condition: ColumnElement[bool], now: datetime, limit: int = 200) -> list[Row]:
    """The user's open tasks across panels and processes, overdue first, then by due date and age."""
    query = (
        select(*_ROW_COLUMNS[:14])
        .select_from(OpenTask)
        .outerjoin(Panel, _IN_PANEL)
        .outerjoin(ThematicArea, ThematicArea.id == Panel.thematic_area_id)
        .outerjoin(Centre, Centre.id == OpenTask.centre_id)
        .where(condition)
        .order_by(case((DUE < now, 0), else_=1), DUE.is_(None), DUE, OpenTask.created_at, OpenTask.id)
        .limit(limit)
    )
    return [_row(columns, now, assignee=user.full_name) for columns in db.session.execute(query)]
