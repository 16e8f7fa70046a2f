"""The coordinator's queue: every open task of an ERN, pseudonymised, filtered, sorted, counted per column.

The same queries whatever the number of tasks: the ERN's tasks counted by the choice columns, with how
many of each are unassigned, overdue or both, grouped in the queue index's order on every request (so
the counts are right after any write, however it was made), from which Python sums the total, the
overdue count and each column's counts under any filters; and the page's rows, chosen from an index and
then joined. The statements are built once per shape (constructing them costs about as much as running them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Integer
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import union_all

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.database import UtcDateTime
from app.database import db
from app.i18n import catalogue_gettext
from app.organisations.models import Centre
from app.organisations.models import ThematicArea
from app.panels.models import Panel
from app.panels.models import title_of
from app.tasks.models import DUE
from app.tasks.models import OpenTask

_TASKS = OpenTask.__table__.c
# The parameters every queue statement takes (the groups' and the page's): the ERN and the time asked for.
_NOW = bindparam("now", type_=UtcDateTime())
_ERN = bindparam("ern_id", type_=Integer())
SORTS: dict[str, Any] = {
    "due": DUE,
    "age": _TASKS.created_at,
    "task": _TASKS.name,
    "process": _TASKS.process_id,
    "centre": _TASKS.centre_id,
}
_COLUMNS = ("process", "task", "centre", "area")


@dataclass(frozen=True)
class Filters:
    process: str = ""
    task: str = ""
    centre_id: int | None = None
    area_id: int | None = None
    overdue: bool = False
    unassigned: bool = False

    def chosen(self) -> tuple[Any, ...]:
        """The value chosen in each of the four choice columns (empty: any)."""
        return (self.process, self.task, self.centre_id, self.area_id)


@dataclass(slots=True)
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
    sort: str = "due"  # the column the rows are sorted by (an unknown one asked for: the due date)


def queue(
    ern_id: int, filters: Filters, now: datetime, *, sort: str = "due", descending: bool = False, page: int = 1, per_page: int = 25
) -> Queue:
    """One page of the ERN's open tasks, overdue first, then by the chosen column (an unknown one: the due date)."""
    sort = sort if sort in SORTS else "due"
    counts, total = _counted(db.session.execute(_groups_statement(), {"ern_id": ern_id, "now": now}).all(), filters)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    statement = _page_statement(tuple(bool(value) for value in filters.chosen()), filters.overdue, filters.unassigned, sort, descending)
    parameters = {
        "ern_id": ern_id,
        "now": now,
        "process": filters.process,
        "task": filters.task,
        "centre_id": filters.centre_id,
        "area_id": filters.area_id,
        "limit": per_page,
        "offset": (page - 1) * per_page,
        "reach": page * per_page,
    }
    words = _subject_words()
    rows = [_row(columns, now, words) for columns in db.session.execute(statement, parameters)]
    return Queue(rows=rows, page=page, pages=pages, total=total, counts=counts, sort=sort)


@cache
def _groups_statement() -> Select[Any]:
    """The ERN's open tasks grouped by the choice columns (in the queue index's order, so SQL need not sort):
    how many there are, how many unassigned, overdue, and both; with the names of centres and areas."""
    key = (_TASKS.centre_id, _TASKS.role, _TASKS.process_id, _TASKS.name, _TASKS.label, _TASKS.thematic_area_id)
    unassigned, overdue = _TASKS.assignee_id.is_(None), DUE < _NOW
    groups = (
        select(
            *key,
            func.count().label("tasks"),
            func.count().filter(unassigned).label("unassigned"),
            func.count().filter(overdue).label("overdue"),
            func.count().filter(and_(unassigned, overdue)).label("overdue_unassigned"),
        )
        .where(_TASKS.ern_id == _ERN)
        .group_by(*key)
        .subquery()
    )
    centres, areas = Centre.__table__.c, ThematicArea.__table__.c
    return (
        select(groups, centres.code.label("centre_code"), areas.name.label("area_name"))
        .outerjoin(Centre.__table__, centres.id == groups.c.centre_id)
        .outerjoin(ThematicArea.__table__, areas.id == groups.c.thematic_area_id)
    )


@cache
def _positions() -> dict[str, int]:
    """Where each named column is in a group's row (rows are read by position: ≈ 300 of them per page)."""
    return {name: position for position, name in enumerate(_groups_statement().selected_columns.keys())}


# Each choice column's value and label in a group's row (columns of _groups_statement()).
_VALUE_AND_LABEL = (("process_id", "process_id"), ("name", "label"), ("centre_id", "centre_code"), ("thematic_area_id", "area_name"))


def _counted(groups: Sequence[Any], filters: Filters) -> tuple[dict[str, list[tuple[Any, str, int]]], int]:
    """Each column's counts within the other filters (most first, then by label), the overdue count within all; the total."""
    at = _positions()
    measure = (
        at["overdue" if filters.overdue else "tasks"]
        if not filters.unassigned
        else at["overdue_unassigned" if filters.overdue else "unassigned"]
    )
    overdue_measure = at["overdue_unassigned" if filters.unassigned else "overdue"]
    positions = [(at[value], at[label]) for value, label in _VALUE_AND_LABEL]
    chosen = [(positions[index][0], index, value) for index, value in enumerate(filters.chosen()) if value]
    sums: list[dict[Any, int]] = [{} for _ in _COLUMNS]
    labels: list[dict[Any, str]] = [{} for _ in _COLUMNS]
    every_column = range(len(_COLUMNS))
    total = overdue = 0
    for group in groups:
        count = group[measure]
        if not count:
            continue
        failed = [index for at, index, value in chosen if group[at] != value] if chosen else ()
        if not failed:
            total += count
            overdue += group[overdue_measure]
        elif len(failed) > 1:
            continue
        for index in failed or every_column:
            value_at, label_at = positions[index]
            value = group[value_at]
            if value is None or value == "":
                continue
            column = sums[index]
            column[value] = column.get(value, 0) + count
            label = group[label_at] or ""
            if label >= labels[index].get(value, ""):  # a task named alike in two versions: one label, always the same
                labels[index][value] = label
    counts = {
        name: sorted(
            ((value, labels[index][value] or _fallback_label(name, value), number) for value, number in sums[index].items()),
            key=lambda option: (-option[2], option[1]),
        )
        for index, name in enumerate(_COLUMNS)
    }
    counts["overdue"] = [(True, "overdue", overdue)]
    return counts, total


def _fallback_label(column: str, value: Any) -> str:
    """A task without a label shows its name, a centre without a code its id (an area always has a name)."""
    return str(value) if column in ("task", "centre") else ""


def _conditions(chosen: tuple[bool, ...], overdue: bool, unassigned: bool) -> list[ColumnElement[bool]]:
    """Conditions on open_tasks alone (the queue index covers them), their values bound at execution."""
    conditions: list[ColumnElement[bool]] = [_TASKS.ern_id == _ERN]
    for column, name, is_chosen in zip(
        (_TASKS.process_id, _TASKS.name, _TASKS.centre_id, _TASKS.thematic_area_id),
        ("process", "task", "centre_id", "area_id"),
        chosen,
        strict=True,
    ):
        if is_chosen:
            conditions.append(column == bindparam(name, type_=column.type))
    if overdue:
        conditions.append(DUE < _NOW)
    if unassigned:
        conditions.append(_TASKS.assignee_id.is_(None))
    return conditions


@cache
def _page_statement(chosen: tuple[bool, ...], overdue: bool, unassigned: bool, sort: str, descending: bool) -> Select[Any]:
    """One page of tasks chosen from open_tasks alone (an index), then only those rows read with their joins.

    By due date the overdue ones come first anyway, and ix_open_tasks_due has the order. By another column,
    each of two parts, the overdue tasks and the others, is read in that column's order as far as the page
    reaches (an index on the column, such as ix_open_tasks_age, serves each), and the page is cut from the
    two: no sort of every task of the ERN, and one statement, so one view of the tasks.
    """
    column = SORTS[sort]
    if column is DUE and not descending:
        order: tuple[Any, ...] = (DUE.is_(None), DUE, _TASKS.id)
        page = _limited(select(_TASKS.id).where(*_conditions(chosen, overdue, unassigned)).order_by(*order)).subquery()
        return _joined(select(*_ROW_COLUMNS).select_from(page.join(_OPEN_TASKS, _TASKS.id == page.c.id))).order_by(*order)
    order = _by(column, _TASKS.id, descending)
    reach = bindparam("reach", type_=Integer())
    parts = [
        select(_TASKS.id, literal(part).label("part"), column.label("value"))
        .where(*_conditions(chosen, overdue, unassigned), due)
        .order_by(*order)
        .limit(reach)
        .subquery()
        .select()
        for part, due in enumerate((DUE < _NOW, or_(DUE.is_(None), DUE >= _NOW)))
    ]
    both = union_all(*parts).subquery()
    page = _limited(select(both.c.id, both.c.part).order_by(both.c.part, *_by(both.c.value, both.c.id, descending))).subquery()
    return _joined(select(*_ROW_COLUMNS).select_from(page.join(_OPEN_TASKS, _TASKS.id == page.c.id))).order_by(page.c.part, *order)


def _by(value: Any, tie: Any, descending: bool) -> tuple[Any, ...]:
    """``value`` in the chosen direction, none last, then ``tie``; no IS NULL term for a column that cannot be
    null (it would keep an index from serving the order)."""
    nulls_last = (value.is_(None),) if getattr(value, "nullable", True) else ()
    return (*nulls_last, value.desc() if descending else value.asc(), tie)


def _limited(query: Select[Any]) -> Select[Any]:
    return query.limit(bindparam("limit", type_=Integer())).offset(bindparam("offset", type_=Integer()))


_OPEN_TASKS, _PANELS, _AREAS, _CENTRES, _USERS = (model.__table__ for model in (OpenTask, Panel, ThematicArea, Centre, User))


def _joined(query: Select[Any], *, assignee: bool = True) -> Select[Any]:
    """A row's pseudonymised subject, area, centre and (with ``assignee``) assignee."""
    query = (
        query.outerjoin(_PANELS, and_(_TASKS.subject_type == "panel", _PANELS.c.id == _TASKS.subject_id))
        .outerjoin(_AREAS, _AREAS.c.id == _TASKS.thematic_area_id)
        .outerjoin(_CENTRES, _CENTRES.c.id == _TASKS.centre_id)
    )
    return query.outerjoin(_USERS, _USERS.c.id == _TASKS.assignee_id) if assignee else query


_ROW_COLUMNS = (
    _TASKS.id,
    _TASKS.engine_task_id,
    _TASKS.process_id,
    _TASKS.label,
    _TASKS.role,
    _TASKS.subject_type,
    _TASKS.subject_id,
    _TASKS.assignee_id,
    _TASKS.created_at,
    DUE,
    _PANELS.c.id,
    _PANELS.c.nickname,
    _AREAS.c.name,
    _CENTRES.c.code,
    _USERS.c.first_name,
    _USERS.c.last_name,
)


def _row(columns: Any, now: datetime, words: dict[str, str], assignee: str | None = None) -> Row:
    _id, engine_id, process, label, role, subject_type, subject_id, assignee_id, created, due = columns[:10]
    panel_id, nickname, area, centre = columns[10:14]
    if assignee is None:
        assignee = f"{columns[14]} {columns[15]}" if assignee_id else ""
    return Row(
        engine_id,
        process,
        label,
        role,
        _subject(subject_type, subject_id, panel_id, nickname, words),
        area or "",
        centre or "",
        assignee_id,
        assignee,
        created,
        due,
        bool(due and due < now),
    )


def _subject_words() -> dict[str, str]:
    """How the subjects of tasks that are not about a panel are named (translated once per page)."""
    gettext = catalogue_gettext()
    return {
        "patient": gettext("patient #%(number)s"),
        "enrolment": gettext("a patient being enrolled"),
        "account_request": gettext("an account request"),
        "transfer": gettext("a patient transfer"),
    }


def _subject(subject_type: str, subject_id: int | None, panel_id: int | None, nickname: str | None, words: dict[str, str]) -> str:
    if panel_id is not None:
        return title_of(panel_id, nickname)
    if subject_type == "patient":
        return words["patient"] % {"number": subject_id} if subject_id else words["enrolment"]
    return words.get(subject_type) or subject_type.replace("_", " ")


def my_tasks(user: User, condition: ColumnElement[bool], now: datetime, limit: int = 200) -> list[Row]:
    """The user's open tasks across panels and processes, overdue first, then by due date and age."""
    query = (
        _joined(select(*_ROW_COLUMNS[:14]).select_from(_OPEN_TASKS), assignee=False)
        .where(condition)
        .order_by(DUE.is_(None), DUE, _TASKS.created_at, _TASKS.id)
        .limit(limit)
    )
    words = _subject_words()
    return [_row(columns, now, words, assignee=user.full_name) for columns in db.session.execute(query)]


@dataclass(frozen=True)
class TaskDetails:
    """What the reassign page says about a task: what it is about, where, and since when its holder has it."""

    task: OpenTask
    subject: str  # the panel's title, or what else the task is about
    panel: Panel | None
    area: str
    centre: Centre | None
    held_since: datetime | None  # when the holder took it or was given it (None: nobody holds it)


def task_details(task: OpenTask) -> TaskDetails:
    panel = db.session.get(Panel, task.subject_id) if task.subject_type == "panel" and task.subject_id else None
    area = db.session.get(ThematicArea, task.thematic_area_id) if task.thematic_area_id else None
    held_since = None
    if task.assignee_id is not None:
        given = select(func.max(AuditEntry.at)).where(
            AuditEntry.action.in_(("task.claimed", "task.reassigned")), AuditEntry.target_id == task.engine_task_id
        )
        held_since = db.session.scalar(given) or task.created_at  # else it was the holder's from the start
    return TaskDetails(
        task=task,
        subject=_subject(
            task.subject_type, task.subject_id, panel.id if panel else None, panel.nickname if panel else None, _subject_words()
        ),
        panel=panel,
        area=area.name if area else "",
        centre=db.session.get(Centre, task.centre_id) if task.centre_id else None,
        held_since=held_since,
    )
