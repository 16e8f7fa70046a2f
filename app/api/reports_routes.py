"""/api/v1/reports: an ERN's (or one centre's) report figures for a period, as they leave the ERN (small cells
suppressed), for the same readers as the report pages."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint

from app.api.schemas import ReportArgs
from app.api.schemas import ReportSchema
from app.database import utcnow
from app.errors import InvalidInput
from app.errors import NotFound
from app.organisations import queries as organisation_queries
from app.reports import access
from app.reports import queries as report_queries
from app.reports import tables
from app.requests import FIRST_YEAR
from app.requests import LAST_YEAR
from app.security import TOKEN
from app.security import requires

bp = Blueprint("api_reports", __name__, url_prefix="/api/v1/reports", description="Report figures")


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@bp.route("/<string:ern_code>")
@requires(TOKEN)
@bp.arguments(ReportArgs, location="query", as_kwargs=True)
@bp.response(200, ReportSchema)
def get_report(ern_code: str, start: date, end: date, centre: str | None) -> dict[str, Any]:
    """The report's tables for days start to end (both included, UTC): an ERN's for its managers and coordinators,
    a centre's (``centre``) also for that centre's health professionals."""
    ern = organisation_queries.ern_by_code(ern_code[:40], current_user)
    if ern is None:
        raise NotFound(_("No such ERN."))
    if not (FIRST_YEAR <= start.year <= LAST_YEAR and FIRST_YEAR <= end.year <= LAST_YEAR) or end < start:
        raise InvalidInput(_("The period runs from start to end, yyyy-mm-dd, end not before start."), {"end": [_("Before start.")]})
    found = organisation_queries.centre_by_code(centre[:40]) if centre else None
    if centre and (found is None or ern not in found.erns):
        raise NotFound(_("No such centre in this ERN."))
    if found is not None:
        access.require_centre_reader(current_user, ern.id, found.id)
    else:
        access.require_ern_reader(current_user, ern.id)
    period = report_queries.Period(_utc(start), _utc(end) + timedelta(days=1))
    result = report_queries.report(report_queries.Scope(ern.id, found.id if found else None), period, utcnow())
    sections = [
        {"key": s.key, "title": s.title, "header": list(s.header), "rows": [[_plain(cell) for cell in row] for row in s.rows]}
        for s in tables.sections(result, suppress=True)
    ]
    return {"ern": ern.code, "centre": found.code if found else None, "start": start, "end": end, "sections": sections}


def _plain(cell: Any) -> Any:
    return cell if cell is None or isinstance(cell, int | float | str) else str(cell)
