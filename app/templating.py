"""What templates may call: display filters and the navigation's look-ups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask import g
from flask import has_request_context
from flask import request
from flask import url_for
from flask_babel import get_locale

from app.i18n import display_date
from app.i18n import display_datetime
from app.i18n import install_template_gettext
from app.notifications.queries import unread_count
from app.organisations.queries import clinical_centres_of
from app.organisations.queries import erns_of
from app.security import can_read_audit
from app.tasks.display import answer_text


def _once_per_request(lookup: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The navigation asks the same questions as the page it frames: answer each once per request."""
    key = f"_nav_{lookup.__name__}"

    def cached(user: Any) -> Any:
        if not has_request_context():
            return lookup(user)
        if key not in g:
            setattr(g, key, lookup(user))
        return getattr(g, key)

    return cached


_LAYOUT_URLS: dict[tuple[str, str, tuple[tuple[str, str], ...]], str] = {}


def layout_url(endpoint: str, **values: str) -> str:
    """A link of the layout: the same on every page, so built once per script root (url_for is ≈ 10 µs a call,
    and the layout has fifteen)."""
    key = (request.script_root, endpoint, tuple(sorted(values.items())))
    url = _LAYOUT_URLS.get(key)
    if url is None:
        if len(_LAYOUT_URLS) > 1000:  # ERN and centre codes are few; stay bounded whatever comes
            _LAYOUT_URLS.clear()
        url = _LAYOUT_URLS[key] = url_for(endpoint, **values)
    return url


def register(app: Flask) -> None:
    install_template_gettext(app)
    app.jinja_env.filters["display_date"] = display_date
    app.jinja_env.filters["display_datetime"] = display_datetime
    app.jinja_env.globals["answer_text"] = answer_text
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["layout_url"] = layout_url
    app.jinja_env.globals["nav_erns_for"] = _once_per_request(erns_of)
    app.jinja_env.globals["nav_centres_for"] = _once_per_request(clinical_centres_of)
    app.jinja_env.globals["can_read_audit"] = can_read_audit
    app.jinja_env.globals["unread_notifications"] = unread_count
