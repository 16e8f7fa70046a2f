"""Reads of one person's contributions: the panels they advised on, when, and the time it took."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.panels.models import Contribution
from app.panels.models import Panel


@dataclass(frozen=True)
class ContributionLine:
    """One contribution, named by its panel's number and nickname only."""

    panel_id: int
    nickname: str
    at: datetime
    minutes: int


@dataclass(frozen=True)
class YearTotal:
    year: int
    contributions: int
    panels: int
    minutes: int


def contributions_of(user: User, start: date | None = None, end: date | None = None) -> list[ContributionLine]:
    """The user's contributions, oldest first; from ``start`` to ``end`` included (UTC days) when given."""
    query = (
        select(Contribution.panel_id, Panel.nickname, Contribution.created_at, Contribution.minutes_spent)
        .join(Panel, Panel.id == Contribution.panel_id)
        .where(Contribution.author_id == user.id)
    )
    if start is not None:
        query = query.where(Contribution.created_at >= datetime.combine(start, time(), UTC))
    if end is not None:
        query = query.where(Contribution.created_at < datetime.combine(end + timedelta(days=1), time(), UTC))
    rows = db.session.execute(query.order_by(Contribution.created_at, Contribution.id))
    return [ContributionLine(panel_id, nickname, at, minutes or 0) for panel_id, nickname, at, minutes in rows]


def totals_per_year(lines: list[ContributionLine]) -> list[YearTotal]:
    """Contributions, distinct panels and minutes for each year that has any, newest year first."""
    years = sorted({line.at.year for line in lines}, reverse=True)
    totals = []
    for year in years:
        of_year = [line for line in lines if line.at.year == year]
        totals.append(YearTotal(year, len(of_year), len({line.panel_id for line in of_year}), sum(line.minutes for line in of_year)))
    return totals
