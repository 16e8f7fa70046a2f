"""Locale, time zone and the display formats of SPEC §4 (dates like 05/Feb/1976)."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import tzinfo
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from flask import current_app
from flask import g
from flask import has_request_context
from flask import request
from flask_babel import get_locale
from flask_babel import get_timezone
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


def _display_context() -> tuple[Locale, tzinfo]:
    # Looked up once per request: a list page formats hundreds of dates, and Flask-Babel would
    # resolve the locale and time zone again for each one.
    if not has_request_context():
        return get_locale() or Locale.parse("en"), get_timezone()
    cached: tuple[Locale, tzinfo] | None = g.get("_display_context")
    if cached is None:
        cached = g._display_context = (get_locale() or Locale.parse("en"), get_timezone())
    return cached


def display_date(value: date | None) -> str:
    """05/Feb/1976."""
    return babel_dates.format_date(value, "dd/MMM/yyyy", locale=_display_context()[0]) if value else ""


def display_datetime(value: datetime | None) -> str:
    """A UTC time shown in the user's time zone: 05/Feb/2026 14:03."""
    if not value:
        return ""
    locale, zone = _display_context()
    return babel_dates.format_datetime(value, "dd/MMM/yyyy HH:mm", tzinfo=zone, locale=locale)


def today_for(user: object) -> date:
    """Today's date where the user is (dates must not be in the future by the user's own calendar)."""
    zone = ZoneInfo(str(getattr(user, "timezone", "") or current_app.config["DEFAULT_TIMEZONE"]))
    return datetime.now(zone).date()
