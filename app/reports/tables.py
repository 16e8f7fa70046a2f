"""A report as tables: the page shows them (exact numbers, inside the ERN), the downloads and the yearly PDF carry
them with small-cell suppression (they leave the ERN).

Suppression: a count from 1 to the threshold minus one becomes "< threshold" (0 stays 0: it reveals no one); the
minutes of a centre with few contributions, and times or rates measured on fewer values than the threshold, are
left out the same way, as they describe those few cases. So that no hidden count can be worked out by subtraction
from a total shown elsewhere, a breakdown with exactly one hidden count hides its next smallest count too ("hidden"),
a country's figures are hidden where one of its centres' are, and a rate is hidden where one of its parts is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from app.reports.queries import Durations
from app.reports.queries import Report

Cell = Any


@dataclass(frozen=True)
class Section:
    """One table of a report: a key (its anchor and sheet), a title, column names, rows; ``chart`` names the column
    (by position) drawn as bars, None for no chart."""

    key: str
    title: str
    header: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    chart: int | None = None


def reasons() -> dict[str, str]:
    return {
        "advice_given": _("Advice given"),
        "insufficient_data": _("Insufficient data"),
        "withdrawn": _("Withdrawn"),
        "duplicate": _("Duplicate"),
        "other": _("Other"),
    }


def phases() -> dict[str, str]:
    return {
        "creation": _("Panel in creation"),
        "selection": _("Panel selection"),
        "assessment": _("Panel in progress"),
        "review": _("Outcome in review"),
        "signed": _("Outcome signed off"),
        "closed": _("Closed"),
    }


def milestones() -> dict[str, str]:
    return {"first_contribution": _("To first contribution"), "signed": _("To outcome sign-off"), "closed": _("To closing")}


class Cells:
    """How numbers are written: exact, or suppressed below the threshold."""

    def __init__(self, threshold: int, suppress: bool) -> None:
        self.threshold = threshold
        self.suppress = suppress

    def small(self, count: int) -> bool:
        return self.suppress and 0 < count < self.threshold

    def count(self, value: int) -> Cell:
        return f"< {self.threshold}" if self.small(value) else value

    def hidden(self) -> str:
        return f"< {self.threshold}"

    def withheld(self) -> str:
        """A count hidden only so that a hidden one cannot be worked out from a total (secondary suppression)."""
        return _("hidden")

    def protect(self, rows: list[tuple[Cell, ...]], column: int, tied: tuple[int, ...] = ()) -> list[tuple[Cell, ...]]:
        """Secondary suppression of one column of a breakdown: with exactly one count hidden, hide the smallest other
        positive count too (and the ``tied`` columns of its row, e.g. its minutes)."""
        if not self.suppress or sum(1 for row in rows if row[column] == self.hidden()) != 1:
            return rows
        shown = [(row[column], index) for index, row in enumerate(rows) if isinstance(row[column], int) and row[column] > 0]
        if not shown:
            return rows
        _smallest, index = min(shown)
        row = list(rows[index])
        for position in (column, *tied):
            row[position] = self.withheld()
        return [*rows[:index], tuple(row), *rows[index + 1 :]]

    def measured(self, value: float | None, over: int) -> Cell:
        """A time or rate measured over ``over`` values: rounded, or suppressed when they are few."""
        if value is None:
            return ""
        if self.small(over):
            return self.hidden()
        return round(value, 1)


def sections(result: Report, *, suppress: bool) -> list[Section]:
    """The report's tables; with ``suppress``, small counts as "< n" (for what leaves the ERN)."""
    cells = Cells(result.threshold, suppress)
    return [
        panels_section(result, cells),
        closed_section(result, cells),
        open_section(result, cells),
        times_section(result, cells),
        urgent_section(result, cells),
        invitations_section(result, cells),
        centres_section(result, cells),
        experts_section(result, cells),
        countries_section(result, cells),
        queue_section(result, cells),
        accounts_section(result, cells),
        diagnoses_section(result, cells),
        follow_up_section(result, cells),
    ]


def panels_section(result: Report, cells: Cells) -> Section:
    return Section(
        "panels",
        _("Panels"),
        (_("Measure"), _("Panels")),
        [
            (_("Opened in the period"), cells.count(result.opened)),
            (_("Closed in the period"), cells.count(result.closed)),
            (_("Open now"), cells.count(result.open_now)),
        ],
        chart=1,
    )


def closed_section(result: Report, cells: Cells) -> Section:
    labels = reasons()
    rows = [(labels.get(reason, reason), cells.count(n)) for reason, n in sorted(result.closed_by_reason.items())]
    rows = cells.protect(rows, 1)
    return Section("closed", _("Panels closed, by closing reason"), (_("Closing reason"), _("Panels")), rows, chart=1)


def open_section(result: Report, cells: Cells) -> Section:
    labels = phases()
    rows = cells.protect([(labels.get(phase, phase), cells.count(n)) for phase, n in result.open_by_phase.items()], 1)
    return Section("open", _("Panels open now, by phase"), (_("Phase"), _("Panels")), rows, chart=1)


def _times_rows(times: dict[str, Durations], cells: Cells) -> list[tuple[Cell, ...]]:
    labels = milestones()
    return [
        (labels[name], cells.count(d.count), cells.measured(d.median, d.count), cells.measured(d.p90, d.count)) for name, d in times.items()
    ]


def times_section(result: Report, cells: Cells) -> Section:
    header = (_("From opening"), _("Panels"), _("Median (hours)"), _("90th percentile (hours)"))
    return Section("times", _("Time to advice (panels opened in the period)"), header, _times_rows(result.times, cells), chart=2)


def urgent_section(result: Report, cells: Cells) -> Section:
    header = (_("From opening"), _("Urgent panels"), _("Median (hours)"), _("90th percentile (hours)"))
    rows = [(_("Urgent panels opened in the period"), cells.count(result.urgent_opened), "", ""), *_times_rows(result.urgent_times, cells)]
    return Section("urgent", _("Urgent panels"), header, rows)


def invitations_section(result: Report, cells: Cells) -> Section:
    labels = {
        "sent": _("Sent"),
        "accepted": _("Accepted"),
        "declined": _("Declined"),
        "expired": _("Expired"),
        "withdrawn": _("Withdrawn"),
        "invited": _("Not answered yet"),
    }
    sent = [(labels["sent"], cells.count(result.invitations.get("sent", 0)))]
    answers = [(labels[key], cells.count(n)) for key, n in result.invitations.items() if key != "sent"]
    rows = sent + cells.protect(answers, 1)
    return Section("invitations", _("Invitations sent in the period"), (_("Invitations"), _("Number")), rows, chart=1)


def centres_section(result: Report, cells: Cells) -> Section:
    rows = [
        (
            f"{c.code} - {c.name}" if c.code else _("No centre in this ERN"),
            c.country,
            cells.count(c.contributions),
            cells.hidden() if cells.small(c.contributions) else c.minutes,
        )
        for c in result.centres
    ]
    rows = cells.protect(rows, 2, tied=(3,))
    header = (_("Centre"), _("Country"), _("Contributions"), _("Minutes spent"))
    return Section("centres", _("Contributions by centre"), header, rows, chart=2)


def experts_section(result: Report, cells: Cells) -> Section:
    rows = [
        (e.name, e.centre or "-", cells.count(e.contributions), cells.hidden() if cells.small(e.contributions) else e.minutes)
        for e in result.experts
    ]
    rows = cells.protect(rows, 2, tied=(3,))
    header = (_("Expert"), _("Centre"), _("Contributions"), _("Minutes spent"))
    return Section("experts", _("Contributions by expert"), header, rows)


def countries_section(result: Report, cells: Cells) -> Section:
    with_hidden_centre = {c.country for c in result.centres if cells.small(c.contributions)}
    rows: list[tuple[Cell, ...]] = []
    for country, n, minutes in result.countries:
        if cells.small(n):
            rows.append((country or "-", cells.hidden(), cells.hidden()))
        elif country in with_hidden_centre:  # the country less its shown centres would give the hidden one back
            rows.append((country or "-", cells.withheld(), cells.withheld()))
        else:
            rows.append((country or "-", n, minutes))
    rows = cells.protect(rows, 1, tied=(2,))
    return Section("countries", _("Contributions by country"), (_("Country"), _("Contributions"), _("Minutes spent")), rows, chart=1)


def queue_section(result: Report, cells: Cells) -> Section:
    q = result.queue
    share = q.within / q.completed * 100 if q.completed else None
    rows = [
        (_("Tasks completed in the period with a service level"), cells.count(q.completed)),
        (_("Of which within their service level"), cells.count(q.within)),
        (_("Within their service level (%)"), cells.hidden() if cells.small(q.within) else cells.measured(share, q.completed)),
        (_("Open tasks now"), cells.count(q.open_now)),
        (_("Open tasks overdue now"), cells.count(q.overdue_now)),
    ]
    return Section("queue", _("Service level of the queue"), (_("Measure"), _("Value")), rows)


def accounts_section(result: Report, cells: Cells) -> Section:
    labels = {"waiting": _("Waiting"), "approved": _("Approved"), "rejected": _("Rejected")}
    rows: list[tuple[Cell, ...]] = [(labels.get(s, s), cells.count(n)) for s, n in sorted(result.account_requests.items())]
    a = result.approval
    rows.append((_("Median time to approval (hours)"), cells.measured(a.median, a.count)))
    rows.append((_("90th percentile time to approval (hours)"), cells.measured(a.p90, a.count)))
    return Section("accounts", _("Account requests made in the period"), (_("Requests"), _("Value")), rows)


def diagnoses_section(result: Report, cells: Cells) -> Section:
    rows = cells.protect([(code or _("No coded diagnosis"), label, cells.count(n)) for code, label, n in result.diagnoses], 2)
    header = (_("Code"), _("Diagnosis"), _("Panels"))
    return Section("diagnoses", _("Cases by diagnosis (ORPHA or ICD-10 code)"), header, rows, chart=2)


def follow_up_section(result: Report, cells: Cells) -> Section:
    advice = {"fully": _("Advice followed fully"), "partly": _("Advice followed partly"), "not": _("Advice not followed")}
    diagnosis = {"confirmed": _("Diagnosis confirmed"), "changed": _("Diagnosis changed"), "unknown": _("Diagnosis not known")}
    rows: list[tuple[Cell, ...]] = cells.protect([(advice[k], cells.count(n)) for k, n in result.advice_followed.items()], 1)
    rows += cells.protect([(diagnosis[k], cells.count(n)) for k, n in result.diagnosis_follow_up.items()], 1)
    known = result.diagnosis_follow_up.get("confirmed", 0) + result.diagnosis_follow_up.get("changed", 0)
    rate: Callable[[float | None], float | None] = lambda r: None if r is None else r * 100  # noqa: E731
    # A rate gives a hidden part back from the shown ones: it is hidden where any of its parts is small.
    advice_parts = [result.advice_followed.get(k, 0) for k in ("fully", "partly", "not")]
    diagnosis_parts = [result.diagnosis_follow_up.get(k, 0) for k in ("confirmed", "changed")]
    advice_rate = cells.measured(rate(result.advice_followed_rate), result.follow_up_answers)
    diagnosis_rate = cells.measured(rate(result.diagnosis_changed_rate), known)
    rows.append((_("Advice followed rate (%)"), cells.hidden() if any(map(cells.small, advice_parts)) else advice_rate))
    rows.append((_("Diagnosis changed rate (%)"), cells.hidden() if any(map(cells.small, diagnosis_parts)) else diagnosis_rate))
    return Section("follow_up", _("Follow-up answers given in the period"), (_("Answer"), _("Value")), rows)


LONG_HEADER_KEYS = ("section", "row", "column", "value")


def long_header() -> tuple[str, ...]:
    return (_("Table"), _("Row"), _("Column"), _("Value"))


def long_rows(found: list[Section]) -> list[tuple[Cell, ...]]:
    """All tables as one, a line per cell: table, row, column, value (the CSV)."""
    return [
        (section.title, row[0], section.header[position], value)
        for section in found
        for row in section.rows
        for position, value in enumerate(row[1:], start=1)
    ]
