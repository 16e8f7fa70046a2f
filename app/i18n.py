"""Locale, time zone and the display formats of SPEC §4 (dates like 05/Feb/1976)."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask import has_request_context
from flask import request
from flask_babel import format_date
from flask_babel import format_datetime
from flask_login import current_user

LANGUAGES = ("en",)


def select_locale() -> str | None:
    if not has_request_context():
        return "en"
    return request.accept_languages.best_match(LANGUAGES) or "en"


def select_timezone() -> str:
    if has_request_context() and current_user and current_user.is_authenticated and current_user.timezone:
        return str(current_user.timezone)
    return str(current_app.config["DEFAULT_TIMEZONE"])


def display_date(value: date | None) -> str:
    """05/Feb/1976."""
    return format_date(value, "dd/MMM/yyyy") if value else ""


def display_datetime(value: datetime | None) -> str:
    """A UTC time shown in the user's time zone: 05/Feb/2026 14:03."""
    return format_datetime(value, "dd/MMM/yyyy HH:mm") if value else ""


def today_for(user: object) -> date:
    """Today's date where the user is (dates must not be in the future by the user's own calendar)."""
    zone = ZoneInfo(str(getattr(user, "timezone", "") or current_app.config["DEFAULT_TIMEZONE"]))
    return datetime.now(zone).date()
