from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import render_template
from flask import request
from flask_login import current_user

from app import security
from app.audit import queries
from app.audit import services
from app.exports import csv_response
from app.exports import rows_of
from app.requests import origin
from app.security import LOGIN
from app.security import requires

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _query() -> tuple[str, int]:
    """The query string, read here only: the action the trail is filtered on (the page and the export alike), and the page."""
    return request.args.get("action", "")[:80], request.args.get("page", 1, type=int) or 1


@bp.route("/")
@requires(LOGIN)
def index() -> str:
    if not security.can_read_audit(current_user):
        abort(403)
    action, page = _query()
    result = queries.audit_entries(current_user, action=action, page=page, per_page=int(current_app.config["PAGE_SIZE"]))
    return render_template("audit/index.html", result=result, action=action, actions=queries.actions(current_user))


EXPORT_HEADER = ("at (UTC)", "actor", "action", "target type", "target id", "address", "details")


@bp.route("/export.csv")
@requires(LOGIN)
def export() -> Response:
    if not security.can_read_audit(current_user):
        abort(403)
    action, _page = _query()
    services.record_export(current_user, action, origin())
    rows = rows_of(queries.export_statement(current_user, action=action), _export_row)
    return csv_response("consilium-audit.csv", EXPORT_HEADER, rows)


def _export_row(row: Sequence[Any]) -> tuple[object, ...]:
    at, actor, *rest = row
    return (at.isoformat(), actor or "", *rest)
