"""Locale, time zone and the display formats of SPEC §4 (dates like 05/Feb/1976)."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import tzinfo
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.messages.mofile import read_mo
from babel.numbers import format_decimal
from babel.support import NullTranslations
from flask import Flask
from flask import current_app
from flask import g
from flask import has_request_context
from flask import request
from flask_babel import get_locale
from flask_babel import get_timezone
from flask_babel import get_translations
from flask_babel import refresh
from flask_login import current_user

from app.database import db
from app.ernsettings.models import ErnSettings

# The interface's languages (each with a complete catalogue in app/translations/), by their names in themselves.
LANGUAGE_NAMES = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "it": "Italiano",
    "es": "Español",
    "nl": "Nederlands",
    "pl": "Polski",
    "cs": "Čeština",
}
LANGUAGES = tuple(LANGUAGE_NAMES)
DEFAULT_LANGUAGE = "en"


def N_(message: str) -> str:
    """Marks a message for the catalogue (``make messages`` extracts it) without translating it now: it is stored,
    and translated when shown, in the reader's language (``render``)."""
    return message


def render(message: str, params: Mapping[str, Any] | None = None) -> str:
    """A stored message in the current language, its values filled in (values are plain text, never translated)."""
    translated = _translations().ugettext(message) if message else ""
    try:
        return translated % dict(params or {}) if params else translated
    except (KeyError, ValueError, TypeError):  # a translation that names a value the message does not carry
        return message % dict(params or {}) if params else message


def language_of(user: Any) -> str:
    """The language to write to a user in (mails, PDFs made for them): their choice, else their first ERN's default."""
    chosen = str(getattr(user, "language", "") or "")
    if chosen in LANGUAGES:
        return chosen
    return ern_default_language(user)


def ern_default_language(user: Any) -> str:
    for membership in getattr(user, "memberships", None) or []:
        settings = db.session.get(ErnSettings, membership.ern_id)
        if settings is not None and settings.default_language in LANGUAGES:
            return str(settings.default_language)
    return DEFAULT_LANGUAGE


def language_changed() -> None:
    """The user chose another language during this request: what the request shows from now on follows it."""
    refresh()
    g.pop("_translations", None)
    g.pop("_display_context", None)


def select_locale() -> str | None:
    """The user's choice (Preferences), else the browser's (Accept-Language), else their ERN's default, else English."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    signed_in = current_user and current_user.is_authenticated
    if signed_in and current_user.language in LANGUAGES:
        return str(current_user.language)
    asked = request.accept_languages.best_match(LANGUAGES)
    if asked:
        return str(asked)
    return ern_default_language(current_user) if signed_in else DEFAULT_LANGUAGE


def select_timezone() -> str:
    if has_request_context() and current_user and current_user.is_authenticated and current_user.timezone:
        return str(current_user.timezone)
    return str(current_app.config["DEFAULT_TIMEZONE"])


def _display_context() -> tuple[dict[int, str], tzinfo]:
    # Looked up once per request: a list page formats hundreds of dates, and Flask-Babel would
    # resolve the locale and time zone again for each one (and Babel parse the pattern).
    if not has_request_context():
        return _month_names(get_locale() or Locale.parse("en")), get_timezone()
    cached: tuple[dict[int, str], tzinfo] | None = g.get("_display_context")
    if cached is None:
        cached = g._display_context = (_month_names(get_locale() or Locale.parse("en")), get_timezone())
    return cached


def _month_names(locale: Locale) -> dict[int, str]:
    """The locale's abbreviated month names, as Babel's ``MMM`` gives them."""
    return dict(locale.months["format"]["abbreviated"])


def display_date(value: date | None) -> str:
    """05/Feb/1976."""
    if not value:
        return ""
    return f"{value.day:02d}/{_display_context()[0][value.month]}/{value.year:04d}"


def display_datetime(value: datetime | None) -> str:
    """A UTC time shown in the user's time zone: 05/Feb/2026 14:03."""
    if not value:
        return ""
    months, zone = _display_context()
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
    return f"{local.day:02d}/{months[local.month]}/{local.year:04d} {local.hour:02d}:{local.minute:02d}"


def display_number(value: object) -> str:
    """A count or a measure in the reader's locale (1,234.5 / 1.234,5 / 1 234,5); anything else as it is ("< 5")."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    return format_decimal(value, format="#,##0.0" if isinstance(value, float) else "#,##0", locale=get_locale())


def today_for(user: object) -> date:
    """Today's date where the user is (dates must not be in the future by the user's own calendar)."""
    zone = ZoneInfo(str(getattr(user, "timezone", "") or current_app.config["DEFAULT_TIMEZONE"]))
    return datetime.now(zone).date()


def _translations() -> NullTranslations:
    # Once per request: Flask-Babel's template callables resolve the locale and its catalogue again for
    # every string, which on a list page costs more than the rest of its template.
    if not has_request_context():
        return get_translations()
    cached: NullTranslations | None = g.get("_translations")
    if cached is None:
        cached = g._translations = get_translations()
    return cached


def translator() -> Callable[[str], str]:
    """Translates texts that are data, not code (form labels, BPMN names): the catalogue's translation, or the text
    unchanged; never %-formatted, never marked safe (a label is escaped like any other value)."""
    translations = _translations()
    return lambda text: translations.ugettext(text) if text else text


@cache
def catalogue_of(language: str) -> Callable[[str], str]:
    """The translation of a text in ``language``'s catalogue (which may read as the English does: "Date" in French),
    or "" when the catalogue has none; whatever the request's language."""
    path = Path(__file__).parent / "translations" / language / "LC_MESSAGES" / "messages.mo"
    if not path.exists():
        return lambda text: ""
    with path.open("rb") as source:
        catalogue = read_mo(source)

    def translation(text: str) -> str:
        found = catalogue.get(text) if text else None
        return str(found.string) if found is not None and isinstance(found.string, str) else ""

    return translation


def catalogue_gettext() -> Callable[[str], str]:
    """The request's gettext, its catalogue looked up once: for code that translates many strings of a page."""
    return _translations().ugettext


def install_template_gettext(app: Flask) -> None:
    """Templates' _(), gettext and ngettext with the request's catalogue looked up once (after Babel's init_app)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda text: _translations().ugettext(text),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        pgettext=lambda context, text: _translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
