"""What templates may call: display filters and the navigation's look-ups."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from stat import S_ISREG
from typing import Any

from flask import Flask
from flask import current_app
from flask import g
from flask import has_request_context
from flask import request
from flask import url_for
from flask_babel import get_locale
from werkzeug.security import safe_join

from app.accounts.roles import sees_people
from app.i18n import display_date
from app.i18n import display_datetime
from app.i18n import display_number
from app.i18n import install_template_gettext
from app.i18n import translator
from app.notifications.queries import unread_count
from app.organisations.queries import clinical_centres_of
from app.organisations.queries import erns_of
from app.reports.access import reads_centre_report
from app.reports.access import reads_ern_reports
from app.research.search import is_researcher
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


_FINGERPRINTS: dict[str, tuple[int, int, str]] = {}  # path → (mtime, size, fingerprint)
# Files a bundler already named after their content (frontend/build.mjs: the editor's fonts, bpmn-OXN4V5RZ.woff2),
# which the bundle's own CSS asks for by that name.
_CONTENT_NAMED = re.compile(r"vendor/modeler/[\w.-]+-[A-Z0-9]{8}\.\w+")


def static_fingerprint(static_folder: str, filename: str) -> str | None:
    """The start of the file's SHA-256, or None if there is no such file. Read again only when the file's time or
    size changes, so that an edited file gets a new URL without a restart."""
    path = safe_join(static_folder, filename)
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if not S_ISREG(stat.st_mode):
        return None
    known = _FINGERPRINTS.get(path)
    if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
        return known[2]
    with open(path, "rb") as file:
        fingerprint = hashlib.file_digest(file, "sha256").hexdigest()[:16]
    _FINGERPRINTS[path] = (stat.st_mtime_ns, stat.st_size, fingerprint)
    return fingerprint


def static_url(filename: str) -> str:
    """A static file's URL with its fingerprint (?v=…): browsers keep it for a year and fetch it again only once
    it has changed, when the URL changes with it. As url_for('static', …), built once per file version."""
    fingerprint = static_fingerprint(str(current_app.static_folder), filename)
    if fingerprint is None:
        return layout_url("static", filename=filename)
    return layout_url("static", filename=filename, v=fingerprint)


def _fingerprint_static_urls(endpoint: str, values: dict[str, Any]) -> None:
    """url_for('static', filename=…), wherever it is called, adds the file's fingerprint as static_url does."""
    if endpoint == "static" and "v" not in values and isinstance(values.get("filename"), str):
        fingerprint = static_fingerprint(str(current_app.static_folder), values["filename"])
        if fingerprint is not None:
            values["v"] = fingerprint


def is_fingerprinted(static_folder: str, filename: str, version: str | None) -> bool:
    """Whether this request of a static file names its content, so that the answer may be kept for good: the
    fingerprint static_url gives, or a name the bundler derived from the content."""
    if version:
        return version == static_fingerprint(static_folder, filename)
    return _CONTENT_NAMED.fullmatch(filename) is not None


def register(app: Flask) -> None:
    install_template_gettext(app)
    app.jinja_env.filters["display_date"] = display_date
    app.jinja_env.filters["display_number"] = display_number
    # A text that is data (a BPMN task's name) in the reader's language: {{ task.label | translated }}.
    app.jinja_env.filters["translated"] = lambda text: translator()(text)
    app.jinja_env.filters["display_datetime"] = display_datetime
    app.jinja_env.globals["answer_text"] = answer_text
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["layout_url"] = layout_url
    app.jinja_env.globals["static_url"] = static_url
    app.url_defaults(_fingerprint_static_urls)
    app.jinja_env.globals["nav_erns_for"] = _once_per_request(erns_of)
    app.jinja_env.globals["nav_centres_for"] = _once_per_request(clinical_centres_of)
    app.jinja_env.globals["can_read_audit"] = can_read_audit
    app.jinja_env.globals["sees_people"] = sees_people
    app.jinja_env.globals["is_researcher"] = is_researcher
    app.jinja_env.globals["reads_ern_reports"] = reads_ern_reports
    app.jinja_env.globals["reads_centre_report"] = reads_centre_report
    app.jinja_env.globals["unread_notifications"] = unread_count
