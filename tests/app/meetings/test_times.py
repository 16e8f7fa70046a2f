"""A meeting's time is entered as a wall time in a zone: it is kept as the UTC instant it names, and a time that a
daylight-saving change skips or repeats is refused with words that say why and what to do."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time

import pytest

from app.accounts.models import User
from app.errors import InvalidInput
from app.meetings.times import describe
from app.meetings.times import is_valid_zone
from app.meetings.times import local
from app.meetings.times import to_utc
from app.meetings.times import zone_for

pytestmark = pytest.mark.no_database

SPRING, AUTUMN = date(2027, 3, 28), date(2027, 10, 31)  # the last Sundays of March and October 2027


@pytest.mark.parametrize(
    ("zone", "skipped", "change"),
    [
        ("Europe/Brussels", time(2, 30), "from 02:00 to 03:00"),
        ("Europe/Brussels", time(2, 0), "from 02:00 to 03:00"),
        ("Europe/Lisbon", time(1, 30), "from 01:00 to 02:00"),
        ("Europe/Lisbon", time(1, 0), "from 01:00 to 02:00"),
    ],
)
def test_a_time_the_spring_change_skips_is_refused_with_the_change_named(zone, skipped, change):
    with pytest.raises(InvalidInput) as refused:
        to_utc(SPRING, skipped, zone)
    message = refused.value.message
    assert message.startswith(f"{skipped:%H:%M} does not exist on 28/Mar/2027 in {zone}: the clocks go forward {change}.")
    assert message.endswith("Choose another time.")
    assert refused.value.field_errors == {"start_time": [message]}


@pytest.mark.parametrize(
    ("zone", "repeated", "change"),
    [
        ("Europe/Brussels", time(2, 30), "from 03:00 to 02:00"),
        ("Europe/Brussels", time(2, 0), "from 03:00 to 02:00"),
        ("Europe/Lisbon", time(1, 30), "from 02:00 to 01:00"),
        ("Europe/Lisbon", time(1, 59), "from 02:00 to 01:00"),
    ],
)
def test_a_time_the_autumn_change_repeats_is_refused_as_ambiguous(zone, repeated, change):
    with pytest.raises(InvalidInput) as refused:
        to_utc(AUTUMN, repeated, zone)
    message = refused.value.message
    assert message.startswith(f"{repeated:%H:%M} happens twice on 31/Oct/2027 in {zone}: the clocks go back {change}.")
    assert "Choose a time before" in message
    assert refused.value.field_errors == {"start_time": [message]}


@pytest.mark.parametrize(
    ("day", "wall", "zone", "instant"),
    [
        (SPRING, time(1, 59), "Europe/Brussels", datetime(2027, 3, 28, 0, 59, tzinfo=UTC)),  # the last minute of winter time
        (SPRING, time(3, 0), "Europe/Brussels", datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),  # the first of summer time
        (SPRING, time(10, 0), "Europe/Brussels", datetime(2027, 3, 28, 8, 0, tzinfo=UTC)),
        (AUTUMN, time(1, 59), "Europe/Brussels", datetime(2027, 10, 30, 23, 59, tzinfo=UTC)),
        (AUTUMN, time(3, 0), "Europe/Brussels", datetime(2027, 10, 31, 2, 0, tzinfo=UTC)),
        (SPRING, time(0, 59), "Europe/Lisbon", datetime(2027, 3, 28, 0, 59, tzinfo=UTC)),
        (SPRING, time(2, 0), "Europe/Lisbon", datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
        (AUTUMN, time(0, 30), "Europe/Lisbon", datetime(2027, 10, 30, 23, 30, tzinfo=UTC)),
        (AUTUMN, time(2, 0), "Europe/Lisbon", datetime(2027, 10, 31, 2, 0, tzinfo=UTC)),
        (date(2026, 12, 8), time(10, 0), "Europe/Prague", datetime(2026, 12, 8, 9, 0, tzinfo=UTC)),
    ],
)
def test_a_time_that_exists_once_becomes_its_utc_instant(day, wall, zone, instant):
    result = to_utc(day, wall, zone)
    assert result == instant and result.tzinfo is UTC
    assert local(result, zone).replace(tzinfo=None) == datetime.combine(day, wall)


def test_an_unknown_zone_is_refused_on_the_zone_field():
    with pytest.raises(InvalidInput) as refused:
        to_utc(SPRING, time(10, 0), "Europe/Atlantis")
    assert list(refused.value.field_errors) == ["time_zone"] and "Europe/Atlantis" in refused.value.message


@pytest.mark.parametrize(
    ("name", "valid"), [("Europe/Lisbon", True), ("UTC", True), ("Europe/Atlantis", False), ("", False), ("../etc/passwd", False)]
)
def test_only_known_zone_names_are_valid(name, valid):
    assert is_valid_zone(name) is valid


def test_a_meeting_is_described_in_the_zone_with_its_abbreviation_of_the_day():
    assert describe(datetime(2026, 12, 8, 9, 0, tzinfo=UTC), 60, "Europe/Prague") == "Tue 08/Dec/2026 10:00–11:00 (Europe/Prague, CET)"
    assert describe(datetime(2027, 7, 6, 9, 0, tzinfo=UTC), 90, "Europe/Prague") == "Tue 06/Jul/2027 11:00–12:30 (Europe/Prague, CEST)"
    assert describe(datetime(2026, 12, 8, 9, 0, tzinfo=UTC), 45, "Europe/Lisbon") == "Tue 08/Dec/2026 09:00–09:45 (Europe/Lisbon, WET)"
    assert describe(datetime(2027, 7, 6, 9, 0, tzinfo=UTC), 30, "Europe/Lisbon") == "Tue 06/Jul/2027 10:00–10:30 (Europe/Lisbon, WEST)"


def test_a_meeting_past_midnight_names_the_day_it_ends():
    assert describe(datetime(2027, 7, 8, 22, 30, tzinfo=UTC), 90, "Europe/Lisbon") == (
        "Thu 08/Jul/2027 23:30 – Fri 09/Jul/2027 01:00 (Europe/Lisbon, WEST)"
    )


def test_a_naive_instant_is_refused_rather_than_guessed():
    with pytest.raises(ValueError):
        local(datetime(2027, 7, 6, 9, 0), "Europe/Lisbon")


def test_a_person_without_a_zone_of_their_own_gets_the_default():
    assert zone_for(User(timezone="Europe/Lisbon"), "Europe/Brussels") == "Europe/Lisbon"
    assert zone_for(User(timezone=""), "Europe/Brussels") == "Europe/Brussels"
