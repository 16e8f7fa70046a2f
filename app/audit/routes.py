from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import render_template
from flask import request
from flask import stream_with_context
from flask_login import current_user

from app import security
from app.audit import queries
from app.audit import services
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


@bp.route("/export.csv")
@requires(LOGIN)
def export() -> Response:
    if not security.can_read_audit(current_user):
        abort(403)
    action, _page = _query()
    services.record_export(current_user, action, origin())
    entries = queries.export_rows(current_user, action=action)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["at (UTC)", "actor", "action", "target type", "target id", "address", "details"])
        for at, actor, *rest in entries:
            writer.writerow([at.isoformat(), actor or "", *rest])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    headers = {"Content-Disposition": 'attachment; filename="consilium-audit.csv"'}
    return Response(stream_with_context(rows()), mimetype="text/csv", headers=headers)
