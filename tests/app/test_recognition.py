"""Contributor recognition: each person's contributions per year, and a certificate PDF of them for a period that
names panels by number only and nothing about any patient."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.database import db
from app.panels.models import Contribution
from tests import factories

PATIENT = {"first_name": "Zyxwvut", "last_name": "Qwertzuiop", "date_of_birth": "17/09/1961"}
BIRTH_DATE_SPELLINGS = ("17/09/1961", "1961-09-17", "17/Sep/1961", "1961")


@dataclass(frozen=True)
class Case:
    heron: int
    owl: int


@pytest.fixture
def case(world) -> Case:
    """Two panels; the clinician contributed to both in 2026 and to one in 2025, the colleague to one in 2026."""
    heron = factories.open_panel(
        world.clinician, factories.enrol(world.clinician, world.leuven, world.ern, **PATIENT), nickname="blue heron"
    )
    other = factories.enrol(world.clinician, world.leuven, world.ern, first_name="Wvutsrq", last_name="Ponmlk")
    owl = factories.open_panel(world.clinician, other, nickname="grey owl")
    for author, panel_id, at, minutes in (
        (world.clinician, heron, datetime(2025, 3, 10, 9, 0, tzinfo=UTC), 90),
        (world.clinician, heron, datetime(2026, 2, 1, 9, 0, tzinfo=UTC), 30),
        (world.clinician, owl, datetime(2026, 5, 5, 23, 30, tzinfo=UTC), 45),
        (world.colleague, owl, datetime(2026, 6, 6, 9, 0, tzinfo=UTC), 121),
    ):
        db.session.add(Contribution(panel_id=panel_id, author_id=author.id, text="Advice.", minutes_spent=minutes, created_at=at))
    db.session.commit()
    return Case(heron, owl)


def table(html: str, table_id: str) -> list[list[str]]:
    """The rows of a table of the page, each cell's text with its tags removed."""
    body = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.DOTALL)
    assert body, html
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(0), re.DOTALL)
    return [
        [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)]
        for row in rows
    ]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_a_member_sees_their_contributions_per_year_with_totals(world, login, case):
    page = login(world.clinician).get("/my/contributions")

    assert page.status_code == 200
    assert table(page.text, "years")[1:] == [["2026", "2", "2", "1 h 15 min"], ["2025", "1", "1", "1 h 30 min"]]
    rows = table(page.text, "contributions")
    assert [row[0] for row in rows[1:-1]] == [f"#{case.heron} blue heron", f"#{case.owl} grey owl"]
    assert [row[2] for row in rows[1:-1]] == ["0 h 30 min", "0 h 45 min"]
    assert rows[-1] == ["Total", "2 contributions", "1 h 15 min"]
    assert 'name="from" id="from" value="2026-01-01"' in page.text and 'value="2026-12-31"' in page.text

    earlier = table(login(world.clinician).get("/my/contributions?year=2025").text, "contributions")
    assert [row[0] for row in earlier[1:-1]] == [f"#{case.heron} blue heron"] and earlier[-1][-1] == "1 h 30 min"
    assert "No contribution in 2019." in login(world.clinician).get("/my/contributions?year=2019").text


def test_another_users_contributions_never_appear(world, login, case):
    page = login(world.colleague).get("/my/contributions").text
    assert table(page, "years")[1:] == [["2026", "1", "1", "2 h 01 min"]]
    assert f"#{case.heron}" not in page and "blue heron" not in page

    pdf = login(world.colleague).get("/my/contributions/certificate.pdf?from=2025-01-01&to=2026-12-31")
    text = pdf_text(pdf.data)
    assert f"#{case.owl}" in text and f"#{case.heron}" not in text and "2 h 01 min" in text
    assert "Hanna" not in text and "Peeters" not in text


def test_the_certificate_lists_the_periods_panels_and_total_and_nothing_identifying(world, login, case):
    response = login(world.clinician).get("/my/contributions/certificate.pdf?from=2026-01-01&to=2026-12-31")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="consilium-contributions-2026-01-01-2026-12-31.pdf"'
    text = pdf_text(response.data)
    for expected in ("Certificate of contributions", "Hanna Peeters", "Haematologist", "BE10", "EuroBloodNet network"):
        assert expected in text
    assert f"#{case.heron}" in text and f"#{case.owl}" in text
    assert "01/Feb/2026" in text and "05/May/2026" in text and "10/Mar/2025" not in text  # the period only
    assert "1 h 15 min" in text and "1.25" in text
    # Panel numbers only: no nickname, no patient's name or birth date, not the colleague's time.
    for absent in ("blue heron", "grey owl", "Zyxwvut", "Qwertzuiop", "Wvutsrq", "Ponmlk", *BIRTH_DATE_SPELLINGS, "2 h 01 min"):
        assert absent not in text

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "contributions.certificate_downloaded"))
    assert entry is not None and entry.actor_id == world.clinician.id
    assert entry.details == {"period_from": "2026-01-01", "period_to": "2026-12-31", "contributions": 2}


def test_every_certificate_download_is_audited(world, login, case):
    client = login(world.clinician)
    for period in ("from=2025-01-01&to=2025-12-31", "from=2020-01-01&to=2020-01-31"):
        assert client.get(f"/my/contributions/certificate.pdf?{period}").status_code == 200
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "contributions.certificate_downloaded")).all()
    assert [(e.details["period_from"], e.details["contributions"]) for e in entries] == [("2025-01-01", 1), ("2020-01-01", 0)]
    assert "No contribution in this period." in pdf_text(
        client.get("/my/contributions/certificate.pdf?" + "from=2020-01-01&to=2020-01-31").data
    )


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-01&to=2026-12-31",
        "from=01/01/2026&to=2026-12-31",
        "from=2026-01-01",
        "",
        "from=2026-12-31&to=2026-01-01",
        "from=x&to=y",
    ],
)
def test_a_bad_period_is_refused_with_a_clear_message(world, login, case, query):
    response = login(world.clinician).get(f"/my/contributions/certificate.pdf?{query}")
    assert response.status_code == 422
    assert "yyyy-mm-dd" in response.text or "start on or before its end" in response.text
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "contributions.certificate_downloaded")) is None


@pytest.mark.parametrize("path", ["/my/contributions", "/my/contributions/certificate.pdf?from=2026-01-01&to=2026-12-31"])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
