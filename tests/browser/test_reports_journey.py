"""Reports and research in the browser (issue 22), on the seeded demo data.

Carla Coordinatrice opens the EuroBloodNet report for a period, reads its charts and tables, and downloads it as CSV
and XLSX: every number of the page is in both files, small counts as "< n" (the downloads leave the ERN). Rui
Researcher searches the released panels by the ORPHA code of "red kite" and downloads its Phenopackets: each one valid
against the GA4GH JSON schemas and the phenopackets classes, and without a name or birth date of any demo patient.
Hanna Peeters downloads the certificate of her contributions. Months after "lemon tree" was signed off (a chosen
clock fires the timers), its follow-up reaches the patient's centre (Marco Rossi, IT10); his answer shows in the
ERN's report.

The test functions share the module's live server and run in order: the first reads the report before any follow-up
answer, the last after one.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import phenopackets as pp
import pytest
from google.protobuf import json_format
from playwright.sync_api import Page
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import func
from sqlalchemy import select

from app.database import db
from app.demo.data import PATIENTS
from app.organisations.models import Ern
from app.panels import follow_up
from app.panels.models import FollowUp
from app.panels.models import Outcome
from app.panels.models import Panel
from app.workflows.models import ProcessInstance
from app.workflows.services import fire_due_timers
from tests.app.research.test_datasets import _validator as phenopacket_validator
from tests.browser.conftest import assert_accessible
from tests.browser.journeys import sign_in
from tests.browser.journeys import sign_out
from tests.conftest import LiveServer

COORDINATOR = ("coordinator@demo.consilium.eu", "Carla Coordinatrice")
RESEARCHER = ("researcher@demo.consilium.eu", "Rui Researcher")
MEMBER = ("hp1@demo.consilium.eu", "Hanna Peeters")  # contributed to "red kite", "quiet harbour", "north wind"
CENTRE_CLINICIAN = ("hp4@demo.consilium.eu", "Marco Rossi")  # IT10, where the patient of "lemon tree" is treated
ERN_CODE = "EuroBloodNet"
RELEASED, SIGNED = "red kite", "lemon tree"
FOLLOW_UP_TASK = "Follow up the advice"
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@dataclass(frozen=True)
class Demo:
    ern_panels: int  # EuroBloodNet's panels, all opened today by the seed
    released_id: int
    released_code: str  # the ORPHA code of the released panel, as its consultation answers hold it
    signed_id: int


def _code_of(answer: Any) -> str:
    if isinstance(answer, dict):
        return str(answer.get("code", ""))
    return str(answer or "").split()[0] if answer else ""


@pytest.fixture(scope="module")
def demo(live_server: LiveServer) -> Demo:
    with live_server.app.app_context():
        ern = db.session.scalar(select(Ern).where(Ern.code == ERN_CODE))
        assert ern is not None
        count = db.session.scalar(select(func.count()).select_from(Panel).where(Panel.ern_id == ern.id))
        released = db.session.scalar(select(Panel).where(Panel.nickname == RELEASED))
        signed = db.session.scalar(select(Panel).where(Panel.nickname == SIGNED))
        assert released is not None and released.released_at is not None
        assert signed is not None and signed.ern_id == ern.id
        code = _code_of(released.consultation.get("diagnosis"))
        assert code.startswith("ORPHA:"), released.consultation.get("diagnosis")
        found = Demo(int(count or 0), released.id, code, signed.id)
        db.session.remove()
    return found


# ---- Reading the report's page and its downloads ------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    header: list[str]
    rows: list[list[str]]

    def cell(self, row: str, column: int = 1) -> str:
        matches = [r for r in self.rows if r[0] == row]
        assert len(matches) == 1, (self.key, row, self.rows)
        return matches[0][column]


def report_tables(page: Page) -> dict[str, Table]:
    found = page.evaluate(
        """() => Array.from(document.querySelectorAll('main section.card')).map(s => ({
            key: s.id,
            title: s.querySelector('h2').textContent.trim(),
            header: Array.from(s.querySelectorAll('thead th')).map(c => c.textContent.trim()),
            rows: Array.from(s.querySelectorAll('tbody tr')).map(r => Array.from(r.children).map(c => c.textContent.trim())),
        }))"""
    )
    return {t["key"]: Table(t["key"], t["title"], t["header"], t["rows"]) for t in found}


def threshold_of(page: Page) -> int:
    text = page.get_by_text(re.compile(r"Downloads leave the ERN")).inner_text()
    found = re.search(r"counts below (\d+) show as", text)
    assert found, text
    return int(found.group(1))


def leaving(value: str, threshold: int) -> str:
    """A count as the downloads write it: 1 to threshold - 1 as "< threshold"."""
    return f"< {threshold}" if value.isdigit() and 0 < int(value) < threshold else value


def same(download: Any, shown: str) -> bool:
    text = "" if download is None else str(download).strip()
    if text == shown:
        return True
    try:
        return float(text) == float(shown)
    except ValueError:
        return False


def open_report(page: Page, start: date, end: date) -> dict[str, Table]:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="ERN", exact=True).click()
    if page.get_by_role("heading", level=1).inner_text() != ERN_CODE:  # the nav opens the first of her ERNs
        page.goto(f"/erns/{ERN_CODE}")
    expect(page.get_by_role("heading", name=ERN_CODE, level=1)).to_be_visible()
    page.get_by_role("link", name="Reports of the ERN").click()
    expect(page.get_by_role("heading", name=f"Report of {ERN_CODE}", level=1)).to_be_visible()
    page.get_by_label("From (yyyy-mm-dd)").fill(start.isoformat())
    page.get_by_label("To, included (yyyy-mm-dd)").fill(end.isoformat())
    page.get_by_role("button", name="Show the report").click()
    expect(page).to_have_url(re.compile(rf"from={start.isoformat()}&to={end.isoformat()}"))
    expect(page.get_by_role("heading", name="Panels", level=2, exact=True)).to_be_visible()
    return report_tables(page)


def download(page: Page, link: str) -> Path:
    with page.expect_download() as info:
        page.get_by_role("link", name=link).click()
    path = info.value.path()
    assert path is not None
    return path


@pytest.mark.browser
def test_a_coordinator_reads_the_ern_report_and_its_downloads_carry_the_same_numbers(
    page: Page, live_server: LiveServer, demo: Demo
) -> None:
    today = datetime.now(UTC).date()  # the report's days are UTC days
    sign_in(page, *COORDINATOR)
    tables = open_report(page, today - timedelta(days=30), today)
    assert_accessible(page, "ERN report")

    # Charts (SVG images with a title and a description) beside tables.
    charts = page.locator("main svg[role='img']")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 5
    panels_chart = page.get_by_role("img", name=re.compile(r"^Panels Opened in the period: \d+"))
    expect(panels_chart).to_be_visible()
    panels = tables["panels"]
    assert panels.title == "Panels" and panels.header == ["Measure", "Panels"]
    opened, closed, open_now = (panels.cell(row) for row in ("Opened in the period", "Closed in the period", "Open now"))
    expect(panels_chart).to_have_accessible_name(re.compile(rf"Opened in the period: {opened}; Closed in the period: {closed}"))
    assert int(opened) == demo.ern_panels  # the seed opened every demo panel today
    assert int(closed) >= 1  # "red kite"
    assert int(open_now) == int(opened) - int(closed)
    assert sum(int(n) for _phase, n in tables["open"].rows) == int(open_now)
    invitations = tables["invitations"]
    assert int(invitations.cell("Sent")) >= 1 and int(invitations.cell("Accepted")) >= 1
    assert tables["follow_up"].cell("Advice followed fully") == "0"  # no follow-up answered yet
    assert tables["follow_up"].cell("Advice followed rate (%)") == ""
    threshold = threshold_of(page)
    assert threshold > 1

    # The CSV: a line per cell (table, row, column, value).
    path = download(page, "Download as CSV")
    with path.open(encoding="utf-8-sig", newline="") as stream:
        lines = list(csv.reader(stream))
    assert lines[0] == ["Table", "Row", "Column", "Value"]
    in_csv: dict[tuple[str, str, str], str] = {}
    for title, row, column, value in lines[1:]:
        assert (title, row, column) not in in_csv, (title, row, column)
        in_csv[(title, row, column)] = value
    on_page = {
        (table.title, row[0], table.header[position]): value
        for table in tables.values()
        for row in table.rows
        for position, value in enumerate(row[1:], start=1)
    }
    assert set(in_csv) == set(on_page)
    for key, shown in on_page.items():
        assert in_csv[key] in (shown, f"< {threshold}", "hidden"), (key, shown, in_csv[key])  # hidden: secondary suppression
    for measure in ("Opened in the period", "Closed in the period", "Open now"):
        assert in_csv[("Panels", measure, "Panels")] == leaving(panels.cell(measure), threshold), measure
    assert len(invitations.rows) == 6
    for label, number in invitations.rows:
        assert in_csv[(invitations.title, label, "Number")] == leaving(number, threshold), label

    # The XLSX: a sheet per table, its header, then its rows.
    workbook = openpyxl.load_workbook(io.BytesIO(download(page, "Download as XLSX").read_bytes()), read_only=True)
    assert set(workbook.sheetnames) >= {key for key, table in tables.items() if table.rows}
    for sheet_name, table in tables.items():
        if not table.rows:
            continue
        sheet = [list(line) for line in workbook[sheet_name].iter_rows(values_only=True)]
        assert [str(h) for h in sheet[0]] == table.header, sheet_name
        assert len(sheet) - 1 == len(table.rows), sheet_name
        for got, table_row in zip(sheet[1:], table.rows, strict=True):
            assert str(got[0]) == table_row[0], (sheet_name, got, table_row)
            for value, cell in zip(got[1:], table_row[1:], strict=True):
                assert same(value, cell) or value in (f"< {threshold}", "hidden"), (sheet_name, got, table_row)
    workbook_panels = {line[0]: line[1] for line in workbook["panels"].iter_rows(min_row=2, values_only=True)}
    workbook_invitations = {line[0]: line[1] for line in workbook["invitations"].iter_rows(min_row=2, values_only=True)}
    workbook.close()
    for measure in ("Opened in the period", "Closed in the period", "Open now"):
        assert same(workbook_panels[measure], leaving(panels.cell(measure), threshold)), (measure, workbook_panels[measure])
    for label, number in invitations.rows:
        assert same(workbook_invitations[label], leaving(number, threshold)), (label, workbook_invitations[label])
    sign_out(page)


# ---- Research ------------------------------------------------------------------------------------------------------


def _folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def identifying_values() -> list[str]:
    """Every demo patient's names and birth date, in the spellings a dataset could carry them."""
    values: list[str] = []
    for _centre, _ern, _by, first, last, _gender, born_text, _registry in PATIENTS:
        born = datetime.strptime(born_text, "%d/%m/%Y").date()
        month = MONTHS[born.month - 1]
        values += [first, last, _folded(first), _folded(last), f"{first} {last}"]
        values += [
            born.strftime("%d/%m/%Y"),
            born.isoformat(),
            f"{born.day} {month} {born.year}",
            f"{born.day:02d} {month} {born.year}",
            f"{born.day} {month[:3]} {born.year}",
            f"{born.day:02d}/{month[:3]}/{born.year}",
            born.strftime("%d.%m.%Y"),
            born.strftime("%m/%d/%Y"),
            born.strftime("%Y%m%d"),
        ]
    return sorted(set(values))


def assert_nothing_identifying(text: str, where: str) -> None:
    for value in identifying_values():
        pattern = rf"(?<!\w){re.escape(value)}(?!\w)"  # whole words: "Eva" is not "evaluation"
        assert not re.search(pattern, text, re.IGNORECASE), (where, value)


@pytest.mark.browser
def test_a_researcher_searches_by_orpha_code_and_downloads_valid_phenopackets_without_identifying_data(page: Page, demo: Demo) -> None:
    sign_in(page, *RESEARCHER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Research", exact=True).click()
    expect(page.get_by_role("heading", name="Research datasets", level=1)).to_be_visible()
    page.get_by_role("textbox", name="Codes (ORPHA, ICD-10, HPO)").fill(demo.released_code)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("status").filter(has_text=re.compile(r"^\d+ panels?$"))).to_have_text("1 panel")
    row = page.get_by_role("row").filter(has_text=f"#{demo.released_id} {RELEASED}")
    expect(row).to_be_visible()
    expect(row).to_contain_text(demo.released_code)
    assert_accessible(page, "research search results")
    body = page.locator("main").inner_text()
    assert_nothing_identifying(body, "research page")

    archive = zipfile.ZipFile(download(page, "Download Phenopackets (ZIP)"))
    assert archive.namelist() == [f"panel-{demo.released_id}.json"]
    validator = phenopacket_validator()
    for name in archive.namelist():
        text = archive.read(name).decode("utf-8")
        data = json.loads(text)
        assert [error.message for error in validator.iter_errors(data)] == [], name
        packet = json_format.Parse(text, pp.Phenopacket(), ignore_unknown_fields=False)  # strict: no unknown field
        assert packet.subject.id == f"panel-{demo.released_id}"
        assert [disease.term.id for disease in packet.diseases] == [demo.released_code]
        assert "dateOfBirth" not in data["subject"]
        for spelt in (text, json.dumps(data, ensure_ascii=False)):  # as sent, and with \\u escapes read back
            assert_nothing_identifying(spelt, name)
    sign_out(page)


# ---- Recognition ---------------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_member_downloads_the_certificate_of_her_contributions(page: Page, demo: Demo) -> None:
    sign_in(page, *MEMBER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My contributions", exact=True).click()
    expect(page.get_by_role("heading", name="My contributions", level=1)).to_be_visible()
    expect(page.locator("#contributions").get_by_role("row").filter(has_text=f"#{demo.released_id} {RELEASED}")).to_be_visible()
    assert_accessible(page, "my contributions")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the certificate").click()
    path = info.value.path()
    assert path is not None and info.value.suggested_filename.endswith(".pdf")
    text = "\n".join(p.extract_text() or "" for p in PdfReader(path).pages)
    assert "Hanna Peeters" in text, text
    assert f"#{demo.released_id}" in text, text
    assert_nothing_identifying(text, "certificate")
    assert RELEASED not in text  # panels by number only
    sign_out(page)


# ---- Follow-up -----------------------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def fire_timers_months_after_sign_off(live_server: LiveServer, panel_id: int, months: int, extra: timedelta) -> None:
    with live_server.app.app_context():
        outcome = db.session.scalar(select(Outcome).where(Outcome.panel_id == panel_id))
        assert outcome is not None and outcome.signed_at is not None
        instance = db.session.scalar(
            select(ProcessInstance).where(ProcessInstance.process_id == follow_up.PROCESS_ID, ProcessInstance.subject_id == outcome.id)
        )
        assert instance is not None, "signing the outcome off started no follow-up"
        due = follow_up.months_after(_utc(outcome.signed_at), months)
        db.session.remove()
        fire_due_timers(due + extra)  # its own transactions
        db.session.remove()


def follow_ups_of(live_server: LiveServer, panel_id: int) -> list[tuple[str, str, int, date]]:
    with live_server.app.app_context():
        rows = db.session.scalars(select(FollowUp).where(FollowUp.panel_id == panel_id)).all()
        found = [(r.advice_followed, r.diagnosis, r.months, _utc(r.answered_at).date()) for r in rows]
        db.session.remove()
    return found


@pytest.mark.browser
def test_a_follow_up_arrives_after_its_timer_and_its_answer_shows_in_the_report(page: Page, live_server: LiveServer, demo: Demo) -> None:
    # A minute before the three months are up: nothing for the patient's centre yet.
    fire_timers_months_after_sign_off(live_server, demo.signed_id, 3, -timedelta(minutes=1))
    sign_in(page, *CENTRE_CLINICIAN)
    waiting = page.get_by_role("region", name="Waiting for you")
    expect(waiting.get_by_role("link", name=FOLLOW_UP_TASK)).to_have_count(0)

    fire_timers_months_after_sign_off(live_server, demo.signed_id, 3, timedelta(minutes=1))
    page.reload()
    expect(waiting.get_by_role("link", name=FOLLOW_UP_TASK)).to_have_count(1)
    waiting.get_by_role("link", name=FOLLOW_UP_TASK).click()
    expect(page.get_by_role("heading", name=FOLLOW_UP_TASK, level=1)).to_be_visible()
    page.get_by_role("group", name=re.compile(r"^No further follow-up is needed")).get_by_label("No", exact=True).check()
    page.get_by_role("group", name=re.compile(r"^Was the advice followed\?")).get_by_label("Fully", exact=True).check()
    page.get_by_role("textbox", name=re.compile(r"^How is the patient now\?")).fill("In remission after six cycles.")
    page.get_by_role("group", name=re.compile(r"^The panel.s diagnosis")).get_by_label("Confirmed", exact=True).check()
    assert_accessible(page, "follow-up form")
    page.get_by_role("button", name="Send the follow-up").click()
    expect(page.get_by_role("heading", name=FOLLOW_UP_TASK, level=1)).to_have_count(0)
    answers = follow_ups_of(live_server, demo.signed_id)
    assert [(a, d, m) for a, d, m, _day in answers] == [("fully", "confirmed", 3)], answers
    answered_on = answers[0][3]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard", exact=True).click()
    expect(waiting.get_by_role("link", name=FOLLOW_UP_TASK)).to_have_count(0)
    sign_out(page)

    # The coordinator's report over a period holding the answer's (real) date.
    sign_in(page, *COORDINATOR)
    tables = open_report(page, answered_on - timedelta(days=7), answered_on)
    figures = tables["follow_up"]
    assert figures.title == "Follow-up answers given in the period"
    assert figures.cell("Advice followed fully") == "1"
    assert figures.cell("Advice followed partly") == "0" and figures.cell("Advice not followed") == "0"
    assert figures.cell("Diagnosis confirmed") == "1"
    assert float(figures.cell("Advice followed rate (%)")) == 100.0
    assert float(figures.cell("Diagnosis changed rate (%)")) == 0.0
    # In the CSV, one answer is a small count, and a rate measured on it is left out the same way.
    threshold = threshold_of(page)
    with download(page, "Download as CSV").open(encoding="utf-8-sig", newline="") as stream:
        in_csv = {(title, row): value for title, row, _column, value in list(csv.reader(stream))[1:]}
    assert in_csv[(figures.title, "Advice followed fully")] == leaving("1", threshold) == f"< {threshold}"
    assert in_csv[(figures.title, "Advice followed rate (%)")] == f"< {threshold}"
    assert in_csv[(figures.title, "Advice not followed")] == "0"
    assert_accessible(page, "ERN report with a follow-up answer")
