"""Meeting times across time zones: a wall time entered in a zone to its UTC instant, refusing the times that a
daylight-saving change skips or repeats, and an instant shown back in a zone."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from functools import cache
from zoneinfo import ZoneInfo
from zoneinfo import available_timezones

from babel.dates import format_date
from flask_babel import gettext as _

from app.accounts.models import User
from app.errors import InvalidInput


def is_valid_zone(name: str) -> bool:
    """An IANA time zone name known to this server (Europe/Brussels; not "CET" spelled in lower case, not a path)."""
    return name in _zone_names()


@cache
def _zone_names() -> frozenset[str]:
    # Listing the zone files takes about 30 ms: once per process, not once per form checked.
    return frozenset(available_timezones())


def zone_for(user: User, default: str) -> str:
    """The zone the user chose in their preferences, else ``default`` (the app's DEFAULT_TIMEZONE)."""
    return user.timezone or default


def to_utc(day: date, start: time, zone_name: str) -> datetime:
    """The UTC instant of a wall time in a zone; refuses a time the zone skips or repeats that day."""
    zone = _zone(zone_name)
    wall = datetime.combine(day, start.replace(tzinfo=None, fold=0), zone)
    instant = wall.astimezone(UTC)
    skipped = instant.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None)
    if skipped or wall.utcoffset() != wall.replace(fold=1).utcoffset():
        before, after = _clock_change(wall, zone)
        facts = {"time": _hours(start), "date": _date(day), "zone": zone_name, "before": before, "after": after}
        if skipped:
            message = _(
                "%(time)s does not exist on %(date)s in %(zone)s: the clocks go forward from %(before)s to %(after)s. Choose another time.",
                **facts,
            )
        else:
            message = _(
                "%(time)s happens twice on %(date)s in %(zone)s: the clocks go back from %(before)s to %(after)s. "
                "Choose a time before %(after)s or from %(before)s on.",
                **facts,
            )
        raise InvalidInput(message, {"start_time": [message]})
    return instant


def local(value: datetime, zone_name: str) -> datetime:
    """A UTC instant (or any aware datetime) as the wall time of a zone."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: the app keeps every instant in UTC, aware")
    return value.astimezone(_zone(zone_name))


def describe(start: datetime, duration_minutes: int, zone_name: str, locale: str = "en") -> str:
    """A meeting's time in a zone, for mail and pages: "Tue 08/Dec/2026 10:00–11:00 (Europe/Prague, CET)", the day and
    month named in ``locale``."""
    begins = local(start, zone_name)
    ends = local(start + timedelta(minutes=duration_minutes), zone_name)
    if ends.date() == begins.date():
        span = f"{_day(begins, locale)} {_hours(begins)}–{_hours(ends)}"
    else:
        span = f"{_day(begins, locale)} {_hours(begins)} – {_day(ends, locale)} {_hours(ends)}"
    return f"{span} ({zone_name}, {begins.tzname()})"


def _zone(name: str) -> ZoneInfo:
    if not is_valid_zone(name):
        message = _("Unknown time zone “%(zone)s”: choose one from the list, such as Europe/Brussels.", zone=name)
        raise InvalidInput(message, {"time_zone": [message]})
    return ZoneInfo(name)


def _clock_change(wall: datetime, zone: ZoneInfo) -> tuple[str, str]:
    """The wall clock just before and just after the change of offset that skips or repeats ``wall``: in Brussels,
    ("02:00", "03:00") in spring and ("03:00", "02:00") in autumn."""
    earlier, later = sorted((wall.astimezone(UTC), wall.replace(fold=1).astimezone(UTC)))
    offset_before, offset_after = earlier.astimezone(zone).utcoffset(), later.astimezone(zone).utcoffset()
    assert offset_before is not None and offset_after is not None  # a ZoneInfo always knows its offset
    # The change lies between the two readings of the wall time (at most a few hours apart): bisect to the minute.
    low, high = 0, (later - earlier) // timedelta(minutes=1)
    while high - low > 1:
        middle = (low + high) // 2
        if (earlier + timedelta(minutes=middle)).astimezone(zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    change = earlier + timedelta(minutes=high)
    return _hours(change + offset_before), _hours(change + offset_after)


def _hours(value: datetime | time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def _date(value: date) -> str:
    # The display style of app/i18n.py (05/Feb/2026), which needs an app context; this module must work without one.
    return format_date(value, "dd/MMM/yyyy", locale="en")


def _day(value: date, locale: str = "en") -> str:
    return format_date(value, "EEE dd/MMM/yyyy", locale=locale)
