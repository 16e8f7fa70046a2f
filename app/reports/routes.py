"""Reports of an ERN, a centre or a thematic area over a period: pages with charts and tables, CSV and XLSX, the yearly
report as a PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from app.database import utcnow
from app.errors import InvalidInput
from app.errors import NotFound
from app.exports import Sheet
from app.exports import csv_response
from app.exports import xlsx_response
from app.i18n import today_for
from app.organisations import queries as organisation_queries
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.organisations.models import ThematicArea
from app.reports import access
from app.reports import queries
from app.reports import tables
from app.reports.charts import bar_chart
from app.reports.yearly import yearly_pdf
from app.requests import day_of
from app.security import LOGIN
from app.security import requires

bp = Blueprint("reports", __name__)


@dataclass(frozen=True)
class Choice:
    """The period and area asked for, as typed (the form shows them again) and as understood."""

    start: str
    end: str
    area: str
    period: queries.Period | None
    area_id: int | None
    error: InvalidInput | None


def _ern(code: str) -> Ern:
    ern = organisation_queries.ern_by_code(code[:40], current_user)
    if ern is None:
        raise NotFound(_("No such ERN."))
    return ern


def _centre(ern: Ern, centre_code: str) -> Centre:
    centre = organisation_queries.centre_by_code(centre_code[:40])
    if centre is None or ern not in centre.erns:
        raise NotFound(_("No such centre in this ERN."))
    return centre


def _choice(ern: Ern, *, areas: bool) -> Choice:
    """The period (from and to, yyyy-mm-dd, both included; by default the last 12 months) and thematic area asked for."""
    today = today_for(current_user)
    start_text = request.args.get("from", "").strip()[:10] or (today - timedelta(days=364)).isoformat()
    end_text = request.args.get("to", "").strip()[:10] or today.isoformat()
    area_text = request.args.get("area", "").strip()[:12] if areas else ""
    problems: dict[str, list[str]] = {}
    start = end = None
    if (start := day_of(start_text)) is None:
        problems["from"] = [_("Enter a date as yyyy-mm-dd.")]
    if (end := day_of(end_text)) is None:
        problems["to"] = [_("Enter a date as yyyy-mm-dd.")]
    if start and end and end < start:
        problems["to"] = [_("The end of the period comes before its start.")]
    area_id = None
    if area_text:
        area_id = next((a.id for a in ern.thematic_areas if str(a.id) == area_text), None)
        if area_id is None:
            problems["area"] = [_("Choose one of the ERN's thematic areas.")]
    if problems or start is None or end is None:
        error = InvalidInput(_("The report cannot be made for this choice: see below."), problems)
        return Choice(start_text, end_text, area_text, None, None, error)
    period = queries.Period(_utc(start), _utc(end + timedelta(days=1)))
    return Choice(start_text, end_text, area_text, period, area_id, None)


def _utc(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def _require(choice: Choice) -> queries.Period:
    if choice.error is not None or choice.period is None:
        raise choice.error or InvalidInput()
    return choice.period


def _charts(found: list[tables.Section]) -> dict[str, object]:
    charts = {}
    for section in found:
        if section.chart is None:
            continue
        bars = [(str(row[0]), row[section.chart]) for row in section.rows]
        charts[section.key] = bar_chart(f"chart-{section.key}", section.title, bars)
    return charts


def _page(ern: Ern, choice: Choice, centre: Centre | None, area: ThematicArea | None) -> tuple[str, int]:
    result = None
    found: list[tables.Section] = []
    if choice.period is not None:
        scope = queries.Scope(ern.id, centre.id if centre else None, choice.area_id)
        result = queries.report(scope, choice.period, utcnow())
        found = tables.sections(result, suppress=False)
    return render_template(
        "reports/report.html",
        ern=ern,
        centre=centre,
        area=area,
        choice=choice,
        result=result,
        sections=found,
        charts=_charts(found),
        error=choice.error,
        errors=choice.error.field_errors if choice.error else {},
    ), 422 if choice.error else 200


@bp.get("/erns/<code>/reports")
@requires(LOGIN)
def ern_report(code: str) -> tuple[str, int]:
    ern = _ern(code)
    access.require_ern_reader(current_user, ern.id)
    choice = _choice(ern, areas=True)
    area = next((a for a in ern.thematic_areas if a.id == choice.area_id), None)
    return _page(ern, choice, None, area)


def _suppressed(ern: Ern, choice: Choice, centre: Centre | None) -> list[tables.Section]:
    period = _require(choice)
    result = queries.report(queries.Scope(ern.id, centre.id if centre else None, choice.area_id), period, utcnow())
    return tables.sections(result, suppress=True)


def _filename(ern: Ern, choice: Choice, centre: Centre | None, extension: str) -> str:
    who = f"{ern.code}-{centre.code}" if centre else ern.code + (f"-area{choice.area_id}" if choice.area_id else "")
    return f"report-{who}-{choice.start}-{choice.end}.{extension}"


def _download(ern: Ern, choice: Choice, centre: Centre | None, extension: str) -> Response:
    """The report as it leaves the ERN (suppressed): one long CSV table, or an XLSX sheet per table."""
    found = _suppressed(ern, choice, centre)
    name = _filename(ern, choice, centre, extension)
    if extension == "csv":
        return csv_response(name, tables.long_header(), tables.long_rows(found))
    return xlsx_response(name, [Sheet(section.key, section.header, section.rows) for section in found])


@bp.get("/erns/<code>/reports/report.csv")
@requires(LOGIN)
def ern_csv(code: str) -> Response:
    ern = _ern(code)
    access.require_ern_reader(current_user, ern.id)
    return _download(ern, _choice(ern, areas=True), None, "csv")


@bp.get("/erns/<code>/reports/report.xlsx")
@requires(LOGIN)
def ern_xlsx(code: str) -> Response:
    ern = _ern(code)
    access.require_ern_reader(current_user, ern.id)
    return _download(ern, _choice(ern, areas=True), None, "xlsx")


@bp.get("/erns/<code>/reports/yearly.pdf")
@requires(LOGIN)
def yearly(code: str) -> Response:
    ern = _ern(code)
    access.require_ern_reader(current_user, ern.id)
    text = request.args.get("year", "").strip()[:4] or str(today_for(current_user).year - 1)
    if not text.isdigit() or not 2000 <= int(text) <= 2999:
        raise InvalidInput(_("Give the year as four digits, e.g. 2026."))
    year = int(text)
    period = queries.Period(_utc(date(year, 1, 1)), _utc(date(year + 1, 1, 1)))
    result = queries.report(queries.Scope(ern.id), period, utcnow())
    response = Response(yearly_pdf(ern.code, ern.name, year, result), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="yearly-report-{ern.code}-{year}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/erns/<code>/centres/<centre_code>/reports")
@requires(LOGIN)
def centre_report(code: str, centre_code: str) -> tuple[str, int]:
    ern = _ern(code)
    centre = _centre(ern, centre_code)
    access.require_centre_reader(current_user, ern.id, centre.id)
    return _page(ern, _choice(ern, areas=False), centre, None)


@bp.get("/erns/<code>/centres/<centre_code>/reports.csv")
@requires(LOGIN)
def centre_csv(code: str, centre_code: str) -> Response:
    ern = _ern(code)
    centre = _centre(ern, centre_code)
    access.require_centre_reader(current_user, ern.id, centre.id)
    return _download(ern, _choice(ern, areas=False), centre, "csv")


@bp.get("/erns/<code>/centres/<centre_code>/reports.xlsx")
@requires(LOGIN)
def centre_xlsx(code: str, centre_code: str) -> Response:
    ern = _ern(code)
    centre = _centre(ern, centre_code)
    access.require_centre_reader(current_user, ern.id, centre.id)
    return _download(ern, _choice(ern, areas=False), centre, "xlsx")
