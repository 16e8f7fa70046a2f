"""An ERN's open tasks grouped by the queue's choice columns: grouped once per change, not once per request.

Grouping an ERN's ≈ 2,000 open tasks costs more than the rest of the queue page, and the groups change only
when one of those tasks does, or when one falls due. So every request reads the ERN's fingerprint from a
narrow index (how many tasks, and the sums of their revisions, which the database sets anew on every write:
see the open_tasks triggers), and the groups are grouped again only when the fingerprint differs from the
one they were grouped under or the clock has crossed a due date since. Each app process keeps its own copy
per ERN; revisions are random, so a fingerprint read inside a transaction that is then rolled back does not
come back.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from functools import cache
from typing import Any
from typing import TypeVar
from typing import cast

from flask import current_app
from sqlalchemy import Integer
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import case
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import select

from app.database import UtcDateTime
from app.database import db
from app.organisations.models import Centre
from app.organisations.models import ThematicArea
from app.tasks.models import DUE
from app.tasks.models import OpenTask

T = TypeVar("T")
_TASKS = OpenTask.__table__.c
# The parameters every queue statement takes (the groups' and the page's): the ERN and the time asked for.
NOW = bindparam("now", type_=UtcDateTime())
ERN = bindparam("ern_id", type_=Integer())
_HALF = 2**31  # revisions have 62 bits: summed in two halves, so that no sum overflows 64 bits
_MISSING = object()
_DERIVED_KEPT = 64  # results derived from one ERN's groups (a few per filter a coordinator uses), at most


@dataclass(frozen=True, slots=True)
class Grouped:
    fingerprint: tuple[Any, ...]
    latest_passed: datetime | None  # the latest due date already passed when grouped
    earliest_ahead: datetime | None  # the earliest one not yet passed
    groups: Sequence[Any]
    derived: dict[Any, Any] = field(default_factory=dict)

    def derive(self, key: Any, compute: Callable[[Sequence[Any]], T]) -> T:
        """``compute(groups)``, kept under ``key`` as long as the groups are (callers must not change it)."""
        kept = self.derived.get(key, _MISSING)  # one look-up: another thread may clear the dict between two
        if kept is not _MISSING:
            return cast(T, kept)
        if len(self.derived) >= _DERIVED_KEPT:
            self.derived.clear()
        value = self.derived[key] = compute(self.groups)
        return value

    def holds_at(self, now: datetime) -> bool:
        """The same tasks are overdue at ``now`` as when grouped: no due date lies between the two times."""
        return (self.latest_passed is None or self.latest_passed < now) and (self.earliest_ahead is None or now <= self.earliest_ahead)


def of_ern(ern_id: int, now: datetime) -> Grouped:
    """The ERN's groups (columns of ``statement()``; ``positions()`` says where each is) as they are at ``now``."""
    # Read before the groups: a change committed in between is in the groups but not in the fingerprint they are
    # kept under, so the next request groups again (never the other way round).
    fingerprint = tuple(db.session.execute(_fingerprint_statement(), {"ern_id": ern_id}).one())
    grouped: dict[int, Grouped] = current_app.extensions.setdefault("queue_groups", {})
    kept = grouped.get(ern_id)
    if kept is not None and kept.fingerprint == fingerprint and kept.holds_at(now):
        return kept
    groups = db.session.execute(statement(), {"ern_id": ern_id, "now": now}).all()
    due = db.session.execute(_due_either_side(), {"ern_id": ern_id, "now": now}).one()
    kept = grouped[ern_id] = Grouped(fingerprint, due[0], due[1], groups)
    return kept


@cache
def _fingerprint_statement() -> Select[Any]:
    return select(func.count(), func.sum(_TASKS.revision % _HALF), func.sum(_TASKS.revision // _HALF)).where(_TASKS.ern_id == ERN)


@cache
def _due_either_side() -> Select[Any]:
    """The latest due date already passed and the earliest ahead, each found in ix_open_tasks_due."""
    dated = and_(_TASKS.ern_id == ERN, DUE.is_(None) == false())
    return select(
        select(DUE).where(dated, DUE < NOW).order_by(DUE.desc()).limit(1).scalar_subquery(),
        select(DUE).where(dated, DUE >= NOW).order_by(DUE).limit(1).scalar_subquery(),
    )


@cache
def statement() -> Select[Any]:
    """The ERN's open tasks grouped by the choice columns (in the queue index's order, so SQL need not sort):
    how many there are, how many unassigned, overdue, and both; with the names of centres and areas."""
    key = (_TASKS.centre_id, _TASKS.role, _TASKS.process_id, _TASKS.name, _TASKS.label, _TASKS.thematic_area_id)
    unassigned, overdue = _TASKS.assignee_id.is_(None), DUE < NOW
    groups = (
        select(
            *key,
            func.count().label("tasks"),
            func.sum(case((unassigned, 1), else_=0)).label("unassigned"),
            func.sum(case((overdue, 1), else_=0)).label("overdue"),
            func.sum(case((and_(unassigned, overdue), 1), else_=0)).label("overdue_unassigned"),
        )
        .where(_TASKS.ern_id == ERN)
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
def positions() -> dict[str, int]:
    """Where each named column is in a group's row (rows are read by position: ≈ 300 of them per page)."""
    return {name: position for position, name in enumerate(statement().selected_columns.keys())}
