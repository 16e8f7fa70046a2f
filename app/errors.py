"""Errors services raise, and the one place that maps them to HTTP answers."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import jsonify
from flask import render_template
from flask import request
from flask_babel import gettext as _


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


def register_error_handlers(app: Flask) -> None:
    def render(status: int, message: str) -> tuple[Any, int]:
        title = _title(status)
        if status == 413 and not message:
            message = _("This upload is larger than the server accepts in one request: send fewer files at once, or zip the study.")
        if request.accept_mimetypes.best == "application/json":  # the uploader and other scripts show the message
            return jsonify(error=message or title), status
        return render_template("error.html", status=status, title=title, message=message), status

    @app.errorhandler(ConsiliumError)
    def consilium_error(error: ConsiliumError) -> tuple[Any, int]:
        return render(error.status, error.message)

    for status in (400, 403, 404, 405, 413, 500):

        def http_error(error: Exception, status: int = status) -> tuple[Any, int]:
            return render(status, "")

        app.register_error_handler(status, http_error)
