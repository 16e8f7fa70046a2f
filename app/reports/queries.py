"""The figures of a report: an ERN, one of its centres or one of its thematic areas, over a period [start, end).

Each figure is one aggregate statement (or part of one), so that a report costs the same dozen statements whether the
ERN has ten panels or ten thousand. Durations are measured in SQL (seconds between two timestamps, written per
database) and their percentiles taken in Python from one statement's per-panel values: ``percentile_cont`` exists on
PostgreSQL only, and the values are one float per panel.

What each figure counts:

- panels opened: panels of the scope created in the period; closed: closed in the period, by closing reason; open now:
  panels of the scope not closed and not archived, by phase (whatever the period);
- times (hours): for the panels opened in the period, from opening to the first contribution, to the outcome's
  sign-off and to closing, for those that got there; median and 90th percentile (linear interpolation, as
  ``percentile_cont``); the same for the urgent panels among them;
- invitations: invitations sent in the period to the scope's panels (the lead's own membership is no invitation), by
  their status now (accepted, declined, expired, withdrawn, still waiting);
- contributions: contributions written in the period to the scope's panels and the minutes their authors reported, by
  the author's centre in the panel's ERN (their first, should they have several) and that centre's country;
- queue: see ``queue_performance``;
- account requests: requests to the ERN (or to the centre) made in the period, by status now, and the time from request
  to approval of those approved;
- cases by diagnosis: the panels opened in the period by the coded diagnosis of their consultation. The shipped
  terminology gives ORPHA codes without their classification (no groups), so cases are grouped by code (ORPHA or
  ICD-10), and the panels without a coded diagnosis counted apart;
- follow-up: follow-up answers given in the period on the scope's panels (ended follow-ups without an answer are not
  counted): advice followed fully / partly / not, and whether the diagnosis was confirmed or changed; the rates are
  (fully + partly) / answered, and changed / (confirmed + changed).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select

from app.accounts.models import AccountRequest
from app.accounts.models import Membership
from app.accounts.models import User
from app.database import db
from app.ernsettings.models import ErnSettings
from app.organisations.models import Centre
from app.panels.models import Contribution
from app.panels.models import FollowUp
from app.panels.models import Outcome
from app.panels.models import Panel
from app.panels.models import PanelMember
from app.panels.models import Phase
from app.tasks.models import DUE
from app.tasks.models import OpenTask
from app.tasks.models import SlaRule
from app.workflows.models import InstanceEvent
from app.workflows.models import ProcessInstance

DEFAULT_THRESHOLD = 5
MILESTONES = ("first_contribution", "signed", "closed")
INVITATION_STATUSES = ("sent", "accepted", "declined", "expired", "withdrawn", "invited")


@dataclass(frozen=True)
class Scope:
    """What a report covers: an ERN, or one of its centres, or one of its thematic areas."""

    ern_id: int
    centre_id: int | None = None
    area_id: int | None = None

    def panels(self, model: Any = Panel) -> ColumnElement[bool]:
        """SQL condition on panels in scope."""
        conditions = [model.ern_id == self.ern_id]
        if self.centre_id is not None:
            conditions.append(model.centre_id == self.centre_id)
        if self.area_id is not None:
            conditions.append(model.thematic_area_id == self.area_id)
        return and_(*conditions)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def holds(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)


@dataclass(frozen=True)
class Durations:
    """How many values, their median and 90th percentile (hours; None without values)."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class CentreFigures:
    code: str
    name: str
    country: str
    contributions: int
    minutes: int


@dataclass(frozen=True)
class ExpertFigures:
    name: str
    centre: str  # the expert's centre code in the ERN ("" if none)
    contributions: int
    minutes: int


@dataclass(frozen=True)
class QueueFigures:
    completed: int  # user tasks completed in the period that had a service level
    within: int  # of which within it
    open_now: int
    overdue_now: int


@dataclass
class Report:
    scope: Scope
    period: Period
    threshold: int
    opened: int = 0
    closed_by_reason: dict[str, int] = field(default_factory=dict)
    open_by_phase: dict[str, int] = field(default_factory=dict)
    times: dict[str, Durations] = field(default_factory=dict)
    urgent_opened: int = 0
    urgent_times: dict[str, Durations] = field(default_factory=dict)
    invitations: dict[str, int] = field(default_factory=dict)
    centres: list[CentreFigures] = field(default_factory=list)
    experts: list[ExpertFigures] = field(default_factory=list)
    queue: QueueFigures = QueueFigures(0, 0, 0, 0)
    account_requests: dict[str, int] = field(default_factory=dict)
    approval: Durations = Durations(0, None, None)
    diagnoses: list[tuple[str, str, int]] = field(default_factory=list)  # (code, label, panels); code "" = none coded
    advice_followed: dict[str, int] = field(default_factory=dict)
    diagnosis_follow_up: dict[str, int] = field(default_factory=dict)

    @property
    def closed(self) -> int:
        return sum(self.closed_by_reason.values())

    @property
    def open_now(self) -> int:
        return sum(self.open_by_phase.values())

    @property
    def countries(self) -> list[tuple[str, int, int]]:
        """(country, contributions, minutes), most contributions first."""
        contributions: Counter[str] = Counter()
        minutes: Counter[str] = Counter()
        for centre in self.centres:
            contributions[centre.country] += centre.contributions
            minutes[centre.country] += centre.minutes
        return sorted(((c, n, minutes[c]) for c, n in contributions.items()), key=lambda row: (-row[1], row[0]))

    @property
    def follow_up_answers(self) -> int:
        return sum(self.advice_followed.values())

    @property
    def advice_followed_rate(self) -> float | None:
        answered = self.follow_up_answers
        return (self.advice_followed.get("fully", 0) + self.advice_followed.get("partly", 0)) / answered if answered else None

    @property
    def diagnosis_changed_rate(self) -> float | None:
        known = self.diagnosis_follow_up.get("confirmed", 0) + self.diagnosis_follow_up.get("changed", 0)
        return self.diagnosis_follow_up.get("changed", 0) / known if known else None


def report(scope: Scope, period: Period, now: datetime) -> Report:
    """Every figure of the scope's report over the period (a constant number of statements)."""
    result = Report(scope=scope, period=period, threshold=small_cell_threshold(scope.ern_id))
    _panel_counts(result)
    _times(result)
    _invitations(result)
    result.experts, result.centres = _contributions(scope, period)
    result.queue = queue_performance(scope, period, now)
    _account_requests(result)
    result.diagnoses = _diagnoses(scope, period)
    _follow_up(result)
    return result


def small_cell_threshold(ern_id: int) -> int:
    """Counts below this leave the ERN as "< n" (the ERN's setting)."""
    value = db.session.scalar(select(ErnSettings.small_cell_threshold).where(ErnSettings.ern_id == ern_id))
    return DEFAULT_THRESHOLD if value is None else int(value)


def seconds_between(later: Any, earlier: Any) -> ColumnElement[float]:
    """SQL: seconds from ``earlier`` to ``later`` (timestamps), on SQLite and PostgreSQL."""
    if db.session.get_bind().dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The value below which ``fraction`` of the sorted values lie, interpolated linearly (``percentile_cont``)."""
    if not values:
        return None
    position = (len(values) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def durations(seconds: Sequence[float | None]) -> Durations:
    values = sorted(float(s) / 3600 for s in seconds if s is not None)  # PostgreSQL's extract gives Decimal
    return Durations(len(values), percentile(values, 0.5), percentile(values, 0.9))


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _panel_counts(result: Report) -> None:
    scope, period = result.scope, result.period
    rows = db.session.execute(
        select(
            Panel.phase,
            Panel.archived,
            Panel.closing_reason,
            _count(period.holds(Panel.created_at)),
            _count(period.holds(Panel.closed_at)),
            func.count(),
        )
        .where(scope.panels())
        .group_by(Panel.phase, Panel.archived, Panel.closing_reason)
    ).all()
    closed: Counter[str] = Counter()
    open_now: Counter[str] = Counter()
    for phase, archived, reason, opened, closed_in_period, total in rows:
        result.opened += int(opened)
        if closed_in_period:
            closed[str(reason.value if reason else "other")] += int(closed_in_period)
        if phase != Phase.CLOSED and not archived:
            open_now[str(phase.value)] += int(total)
    result.closed_by_reason = dict(closed)
    result.open_by_phase = {phase.value: open_now[phase.value] for phase in Phase if phase != Phase.CLOSED and open_now[phase.value]}


def _times(result: Report) -> None:
    scope, period = result.scope, result.period
    first = (
        select(Contribution.panel_id.label("panel_id"), func.min(Contribution.created_at).label("at"))
        .join(Panel, Panel.id == Contribution.panel_id)
        .where(scope.panels(), period.holds(Panel.created_at))
        .group_by(Contribution.panel_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Panel.urgent,
            seconds_between(first.c.at, Panel.created_at),
            seconds_between(Outcome.signed_at, Panel.created_at),
            seconds_between(Panel.closed_at, Panel.created_at),
        )
        .outerjoin(first, first.c.panel_id == Panel.id)
        .outerjoin(Outcome, Outcome.panel_id == Panel.id)
        .where(scope.panels(), period.holds(Panel.created_at))
    ).all()
    urgent = [row for row in rows if row[0]]
    result.urgent_opened = len(urgent)
    for position, name in enumerate(MILESTONES, start=1):
        result.times[name] = durations([row[position] for row in rows])
        result.urgent_times[name] = durations([row[position] for row in urgent])


def _invitations(result: Report) -> None:
    scope, period = result.scope, result.period
    rows = db.session.execute(
        select(PanelMember.status, func.count())
        .join(Panel, Panel.id == PanelMember.panel_id)
        .where(scope.panels(), PanelMember.invited_by_id.is_not(None), period.holds(PanelMember.invited_at))
        .group_by(PanelMember.status)
    ).all()
    counts = {status.value: int(n) for status, n in rows}
    result.invitations = {"sent": sum(counts.values()), **{s: counts.get(s, 0) for s in INVITATION_STATUSES[1:]}}


def _contributions(scope: Scope, period: Period) -> tuple[list[ExpertFigures], list[CentreFigures]]:
    """Contributions and minutes per expert, and the same summed per centre (one statement)."""
    home = (
        select(Membership.user_id, Membership.ern_id, func.min(Membership.centre_id).label("centre_id"))
        .where(Membership.centre_id.is_not(None))
        .group_by(Membership.user_id, Membership.ern_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            User.first_name,
            User.last_name,
            Centre.code,
            Centre.name,
            Centre.country,
            func.count(Contribution.id),
            func.coalesce(func.sum(Contribution.minutes_spent), 0),
        )
        .select_from(Contribution)
        .join(Panel, Panel.id == Contribution.panel_id)
        .outerjoin(User, User.id == Contribution.author_id)
        .outerjoin(home, and_(home.c.user_id == Contribution.author_id, home.c.ern_id == Panel.ern_id))
        .outerjoin(Centre, Centre.id == home.c.centre_id)
        .where(scope.panels(), period.holds(Contribution.created_at))
        .group_by(Contribution.author_id, User.first_name, User.last_name, Centre.code, Centre.name, Centre.country)
    ).all()
    experts = [
        ExpertFigures(f"{first} {last}" if first else "-", code or "", int(n), int(minutes))
        for first, last, code, _name, _country, n, minutes in rows
    ]
    by_centre: dict[tuple[str, str, str], list[int]] = {}
    for _first, _last, code, name, country, n, minutes in rows:
        totals = by_centre.setdefault((code or "", name or "", country or ""), [0, 0])
        totals[0], totals[1] = totals[0] + int(n), totals[1] + int(minutes)
    centres = [CentreFigures(code, name, country, n, minutes) for (code, name, country), (n, minutes) in by_centre.items()]
    return sorted(experts, key=lambda e: (-e.contributions, e.name)), sorted(centres, key=lambda c: (-c.contributions, c.code))


def queue_performance(scope: Scope, period: Period, now: datetime) -> QueueFigures:
    """Tasks completed within their service level, and open tasks overdue now.

    A completed task leaves no row in the queue, only its completion in the instance's event log
    (``InstanceEvent`` with the engine task's id). When it became ready is not kept; it is taken to be the moment of
    the instance's last step before its completion (the latest earlier event, or the instance's start): exact for tasks that
    wait alone, later than the truth when another branch moved in between (the task then looks quicker). The service
    level is the ERN's rule for the task's name as it stands now (``SlaRule``); tasks without a rule are not counted.
    Overdue now: open tasks of the scope past their due date (the process's own deadline, else the service level).
    """
    step = InstanceEvent.__table__.alias("step")
    earlier = InstanceEvent.__table__.alias("earlier")
    before = select(func.max(earlier.c.at)).where(earlier.c.instance_id == step.c.instance_id, earlier.c.at < step.c.at).scalar_subquery()
    waited = seconds_between(step.c.at, func.coalesce(before, ProcessInstance.created_at))
    completions = (
        select(func.count(), _count(waited <= SlaRule.hours * 3600))
        .select_from(step)
        .join(ProcessInstance, ProcessInstance.id == step.c.instance_id)
        .join(SlaRule, and_(SlaRule.ern_id == scope.ern_id, SlaRule.task_name == step.c.task_name))
        .where(ProcessInstance.ern_id == scope.ern_id, step.c.engine_task_id != "", period.holds(step.c.at))
    )
    if scope.centre_id is not None:
        completions = completions.where(ProcessInstance.centre_id == scope.centre_id)
    if scope.area_id is not None:
        completions = completions.where(
            ProcessInstance.subject_type == "panel",
            ProcessInstance.subject_id.in_(select(Panel.id).where(Panel.thematic_area_id == scope.area_id)),
        )
    completed = db.session.execute(completions).one()
    tasks = select(func.count(), _count(DUE < now)).where(OpenTask.ern_id == scope.ern_id)
    if scope.centre_id is not None:
        tasks = tasks.where(OpenTask.centre_id == scope.centre_id)
    if scope.area_id is not None:
        tasks = tasks.where(OpenTask.thematic_area_id == scope.area_id)
    open_now, overdue = db.session.execute(tasks).one()
    return QueueFigures(int(completed[0]), int(completed[1]), int(open_now), int(overdue))


def _account_requests(result: Report) -> None:
    scope, period = result.scope, result.period
    query = select(AccountRequest.status, seconds_between(AccountRequest.decided_at, AccountRequest.created_at)).where(
        AccountRequest.ern_id == scope.ern_id, period.holds(AccountRequest.created_at)
    )
    if scope.centre_id is not None:
        query = query.where(AccountRequest.centre_id == scope.centre_id)
    rows = db.session.execute(query).all()
    result.account_requests = dict(Counter(str(status) for status, _ in rows))
    result.approval = durations([seconds for status, seconds in rows if status == "approved"])


def _diagnoses(scope: Scope, period: Period) -> list[tuple[str, str, int]]:
    code = func.coalesce(Panel.consultation[("diagnosis", "code")].as_string(), literal(""))
    label = func.coalesce(Panel.consultation[("diagnosis", "label")].as_string(), literal(""))
    rows = db.session.execute(
        select(code, func.max(label), func.count()).where(scope.panels(), period.holds(Panel.created_at)).group_by(code)
    ).all()
    return sorted(((str(c), str(lab), int(n)) for c, lab, n in rows), key=lambda row: (row[0] == "", -row[2], row[0]))


def _follow_up(result: Report) -> None:
    scope, period = result.scope, result.period
    rows = db.session.execute(
        select(FollowUp.advice_followed, FollowUp.diagnosis, func.count())
        .join(Panel, Panel.id == FollowUp.panel_id)
        .where(scope.panels(), period.holds(FollowUp.answered_at), FollowUp.advice_followed != "")
        .group_by(FollowUp.advice_followed, FollowUp.diagnosis)
    ).all()
    advice: Counter[str] = Counter()
    diagnosis: Counter[str] = Counter()
    for followed, diagnosed, n in rows:
        advice[followed] += int(n)
        diagnosis[diagnosed or "unknown"] += int(n)
    result.advice_followed = {key: advice[key] for key in ("fully", "partly", "not")}
    result.diagnosis_follow_up = {key: diagnosis[key] for key in ("confirmed", "changed", "unknown")}
