"""Issue 16: after a journey that plants the canary patient's identity in every identifying field and in every file type
the app accepts, everything each person outside the patient's centre can reach (pages, downloads, PDFs, DICOM headers,
mails, log lines) is searched for it in every common spelling: nothing is found. The same crawl inside the centre finds
the identity, so it is not blind.

Plain HTTP (the Flask test client) on the demo data, committed in a database of its own; no browser.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field

import pytest
from flask import Flask
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.mail.models import OutgoingMail
from app.mail.services import send_pending_mail
from tests import factories
from tests.conftest import SeededDemo
from tests.conftest import copy_of_demo
from tests.conftest import drop_database_url
from tests.privacy import canaries
from tests.privacy import crawler
from tests.privacy import files
from tests.privacy import journey
from tests.privacy.journey import Canary

PAGES_PER_PERSON = 400
OUTSIDERS = [
    journey.BRNO,
    journey.GUEST,
    journey.PANEL_MANAGER,
    journey.NOT_ON_PANEL,
    journey.COORDINATOR,
    journey.ERN_MANAGER,
    journey.RESEARCHER,
]
INSIDERS = [journey.LEAD, journey.COLLEAGUE]
# Who sees which of the canary's panels (SPEC §3): members, the ERN's coordinators and panel managers; the ERN's
# researchers once a panel is released. The ERN manager and an expert on neither panel see none.
SEES_BOTH_PANELS = {journey.BRNO, journey.GUEST, journey.PANEL_MANAGER, journey.COORDINATOR}


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.levelname}: {record.getMessage()}")


@dataclass
class CanaryWorld:
    app: Flask
    canary: Canary
    people: journey.People
    log: _Lines
    crawls: dict[str, crawler.Crawl] = field(default_factory=dict)


@pytest.fixture(scope="module")
def canary_world(seeded_demo: SeededDemo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CanaryWorld]:
    """The demo data (a copy of the session's) and the canary's journey, committed in a database of its own; every log
    line written meanwhile."""
    app, database_url = copy_of_demo(seeded_demo, tmp_path_factory.mktemp("privacy"), "privacy")
    log = _Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(log)
    root.setLevel(logging.INFO)
    try:
        people = journey.People(app)
        canary = journey.run(app, seeded_demo.day, people)  # the day the demo data were seeded as
        yield CanaryWorld(app, canary, people, log)
        with app.app_context():
            db.engine.dispose()
    finally:
        root.removeHandler(log)
        root.setLevel(level)
        drop_database_url(database_url)


def crawl_as(canary_world: CanaryWorld, email: str) -> crawler.Crawl:
    """Everything ``email`` reaches from the dashboard, and by typing the URLs of the canary's objects (once per module)."""
    if email not in canary_world.crawls:
        person = canary_world.people[email]
        seeds = ["/", *canary_world.canary.typed_urls()]
        canary_world.crawls[email] = crawler.crawl(person.client, email, seeds, canary_world.canary.about(), PAGES_PER_PERSON)
    return canary_world.crawls[email]


def _reach_expected(canary_world: CanaryWorld, email: str) -> dict[str, int]:
    """URLs that must answer 200 (so that the crawl saw what the person may see) or 404 (what they may not)."""
    canary = canary_world.canary
    closed, still_open = canary.closed_panel_id, canary.open_panel_id
    pdf_on_panel = min(canary.panel_documents)
    dicom_on_panel = max(canary.panel_images)
    sees_closed = email in SEES_BOTH_PANELS or email == journey.RESEARCHER
    sees_open = email in SEES_BOTH_PANELS
    expected = {f"/patients/{canary.patient_id}": 404, f"/documents/{canary.letter_id}/download": 404}
    expected |= {f"/documents/{held}/download": 404 for held in canary.held_documents}
    for url in (f"/panels/{closed}", f"/panels/{closed}/outcome.pdf", f"/panels/{closed}/consultation.pdf"):
        expected[url] = 200 if sees_closed else 404
    for url in (f"/documents/{pdf_on_panel}/download", f"/documents/{dicom_on_panel}/download", f"/documents/{dicom_on_panel}/header"):
        expected[url] = 200 if sees_closed else 404
    expected[f"/panels/{still_open}?tab=contributions"] = 200 if sees_open else 404
    # The ERN's managers inspect its processes (routing flags only); nobody else does.
    expected[f"/erns/EuroBloodNet/processes/instances/{canary.instances[0]}"] = 200 if email == journey.ERN_MANAGER else 403
    return expected


@pytest.mark.parametrize("email", OUTSIDERS)
def test_nothing_anyone_outside_the_centre_can_reach_names_the_patient(canary_world, email):
    """Every page, download, PDF and DICOM header reachable by this person outside BE10 holds none of the canary's
    values in any spelling; and the crawl did reach what the person may see (so the silence means something)."""
    result = crawl_as(canary_world, email)
    expected = _reach_expected(canary_world, email)
    reached = result.visited
    problems = [f"{url} answered {reached.get(url)}, not {want}" for url, want in expected.items() if reached.get(url) != want]
    problems += [f"{url} answered {status}" for url, status in reached.items() if status >= 500]
    problems += crawler.summary(result.findings, canary_world.canary.described)
    accepted = [what for what, outcome in canary_world.canary.probes if outcome == "ACCEPTED"]
    cause = f"(the journey wrote the canary into free texts the app accepted: {', '.join(accepted)})\n" if accepted else ""
    assert not problems, f"{email} after {len(result.visited)} answers:\n{cause}" + "\n".join(problems)


@pytest.mark.parametrize("email", INSIDERS)
def test_the_same_crawl_finds_the_patient_inside_the_centre(canary_world, email):
    """Not blind: at BE10 the same crawl finds the name on the patient's page and in the text of the centre's letter."""
    result = crawl_as(canary_world, email)
    canary = canary_world.canary
    found = {(f.url, f.where) for f in result.findings if canaries.LAST_NAME.casefold() in f.spelling.casefold()}
    assert (f"/patients/{canary.patient_id}", "body") in found, sorted(found)
    letter = {url for url, where in found if where == "PDF page text"}
    assert f"/documents/{canary.letter_id}/download" in letter, sorted(found)
    assert not [url for url, status in result.visited.items() if status >= 500]


@pytest.mark.parametrize(
    ("media_type", "content", "readings"),
    [
        ("application/pdf", files.clean_pdf, {"PDF metadata", "PDF XMP metadata", "body"}),
        ("application/pdf", files.letter_pdf, {"PDF page text", "PDF metadata", "PDF XMP metadata", "body"}),
        ("image/png", files.png, {"body"}),
        ("image/jpeg", files.jpeg, {"body"}),
        ("application/dicom", lambda: files.dicom(1), {"DICOM elements", "body"}),
    ],
    ids=["pdf", "letter", "png", "jpeg", "dicom"],
)
def test_the_search_finds_the_patient_in_every_file_type_as_it_was_uploaded(media_type, content, readings):
    """Not blind for files either: the files the journey uploads, as they were before the app had them, are found to name
    the patient in every way the crawl reads them (PDF page text and metadata, DICOM elements, raw bytes)."""
    texts = crawler.texts_of(media_type, content(), [("Content-Type", media_type)])
    found = crawler.findings_in("uploader", "original", 200, media_type, texts)
    assert {f.where for f in found if canaries.LAST_NAME.casefold() in f.spelling.casefold()} >= readings
    assert {f.spelling.casefold() for f in found} >= {canaries.FIRST_NAME.casefold(), f"{canaries.BIRTH_DATE:%d/%m/%Y}"}


def test_no_mail_to_anyone_outside_the_centre_names_the_patient(canary_world, inbox):
    """Every mail queued during the journey, as stored and as delivered over SMTP, to anyone outside BE10, holds none
    of the canary's values; mails did reach them about the canary's panels (so the search read the right ones)."""
    with canary_world.app.app_context():
        outsiders = set(OUTSIDERS)
        stored = [m for m in db.session.scalars(select(OutgoingMail)) if m.recipient in outsiders]
        mails = [(m.recipient, m.subject, m.body + m.attachment) for m in stored]  # a meeting's .ics too
        while send_pending_mail(inbox.settings):  # a hundred at a time
            pass
    about_panels = [m for m in mails if any(f"#{panel}" in m[1] + m[2] for panel in canary_world.canary.panels)]
    assert {recipient for recipient, _s, _b in about_panels} >= {journey.BRNO, journey.GUEST}, mails
    findings = []
    for recipient, subject, body in mails:
        texts = [("mail subject", subject), ("mail body", body)]
        findings += crawler.findings_in(recipient, "outbox", 0, "message/rfc822", texts)
    for recipients, message in inbox.mails:
        if set(recipients) & outsiders:
            findings += crawler.findings_in(",".join(recipients), "SMTP", 0, "message/rfc822", [("delivered mail", message.as_string())])
    assert not findings, "\n".join(crawler.summary(findings))


def test_no_log_line_names_the_patient(canary_world):
    """What the app logged during the journey and the crawls (after them, so every crawl has run) names no one."""
    for email in OUTSIDERS + INSIDERS:
        crawl_as(canary_world, email)
    found = [line for line in canary_world.log.lines if canaries.hits(line)]
    assert not found, "\n".join(found[:20])


API_LISTS = ("/api/v1/me", "/api/v1/patients", "/api/v1/panels", "/api/v1/tasks", "/api/v1/notifications")


def _api_answers(canary_world: CanaryWorld, email: str) -> dict[str, tuple[int, str]]:
    """Everything ``email``'s personal access token reads: every list to its last page, the canary's patient, its
    panels with their consultation forms and documents, each listed task and its draft; and the outcome exports."""
    app, canary = canary_world.app, canary_world.canary
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        headers = {"Authorization": f"Bearer {factories.api_token(user, scope='read')}"}
    client = app.test_client()
    answers: dict[str, tuple[int, str]] = {}

    def read(url: str) -> dict:
        response = client.get(url, headers=headers)
        answers[url] = (response.status_code, response.get_data(as_text=True))
        return response.get_json(silent=True) or {}

    for listed in API_LISTS:
        page = read(listed)
        while page.get("next_cursor"):
            page = read(f"{listed}?cursor={page['next_cursor']}")
            if listed == "/api/v1/tasks":
                for task in page.get("items", []):
                    read(f"/api/v1/tasks/{task['id']}")
                    read(f"/api/v1/tasks/{task['id']}/draft")
    for task in read("/api/v1/tasks").get("items", []):
        read(f"/api/v1/tasks/{task['id']}")
        read(f"/api/v1/tasks/{task['id']}/draft")
    read(f"/api/v1/patients/{canary.patient_id}")
    for panel in (canary.closed_panel_id, canary.open_panel_id):
        for url in (f"/api/v1/panels/{panel}", f"/api/v1/panels/{panel}/consultation", f"/api/v1/panels/{panel}/documents"):
            read(url)
        for url in (f"/panels/{panel}/outcome.fhir.json", f"/panels/{panel}/outcome.phenopacket.json"):
            response = canary_world.people[email].get(url)
            answers[url] = (response.status_code, response.get_data(as_text=True))
    return answers


@pytest.mark.parametrize("email", OUTSIDERS)
def test_nothing_the_api_and_the_standard_exports_give_outside_the_centre_names_the_patient(canary_world, email):
    """The same search over what a token reads through the API (and the outcome's FHIR and Phenopacket downloads):
    outside BE10, no canary value; the patient's record itself is a 404."""
    answers = _api_answers(canary_world, email)
    assert answers[f"/api/v1/patients/{canary_world.canary.patient_id}"][0] == 404
    assert not [url for url, (status, _text) in answers.items() if status >= 500]
    found = {url: canaries.hits(text) for url, (_status, text) in answers.items() if canaries.hits(text)}
    assert found == {}
    if email == journey.RESEARCHER:  # the released panel's FHIR bundle reaches researchers in the dataset download
        bundles = canary_world.people[email].get("/research/fhir-bundles.zip")
        assert bundles.status_code == 200
        with zipfile.ZipFile(io.BytesIO(bundles.get_data())) as archive:
            assert archive.namelist() and not [name for name in archive.namelist() if canaries.hits_in_bytes(archive.read(name))]


def test_inside_the_centre_the_api_names_the_patient_and_the_exports_still_do_not(canary_world):
    """Not blind: BE10's lead reads the patient through the API; the outcome's exports, which leave the centre, hold
    no canary value even for her."""
    answers = _api_answers(canary_world, journey.LEAD)
    canary = canary_world.canary
    assert canaries.hits(answers[f"/api/v1/patients/{canary.patient_id}"][1])
    for kind in ("fhir", "phenopacket"):
        status, text = answers[f"/panels/{canary.closed_panel_id}/outcome.{kind}.json"]
        assert status == 200 and canaries.hits(text) == []
