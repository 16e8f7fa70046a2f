"""The scripted journey of the canary patient, over HTTP as users would drive it, on the demo data.

At BE10 (EuroBloodNet) Hanna Peeters (hp1) enrols the canary patient with their identity, attaches files of every
accepted type with the identity hidden inside (PDF metadata, PNG and JPEG text, DICOM headers, a zipped study) to the
patient's record and to panels, and runs two panels:

- panel A, the whole life: consultation form, co-ordinator assistance, experts of Brno (hp2) and of the guest centre
  invited, accepting and contributing, a comment, an additional-data request and its answer, a further contribution, the
  outcome drafted, reviewed, signed off, an addendum, closed and released for research; a series held for review and
  shared after it;
- panel B, still in assessment: an invitation unanswered, a contribution task waiting, a data request open, a series
  held for review and never shared.

Every pseudonymised free text (nickname, consultation form, selection note, suggestion, contributions, comments, data
requests and answers, outcome, addendum, closing note, document title) is first written with the canary's name and birth
date: what the app did is noted in ``Canary.probes``; where it refused, the clean text follows. Where it accepted, the
canary stays, and the crawl shows where it is seen. Each such field is also probed on its own, name and birth date
apart, in test_free_text_refusals.py.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from typing import Any

import lxml.html
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.test import TestResponse

from app.accounts.models import User
from app.database import db
from app.demo.data import DEMO_PASSWORD
from app.documents.models import HELD
from app.documents.models import Document
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.tasks.form_definitions import FieldDefinition
from app.tasks.form_definitions import load_form_definitions
from app.tasks.models import OpenTask
from app.workflows.models import ProcessInstance
from tests.privacy import canaries
from tests.privacy import files
from tests.privacy.crawler import DOCUMENT_VIEWS

DEMO = "@demo.consilium.eu"
LEAD = f"hp1{DEMO}"  # BE10, the patient's centre
COLLEAGUE = f"hp5{DEMO}"  # BE10, on no panel of the patient
BRNO = f"hp2{DEMO}"  # CZ08: invited, accepts, contributes
GUEST = f"guest{DEMO}"  # the guest virtual centre: invited, accepts, contributes
PANEL_MANAGER = f"hp3{DEMO}"  # FR08, and panel manager of the whole ERN
NOT_ON_PANEL = f"hp4{DEMO}"  # IT10: an expert of the ERN on no panel of the patient
COORDINATOR = f"coordinator{DEMO}"
ERN_MANAGER = f"manager{DEMO}"
RESEARCHER = f"researcher{DEMO}"
AREA = "Rare lymphomas"
# What a careless writer puts in a pseudonymised free text (short enough for every field).
IDENTIFYING = f"{canaries.FIRST_NAME} {canaries.LAST_NAME}, born {canaries.BIRTH_DATE:%d/%m/%Y}"


def clean_answers(fields: list[FieldDefinition], nickname: str) -> dict[str, Any]:
    """An answer for every field of a form (every section and repeatable entry filled), none of them identifying."""
    answers: dict[str, Any] = {}
    for definition in fields:
        if definition.type == "group":
            for sub in definition.entry_fields:
                answers[f"{definition.name}-0-{sub.name}"] = _clean_value(sub)
        else:
            answers[definition.name] = _clean_value(definition)
    answers["nickname"] = nickname
    return answers


def planted_answers(fields: list[FieldDefinition]) -> dict[str, Any]:
    """The canary in every free text of a form but the nickname (probed on its own), the birth date in every date."""
    planted: dict[str, Any] = {}
    for definition in fields:
        for name, sub in [(f"{definition.name}-0-{s.name}", s) for s in definition.entry_fields] or [(definition.name, definition)]:
            if sub.type in ("text", "long_text") and name != "nickname":
                planted[name] = IDENTIFYING[: sub.max_length]
            elif sub.type == "partial_date":
                planted[name] = f"{canaries.BIRTH_DATE:%d/%m/%Y}"
    return planted


def _clean_value(definition: FieldDefinition) -> Any:
    kind = definition.type
    if kind in ("yes_no", "single_choice"):
        return definition.choices[0][0]
    if kind == "multiple_choice":
        return [definition.choices[0][0]]
    if kind == "partial_date":
        return "03/2020"
    if kind == "date":
        return "01/03/2020"
    if kind in ("coded_term", "phenotype"):
        return ""  # codes carry no free text; left empty, the terminologies need not load (about 10 s)
    if kind == "number":
        return "1"
    return f"Pseudonymised {definition.name.replace('_', ' ')}: relapse after first-line treatment."[: definition.max_length]


class Person:
    """One demo account signed in over HTTP (the Flask test client: the real routes, session and redirects)."""

    def __init__(self, app: Flask, email: str) -> None:
        self.app, self.email = app, email
        self.client: FlaskClient = app.test_client()
        response = self.client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, f"{email} cannot sign in: {problems(response)}"

    def get(self, url: str) -> TestResponse:
        return self.client.get(url, buffered=True)

    def post(self, url: str, data: dict[str, Any], expect: int = 302, **kwargs: Any) -> TestResponse:
        response = self.client.post(url, data=data, buffered=True, **kwargs)
        assert response.status_code == expect, f"{self.email} POST {url}: {response.status_code} {problems(response)}"
        return response

    def complete(self, task_id: str, answers: dict[str, Any]) -> str:
        """Submit a task's form; returns where the app sent the person next."""
        return self.post(f"/tasks/{task_id}", answers).location

    def write(
        self, what: str, url: str, clean: Any, planted: dict[str, Any], probes: list[tuple[str, str]], *, then_clean: bool = True
    ) -> bool:
        """Send the ``clean`` answers with ``planted`` over them (the canary in pseudonymised fields) and note in
        ``probes`` whether the app refused them; if it did, send the clean answers (unless told not to). ``clean`` may be
        a function giving them, for answers that cannot be sent twice (files). True when the canary was accepted."""
        answers = clean if callable(clean) else lambda: dict(clean)
        response = self.client.post(url, data={**answers(), **planted}, buffered=True)
        if response.status_code < 400:
            probes.append((what, "ACCEPTED"))
            return True
        probes.append((what, f"refused {response.status_code}: {problems(response)}"))
        if then_clean:
            self.post(url, answers())
        return False

    def attach(self, url: str, named_files: list[tuple[str, bytes]], kind: str = "document", title: str = "") -> dict[str, Any]:
        """Upload files as the page's uploader does (one request, JSON answer); every file must be attached."""
        data = {"kind": kind, "title": title, "file": [(io.BytesIO(content), name) for name, content in named_files]}
        response = self.post(url, data, expect=200, content_type="multipart/form-data", headers={"Accept": "application/json"})
        summary = response.get_json()
        assert summary["attached"] >= len(named_files) and not summary["skipped"], summary  # a zip attaches each member
        return summary


class People(dict[str, Person]):
    """Each demo account signed in once (a password check costs about 0.4 s), on demand."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app

    def __missing__(self, email: str) -> Person:
        self[email] = Person(self.app, email)
        return self[email]


def problems(response: TestResponse) -> str:
    """What the page says went wrong (field messages, alerts, the error page), for assertion messages."""
    if response.mimetype != "text/html":
        return response.get_data(as_text=True)[:300]
    tree = lxml.html.document_fromstring(response.get_data(as_text=True) or "<p></p>")
    messages = tree.xpath("//*[contains(@class,'invalid-feedback') or contains(@class,'alert-danger')]//text()")
    messages += tree.xpath("//main//h1/following-sibling::p[1]//text()")
    return " ".join(" ".join(messages).split())[:600]


def task_of(app: Flask, subject_type: str, subject_id: int, name: str, email: str | None = None) -> str:
    """The engine id of the one open task called ``name`` about a subject (assigned to ``email`` when given)."""
    found = tasks_of(app, subject_type, subject_id, name, email)
    assert len(found) == 1, f"{len(found)} open '{name}' tasks on {subject_type} {subject_id}"
    return found[0]


def tasks_of(app: Flask, subject_type: str, subject_id: int, name: str, email: str | None = None) -> list[str]:
    """The engine ids of the open tasks called ``name`` about a subject (assigned to ``email`` when given)."""
    with app.app_context():
        query = select(OpenTask.engine_task_id).where(
            OpenTask.subject_type == subject_type, OpenTask.subject_id == subject_id, OpenTask.name == name
        )
        if email is not None:
            query = query.where(OpenTask.assignee_id == select(User.id).where(User.email == email).scalar_subquery())
        return list(db.session.scalars(query))


def subject_of(app: Flask, task_url: str) -> int:
    engine_task_id = task_url.rstrip("/").rsplit("/", 1)[-1]
    with app.app_context():
        subject = db.session.scalar(select(OpenTask.subject_id).where(OpenTask.engine_task_id == engine_task_id))
    assert subject is not None, task_url
    return int(subject)


def user_id(app: Flask, email: str) -> int:
    with app.app_context():
        found = db.session.scalar(select(User.id).where(User.email == email))
    assert found is not None, email
    return int(found)


@dataclass
class Canary:
    """Where the journey left the canary patient: their record, panels and documents."""

    patient_id: int = 0
    closed_panel_id: int = 0  # A: signed off, closed, released for research
    open_panel_id: int = 0  # B: in assessment
    record_documents: list[int] = field(default_factory=list)  # the patient's record at BE10 only
    panel_documents: list[int] = field(default_factory=list)  # shared with a panel
    panel_images: list[int] = field(default_factory=list)  # the DICOM files among them
    held_documents: list[int] = field(default_factory=list)  # held for review, never shared
    meeting_id: int = 0  # of panel B, with Brno's answer and a poll beside it
    feed_url: str = ""  # Brno's calendar feed (a secret address: typed by whoever has it)
    instances: list[int] = field(default_factory=list)  # the processes the journey started (enrolment, panels, invitations…)
    letter_id: int = 0  # the centre's letter naming the patient on its page
    probes: list[tuple[str, str]] = field(default_factory=list)  # (free text written with the canary, what the app did)
    described: dict[str, str] = field(default_factory=dict)  # URL prefix → what the document is, for reports

    @property
    def panels(self) -> set[int]:
        return {self.closed_panel_id, self.open_panel_id}

    def about(self) -> dict[str, set[int]]:
        """The canary's objects by the first part of their URLs."""
        return {
            "patients": {self.patient_id},
            "panels": self.panels,
            "documents": set(self.record_documents + self.panel_documents + self.held_documents),
            "instances": set(self.instances),
        }

    def typed_urls(self) -> list[str]:
        """Every URL of the canary's objects, as someone who guessed them would type them."""
        urls = [f"/patients/{self.patient_id}{view}" for view in ("", "/edit", "/erase", "/export.pdf", "/export.json")]
        for panel in sorted(self.panels):
            views = ("", "/consultation", "/consultation.pdf", "/outcome.pdf", "/consultation/history", "/consultation/versions/1")
            urls += [f"/panels/{panel}{view}" for view in views]
            urls += [f"/panels/{panel}?tab={tab}" for tab in ("consultation", "members", "meetings", "contributions")]
        for document in sorted(self.about()["documents"]):
            urls += [f"/documents/{document}/{view}" for view in DOCUMENT_VIEWS]
        urls += [f"/erns/EuroBloodNet/processes/instances/{instance}" for instance in self.instances]
        urls += [f"/meetings/{self.meeting_id}{view}" for view in ("", "/invite.ics", "/reschedule")] + [self.feed_url]
        return urls


def run(app: Flask, today: date, people: People) -> Canary:
    """Drive the whole journey; returns where the canary's data ended up."""
    canary = Canary()
    lead, brno, guest, coordinator = (people[email] for email in (LEAD, BRNO, GUEST, COORDINATOR))
    with app.app_context():
        centre = db.session.scalar(select(Centre.id).where(Centre.code == "BE10"))
        ern = db.session.scalar(select(Ern).where(Ern.code == "EuroBloodNet"))
        assert ern is not None
        area = next(a.id for a in ern.thematic_areas if a.name == AREA)
        ern_id = ern.id
        before = db.session.scalar(select(func.max(ProcessInstance.id))) or 0
    consultation_fields = load_form_definitions(app.config["FORMS_DIR"])["consultation"].fields

    # Enrolment: the identity goes where it belongs, the centre section.
    enrolment = lead.post("/patients/enrol", {"centre_id": centre, "ern_id": ern_id}).location
    shown = lead.complete(
        enrolment.rsplit("/", 1)[-1],
        {
            "enrolled_on": f"{today:%d/%m/%Y}",
            "consent_care": "yes",
            "consent_care_date": f"{today:%d/%m/%Y}",
            "consent_registry": "yes",
            "registry_name": "EuroBloodNet registry",
            "consent_registry_date": f"{today:%d/%m/%Y}",
            "consent_research": "yes",
            "consent_research_date": f"{today:%d/%m/%Y}",
            "first_name": canaries.FIRST_NAME,
            "last_name": canaries.LAST_NAME,
            "gender": "female",
            "date_of_birth": f"{canaries.BIRTH_DATE:%d/%m/%Y}",
            "record_label": canaries.RECORD_LABEL,
        },
    )
    canary.patient_id = int(re.search(r"/patients/(\d+)", shown).group(1))  # type: ignore[union-attr]
    record = f"/patients/{canary.patient_id}/documents"
    lead.attach(record, [("referral-letter.pdf", files.letter_pdf())])
    lead.attach(record, [("scan.png", files.png()), ("photo.jpg", files.jpeg())])
    lead.attach(record, [("ct-1.dcm", files.dicom(1)), ("ct-2.dcm", files.dicom(2))])
    lead.attach(record, [("study.zip", files.zipped_study(1, range(1, 3)))])

    # Panel A: its whole life.
    task = lead.post("/panels/open", {"patient_id": canary.patient_id, "thematic_area_id": area}).location
    panel = canary.closed_panel_id = subject_of(app, task)
    probes, consultation = canary.probes, clean_answers(consultation_fields, "grey heron")
    if not lead.write("consultation nickname", task, consultation, {"nickname": IDENTIFYING}, probes, then_clean=False):
        lead.write("consultation form: every other free text and date", task, consultation, planted_answers(consultation_fields), probes)
    attach_to_panel(lead, panel)

    def letter() -> dict[str, Any]:
        return {"kind": "document", "title": "Letter", "file": [(io.BytesIO(files.plain_pdf()), "letter.pdf")]}

    lead.write("document title", f"/panels/{panel}/documents", letter, {"title": IDENTIFYING}, probes)
    held = held_series(app, panel)
    lead.post(f"/documents/{held}/share", {})
    lead.post(f"/panels/{panel}/assistance", {})
    suggestion = f"/tasks/{task_of(app, 'panel', panel, 'suggest_experts')}"
    coordinator.write("expert suggestion", suggestion, {"suggestion": "Brno and the guest centre."}, {"suggestion": IDENTIFYING}, probes)
    lead.post(f"/panels/{panel}/invite", {"user_id": [user_id(app, BRNO), user_id(app, GUEST)]})
    selection = f"/tasks/{task_of(app, 'panel', panel, 'select_experts')}"
    lead.write("panel selection note", selection, {"note": "Selection complete."}, {"note": IDENTIFYING}, probes)
    for member in (brno, guest):
        member.complete(task_of(app, "panel", panel, "answer_invitation", member.email), {"answer": "accept"})
        contribution = f"/tasks/{task_of(app, 'panel', panel, 'record_contribution', member.email)}"
        clean = {"text": "Second-line regimen; re-stage after three cycles.", "hours": "1", "minutes": "15"}
        member.write("contribution", contribution, clean, {"text": IDENTIFYING}, probes)
    brno.write("comment", f"/panels/{panel}/comment", {"text": "Agreed with the plan."}, {"text": IDENTIFYING}, probes)
    question = {"question": "Please share the latest PET-CT report."}
    brno.write("data request question", f"/panels/{panel}/data-requests", question, {"question": IDENTIFYING}, probes)
    for request in tasks_of(app, "panel", panel, "provide_additional_data"):  # two when the canary's question was accepted
        lead.write("data request answer", f"/tasks/{request}", {"answer": "PET-CT: partial response."}, {"answer": IDENTIFYING}, probes)
    further = {"text": "Lead's summary of the advice.", "hours": "0", "minutes": "30"}
    lead.write("further contribution", f"/panels/{panel}/contribute", further, {"text": IDENTIFYING}, probes)
    outcome = {
        "case_question": "Second-line treatment after relapse?",
        "recommendations": "Switch to the second-line regimen; re-stage after three cycles.",
        "diagnosis_codes": "ORPHA:85443",
        "follow_up": "Review of the re-staging in three months.",
    }
    draft = f"/tasks/{task_of(app, 'panel', panel, 'draft_outcome')}"
    lead.write("outcome: every text", draft, outcome, dict.fromkeys(outcome, IDENTIFYING), probes)
    guest.write("review comment", f"/panels/{panel}/comment", {"text": "The draft reads well."}, {"text": IDENTIFYING}, probes)
    lead.complete(task_of(app, "panel", panel, "sign_off_outcome"), {"decision": "sign_off", "sign_off_early": ["yes"]})
    lead.write("addendum", f"/panels/{panel}/addendum", {"text": "Re-stage after two cycles."}, {"text": IDENTIFYING}, probes)
    closing = f"/tasks/{task_of(app, 'panel', panel, 'close_panel')}"
    lead.write("closing note", closing, {"reason": "other", "note": "Advice given."}, {"note": IDENTIFYING}, probes)
    lead.post(f"/panels/{panel}/release", {})

    # Panel B: still in assessment, with work waiting on the experts and on the centre.
    task = lead.post("/panels/open", {"patient_id": canary.patient_id, "thematic_area_id": area}).location
    panel = canary.open_panel_id = subject_of(app, task)
    lead.complete(task.rsplit("/", 1)[-1], clean_answers(consultation_fields, "white stork"))
    lead.post(f"/panels/{panel}/invite", {"user_id": [user_id(app, BRNO), user_id(app, GUEST)]})
    lead.complete(task_of(app, "panel", panel, "select_experts"), {"note": ""})
    brno.complete(task_of(app, "panel", panel, "answer_invitation", BRNO), {"answer": "accept"})
    brno.post(f"/panels/{panel}/data-requests", {"question": "Is a bone-marrow biopsy planned?"})
    meet(canary, lead, brno, panel)
    lead.attach(f"/panels/{panel}/documents", [("capture.dcm", files.dicom(1, 2, burned_in=True))])

    with app.app_context():
        documents = db.session.scalars(select(Document).where(Document.patient_id == canary.patient_id)).all()
        documents_by_id = {d.id: d for d in documents}
        canary.record_documents = [d.id for d in documents if d.panel_id is None]
        canary.panel_documents = [d.id for d in documents if d.panel_id is not None and d.status != HELD]
        canary.held_documents = [d.id for d in documents if d.status == HELD]
        canary.panel_images = [d for d in canary.panel_documents if documents_by_id[d].media_type == "application/dicom"]
        canary.letter_id = min(canary.record_documents)
        canary.instances = list(db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.id > before)))
        for d in documents:
            place = f"panel {d.panel_id}" if d.panel_id else "the patient's record"
            canary.described[f"/documents/{d.id}/"] = f"{d.media_type} {d.title!r} ({d.kind}) on {place}{', held' if d.held else ''}"
    assert canary.held_documents, "the series with burned-in annotation was not held for review"
    return canary


def meet(canary: Canary, lead: Person, brno: Person, panel: int) -> None:
    """A meeting of panel B (title and agenda written with the canary first), Brno's answer with a note, a poll, and
    Brno's calendar feed."""
    day = date.today() + timedelta(days=10)  # meetings are ahead of the real clock, whatever the journey's day
    meeting = {"title": "Case review", "agenda": "Imaging first.", "day": day.isoformat(), "start_time": "10:00", "duration": "60"}
    meeting |= {"time_zone": "Europe/Brussels", "invitees": [user_id(lead.app, BRNO)]}
    new = f"/panels/{panel}/meetings/new"
    lead.write("meeting title and agenda", new, meeting, dict.fromkeys(("title", "agenda"), IDENTIFYING), canary.probes, then_clean=False)
    canary.meeting_id = int(lead.post(new, meeting).location.rsplit("/", 1)[-1])
    answer = f"/meetings/{canary.meeting_id}/answer"
    brno.write("meeting answer note", answer, {"answer": "accepted", "note": "Fine."}, {"note": IDENTIFYING}, canary.probes)
    poll = {"title": "Follow-up review", "agenda": "", "duration": "45", "time_zone": "Europe/Brussels"}
    for n in (1, 2):
        poll |= {f"slot_day_{n}": (day + timedelta(days=n)).isoformat(), f"slot_time_{n}": "09:00"}
    lead.write("meeting poll title", f"/panels/{panel}/polls/new", poll, {"title": IDENTIFYING}, canary.probes)
    page = brno.post("/calendar/feed", {}, expect=200).get_data(as_text=True)
    canary.feed_url = "/calendar/" + re.search(r"/calendar/([^\s\"<]+\.ics)", page).group(1)  # type: ignore[union-attr]


def attach_to_panel(person: Person, panel: int) -> None:
    """Files of every type to a panel: documents, a case summary, an image series, and one held for review."""
    url = f"/panels/{panel}/documents"
    person.attach(url, [("summary.pdf", files.clean_pdf())], kind="summary")
    person.attach(url, [("report.pdf", files.clean_pdf()), ("scan.png", files.png()), ("photo.jpg", files.jpeg())])
    person.attach(url, [("ct-1.dcm", files.dicom(1)), ("ct-2.dcm", files.dicom(2))])
    person.attach(url, [("capture.dcm", files.dicom(1, 2, burned_in=True))])


def held_series(app: Flask, panel: int) -> int:
    with app.app_context():
        found = db.session.scalar(select(Document.id).where(Document.panel_id == panel, Document.status == HELD))
    assert found is not None, f"nothing held for review on panel {panel}"
    return int(found)
