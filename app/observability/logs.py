"""Logs as one JSON object per line, each with the id of the request it belongs to (SPEC §3: no identifying data).

A request's id comes from a well-formed X-Request-ID header (a reverse proxy's) or is made here, and goes back in the
response, so that an operator can follow one request from the proxy's log to the app's. Messages pass through
app/logsafe.py, which already keeps values out of error descriptions; every request adds one line naming its route's
endpoint, never its URL, so that nothing a user typed reaches the log.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC
from datetime import datetime
from typing import IO
from typing import Any

from flask import Flask
from flask import g
from flask import has_request_context
from flask import request
from flask.logging import default_handler

from app.logsafe import safe_traceback

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# The fields a request line carries besides the message (given as ``extra=`` to the logger).
REQUEST_FIELDS = ("status", "duration_ms", "method")

request_log = logging.getLogger("consilium.request")


def request_id_from(header: str | None) -> str:
    """The caller's request id if it is a plain token; otherwise a new one (a header is not trusted to be harmless)."""
    if header and _WELL_FORMED_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the request's id, endpoint, status and duration."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None,
            "endpoint": None,
        }
        if has_request_context():
            line["request_id"] = g.get("request_id")
            line["endpoint"] = request.endpoint
        for field in REQUEST_FIELDS:
            if hasattr(record, field):
                line[field] = getattr(record, field)
        if record.exc_info and record.exc_info[1] is not None:
            line["error"] = safe_traceback(record.exc_info[1])
        return json.dumps(line, ensure_ascii=False, default=str)


def json_handler(stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.set_name("consilium-json")
    return handler


def configure(app: Flask) -> None:
    """With LOG_FORMAT "json", every logger of the process writes JSON lines to stderr (once, however many apps)."""
    if app.config["LOG_FORMAT"] != "json":
        return
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == "consilium-json":
            root.removeHandler(handler)
    root.addHandler(json_handler())
    root.setLevel(logging.INFO)
    logging.getLogger("spiff").setLevel(logging.WARNING)  # a line per task state change would drown the requests'
    app.logger.removeHandler(default_handler)  # else Flask's own handler writes each app line a second time, as text
