"""Days a client types in a query string (report periods, research periods, certificate periods): anything but a
yyyy-mm-dd day of a sensible year is refused with a message (422), never a server error — 9999-12-31 plus a day
overflows Python's dates."""

import pytest

from app.requests import day_of

BAD = ["9999-12-31", "0001-01-01", "20240101", "2024W011", "2024-02-30", "2024-1-5", "２０２４-01-01", "2024-01-01x"]


@pytest.mark.no_database
@pytest.mark.parametrize("text", BAD)
def test_only_a_plain_day_of_a_sensible_year_is_a_day(text):
    assert day_of(text) is None


@pytest.mark.no_database
def test_a_plain_day_is_read():
    assert day_of(" 2026-12-07 ").isoformat() == "2026-12-07"


@pytest.mark.parametrize("text", ["9999-12-31", "2024W011"])
@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("coordinator", "/erns/EuroBloodNet/reports?to={}"),
        ("coordinator", "/erns/EuroBloodNet/reports/report.csv?to={}"),
        ("clinician", "/erns/EuroBloodNet/centres/BE10/reports?to={}"),
        ("researcher", "/research/?until={}"),
        ("researcher", "/research/dataset.csv?until={}"),
        ("clinician", "/my/contributions/certificate.pdf?from=2026-01-01&to={}"),
    ],
)
def test_a_day_out_of_range_is_refused_with_a_message(world, login, who, url, text):
    assert login(getattr(world, who)).get(url.format(text)).status_code == 422
