"""What every request does for the operator: take or make its id, answer with it, log one line, time it."""

from __future__ import annotations

import time

from flask import Flask
from flask import g
from flask import request
from flask.wrappers import Response

from app.observability import logs
from app.observability import metrics


def setup(app: Flask) -> None:
    """Logging, request ids and metrics. Called by the factory before any other request hook: it times the others."""
    logs.configure(app)
    metrics.count_committed_audit_entries()
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    g.request_id = logs.request_id_from(request.headers.get(logs.REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    if request_id := g.get("request_id"):
        response.headers[logs.REQUEST_ID_HEADER] = request_id
    metrics.observe_request(request.endpoint, request.method, response.status_code, seconds)
    logs.request_log.info(
        "%s %s",
        request.method,
        request.endpoint or "unmatched",
        extra={"method": request.method, "status": response.status_code, "duration_ms": round(seconds * 1000, 1)},
    )
    return response
