"""What an operator and a monitoring system ask a running Consilium: is it up, is it ready, how is it doing."""

from __future__ import annotations

import hmac

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import jsonify
from flask import request
from flask.wrappers import Response

from app.observability import metrics
from app.observability import readiness
from app.security import public

bp = Blueprint("observability", __name__)


@bp.get("/healthz")
@public
def healthz() -> Response:
    """The process answers (no database: a restart would not mend a database that is down)."""
    return Response("ok", mimetype="text/plain")


@bp.get("/readyz")
@public
def readyz() -> tuple[Response, int]:
    checks = readiness.checks(current_app)
    ready = all(result == readiness.OK for result in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


@bp.get("/metrics")
@public  # guarded by its own bearer token, not by a session: Prometheus does not sign in
def show_metrics() -> Response:
    token = str(current_app.config["METRICS_TOKEN"] or "")
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return Response("", status=401, headers={"WWW-Authenticate": "Bearer"})
    body, content_type = metrics.scrape()
    return Response(body, content_type=content_type)
