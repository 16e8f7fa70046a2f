"""What templates may call: display filters and the navigation's look-ups."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale

from app.audit.queries import can_read_audit
from app.i18n import display_date
from app.i18n import display_datetime
from app.notifications.queries import unread_count
from app.organisations.queries import clinical_centres_of
from app.organisations.queries import erns_of


def register(app: Flask) -> None:
    app.jinja_env.filters["display_date"] = display_date
    app.jinja_env.filters["display_datetime"] = display_datetime
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["nav_erns_for"] = erns_of
    app.jinja_env.globals["nav_centres_for"] = clinical_centres_of
    app.jinja_env.globals["can_read_audit"] = can_read_audit
    app.jinja_env.globals["unread_notifications"] = unread_count
