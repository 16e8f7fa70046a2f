"""Errors services raise, and the one place that maps them to HTTP answers."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import jsonify
from flask import render_template
from flask import request
from flask.wrappers import Response
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

API_PREFIX = "/api/"
PROBLEM_TYPE = "application/problem+json"


class ConsiliumError(Exception):
    """Base class: a message safe to show to the user."""

    status = 400

    def __init__(self, message: str = "") -> None:
        self.message = message
        super().__init__(message)


class NotFound(ConsiliumError):
    status = 404


class NotAllowed(ConsiliumError):
    status = 403


class Conflict(ConsiliumError):
    status = 409


class TooManyAttempts(ConsiliumError):
    status = 429


class PreconditionFailed(ConsiliumError):
    """A write based on something that changed since it was read (an ETag that no longer matches): nothing written."""

    status = 412


class PreconditionRequired(ConsiliumError):
    """A write that could overwrite someone's work came without the ETag it was based on."""

    status = 428


class InvalidInput(ConsiliumError):
    status = 422

    def __init__(self, message: str = "", field_errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


def _title(status: int) -> str:
    titles = {
        400: _("Bad request"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Too large"),
        422: _("Invalid input"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
    }
    return titles.get(status) or _("Error")


def problem(status: int, detail: str = "", errors: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Response:
    """An RFC 9457 problem details answer (type about:blank: the title is the status's own phrase)."""
    body: dict[str, Any] = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"), "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    response.headers.update(headers or {})
    return response


def _api_detail(status: int, error: HTTPException) -> tuple[str, dict[str, Any] | None, dict[str, str] | None]:
    """What an API problem says: webargs' validation messages (flask-smorest's abort puts them in ``data``)."""
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    detail = data.get("message") or {
        401: _("Send a personal access token: Authorization: Bearer <token>."),
        404: _("Nothing here: check the address."),
        405: _("This address does not take this method."),
        412: _("Someone changed this since you read it: read it again (its new ETag) and send your change with that."),
        415: _("Send JSON (Content-Type: application/json)."),
        422: _("Some values are not valid: see errors."),
        428: _("Send If-Match with the ETag you read, so that no one's change is lost."),
    }.get(status, "")
    return str(detail), errors, data.get("headers")


def register_error_handlers(app: Flask) -> None:
    def render(status: int, message: str) -> tuple[Any, int]:
        title = _title(status)
        if status == 413 and not message:
            message = _("This upload is larger than the server accepts in one request: send fewer files at once, or zip the study.")
        if request.accept_mimetypes.best == "application/json":  # the uploader and other scripts show the message
            return jsonify(error=message or title), status
        return render_template("error.html", status=status, title=title, message=message), status

    @app.errorhandler(ConsiliumError)
    def consilium_error(error: ConsiliumError) -> Any:
        if request.path.startswith(API_PREFIX):
            return problem(error.status, error.message, getattr(error, "field_errors", None) or None)
        return render(error.status, error.message)

    for status in (400, 401, 403, 404, 405, 406, 409, 412, 413, 415, 422, 428, 429, 500):

        def http_error(error: Exception, status: int = status) -> Any:
            if request.path.startswith(API_PREFIX):
                if not isinstance(error, HTTPException):
                    return problem(status)
                detail, errors, headers = _api_detail(status, error)
                # The exception's own headers (Allow on a 405, which RFC 9110 requires), its Content-Type aside.
                own = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
                return problem(status, detail, errors, {**own, **(headers or {})})
            return render(status, "")

        app.register_error_handler(status, http_error)
