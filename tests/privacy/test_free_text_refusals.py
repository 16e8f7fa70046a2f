"""Issue 16: a pseudonymised free text (nickname, consultation form, contributions, comments, data requests and answers,
outcome, addendum, notes, suggestions, document titles) given the canary patient's name or birth date is refused with a
message, before anything is stored: such text is shown outside the patient's centre.

Each test brings a panel to the step where the text is written (through the services), then writes it over HTTP as the
person would: once with the patient's name, once with their birth date. A probe that is accepted is listed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.panels import services as panel_services
from app.panels.models import Contribution
from app.panels.models import ContributionComment
from app.patients.models import Patient
from app.tasks import queries as task_queries
from app.tasks.form_definitions import FieldDefinition
from tests import factories
from tests.factories import ORIGIN
from tests.factories import complete
from tests.privacy import canaries
from tests.privacy import files
from tests.privacy.journey import problems

AREA = "Amyloidosis"
NAME = f"{canaries.FIRST_NAME} {canaries.LAST_NAME}"
BIRTH_DATE = f"born {canaries.BIRTH_DATE:%d/%m/%Y}"
PROBES = {"name": NAME, "birth date": BIRTH_DATE}
CLEAN = "Relapse after first-line treatment."


@dataclass
class Probes:
    """What became of each identifying text: refused as invalid input (with the page's message) or accepted."""

    outcomes: list[tuple[str, str, str]] = field(default_factory=list)  # (field, probe, outcome)

    def record(self, where: str, probe: str, response) -> bool:
        """Note the answer to one probe; True when it was accepted (nothing refused it)."""
        accepted = response.status_code < 400
        if accepted:
            outcome = "ACCEPTED"
        elif response.status_code == 422:
            outcome = f"refused: {problems(response) or '(no message shown)'}"
        else:  # not a refusal of the text: the step was not open to this person (a broken test, or a broken app)
            outcome = f"UNEXPECTED {response.status_code}: {problems(response)}"
        self.outcomes.append((where, probe, outcome))
        return accepted

    def check(self) -> None:
        wrong = [f"{where} took the {probe}" for where, probe, outcome in self.outcomes if outcome == "ACCEPTED"]
        wrong += [f"{where}, {probe}: {outcome}" for where, probe, outcome in self.outcomes if outcome.startswith("UNEXPECTED")]
        wrong += [f"{where}, {probe}: {outcome}" for where, probe, outcome in self.outcomes if "(no message shown)" in outcome]
        assert not wrong, "\n".join(wrong)


class _OwnUserClient(FlaskClient):
    """A test client that signs in as its own user on every request. The test's app context outlives requests here,
    so Flask-Login's user cached in ``g`` by another client's request would otherwise answer for this one."""

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def signed_in(app, user: User) -> FlaskClient:
    client = _OwnUserClient(app, app.response_class, use_cookies=True)
    assert client.post("/login", data={"email": user.email, "password": factories.PASSWORD}).status_code == 302
    return client


@pytest.fixture
def canary(world) -> Patient:
    """The canary patient at BE10, with registry consent; experts of BE10 and Brno may be invited."""
    for user in (world.clinician, world.colleague, world.brno_clinician):
        factories.give_areas(user, world.ern)
    return factories.enrol(
        world.clinician,
        world.leuven,
        world.ern,
        first_name=canaries.FIRST_NAME,
        last_name=canaries.LAST_NAME,
        date_of_birth=f"{canaries.BIRTH_DATE:%d/%m/%Y}",
        record_label=canaries.RECORD_LABEL,
        consent_registry="yes",
        registry_name="EuroBloodNet registry",
    )


def _task(user: User, name: str, panel_id: int) -> str:
    """The engine id of the user's open task ``name`` on this panel."""
    found = [t.engine_task_id for t in task_queries.open_tasks_for(user) if t.name == name and t.subject_id == panel_id]
    assert len(found) == 1, f"{user.email} has {len(found)} open '{name}' tasks on panel {panel_id}"
    return found[0]


def _area(patient: Patient) -> int:
    return next(a.id for a in patient.ern.thematic_areas if a.name == AREA)


def _opened(world, patient: Patient) -> tuple[int, str]:
    """A new panel on the patient, its consultation form waiting: (panel, task)."""
    return panel_services.open_panel(world.clinician, patient.id, _area(patient), ORIGIN)


def _selecting(world, patient: Patient) -> int:
    """A panel whose lead is selecting experts; Brno's expert is invited."""
    panel_id = factories.open_panel(world.clinician, patient, AREA)
    panel_services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id], ORIGIN)
    return panel_id


def _assessing(world, patient: Patient) -> int:
    """A panel in assessment with Brno's expert accepted (their contribution task waiting)."""
    panel_id = _selecting(world, patient)
    complete(world.brno_clinician, _task(world.brno_clinician, "answer_invitation", panel_id), {"answer": "accept"})
    complete(world.clinician, _task(world.clinician, "select_experts", panel_id), {})
    return panel_id


def _signed(world, patient: Patient) -> int:
    """A panel whose outcome is signed off (waiting to be closed)."""
    panel_id = _assessing(world, patient)
    outcome = {"case_question": CLEAN, "recommendations": CLEAN, "diagnosis_codes": "", "follow_up": ""}
    complete(world.clinician, _task(world.clinician, "draft_outcome", panel_id), outcome)
    complete(world.clinician, _task(world.clinician, "sign_off_outcome", panel_id), {"decision": "sign_off", "sign_off_early": ["yes"]})
    return panel_id


def _probe_task(probes: Probes, client: FlaskClient, where: str, task: Callable[[], str], answers: dict, name: str, limit: int) -> None:
    """Submit a task's form with each probe in field ``name``; an accepted probe used the task up, so a new one is made."""
    task_id = task()
    for probe, text in PROBES.items():
        if probes.record(where, probe, client.post(f"/tasks/{task_id}", data={**answers, name: text[:limit]})):
            task_id = task()


def _text_fields(definitions: list[FieldDefinition]) -> list[tuple[str, FieldDefinition]]:
    """(form field name, definition) of every free-text field, inside repeatable entries too."""
    found = []
    for definition in definitions:
        if definition.type == "group":
            found += [(f"{definition.name}-0-{sub.name}", sub) for sub in definition.entry_fields if sub.type in ("text", "long_text")]
        elif definition.type in ("text", "long_text"):
            found.append((definition.name, definition))
    return found


def _date_fields(definitions: list[FieldDefinition]) -> list[tuple[str, FieldDefinition]]:
    """(form field name, definition) of every clinical date, inside repeatable entries too."""
    found = []
    for definition in definitions:
        if definition.type == "group":
            found += [(f"{definition.name}-0-{sub.name}", sub) for sub in definition.entry_fields if sub.type == "partial_date"]
        elif definition.type == "partial_date":
            found.append((definition.name, definition))
    return found


def test_every_free_text_of_the_consultation_form_refuses_the_patients_identity(app, world, canary):
    """The nickname and every other free text of the consultation form (repeatable entries included)."""
    probes = Probes()
    client = signed_in(app, world.clinician)
    required = {**factories.CONSULTATION, "request_description": CLEAN}
    task_id = _opened(world, canary)[1]
    for name, definition in _text_fields(factories.forms()["consultation"].fields):
        for probe, text in PROBES.items():
            answers = {**required, name: text[: definition.max_length]}
            if probes.record(f"consultation: {name}", probe, client.post(f"/tasks/{task_id}", data=answers)):
                task_id = _opened(world, canary)[1]
    probes.check()


def test_no_clinical_date_of_the_consultation_form_takes_the_birth_date(app, world, canary):
    """Onsets, diagnosis, sampling, surgery, transplant and medication dates: the birth date there is the birth date
    shown outside the centre (a congenital onset is written as the year, or the month, instead)."""
    probes = Probes()
    client = signed_in(app, world.clinician)
    required = {**factories.CONSULTATION, "request_description": CLEAN}
    task_id = _opened(world, canary)[1]
    for name, definition in _date_fields(factories.forms()["consultation"].fields):
        answers = {**required, name: f"{canaries.BIRTH_DATE:%d/%m/%Y}"}
        if (shown_if := definition.visible_if) is not None:  # e.g. the date of death, asked once the patient died
            answers[shown_if.field] = shown_if.equals or shown_if.one_of[0]
        if probes.record(f"consultation: {name}", "birth date", client.post(f"/tasks/{task_id}", data=answers)):
            task_id = _opened(world, canary)[1]
    probes.check()


def test_the_leads_selection_note_refuses_the_patients_identity(app, world, canary):
    """The note the lead writes on finishing the selection of experts."""
    probes = Probes()
    client = signed_in(app, world.clinician)

    def task() -> str:
        return _task(world.clinician, "select_experts", _selecting(world, canary))

    _probe_task(probes, client, "panel selection: note", task, {}, "note", 4000)
    probes.check()


def test_an_invitees_reason_to_decline_refuses_the_patients_identity(app, world, canary):
    """The reason an expert of another centre gives for declining (shown with the panel's members)."""
    probes = Probes()
    client = signed_in(app, world.brno_clinician)

    def task() -> str:
        return _task(world.brno_clinician, "answer_invitation", _selecting(world, canary))

    _probe_task(probes, client, "invitation reply: reason", task, {"answer": "decline"}, "reason", 1000)
    probes.check()


def test_contributions_refuse_the_patients_identity(app, world, canary):
    """An invitee's contribution (their task) and any member's further contribution (the panel page's form)."""
    probes = Probes()
    brno = signed_in(app, world.brno_clinician)

    def task() -> str:
        return _task(world.brno_clinician, "record_contribution", _assessing(world, canary))

    _probe_task(probes, brno, "contribution task: text", task, {"hours": "1", "minutes": "0"}, "text", 16000)
    panel_id = _assessing(world, canary)
    lead = signed_in(app, world.clinician)
    for probe, text in PROBES.items():
        answer = lead.post(f"/panels/{panel_id}/contribute", data={"text": text, "hours": "0", "minutes": "30"})
        probes.record("further contribution: text", probe, answer)
    probes.check()


def test_comments_and_additional_data_requests_and_answers_refuse_the_patients_identity(app, world, canary):
    """A member's comment on the timeline, their request for additional data, and the centre's answer to it."""
    probes = Probes()
    panel_id = _assessing(world, canary)
    brno = signed_in(app, world.brno_clinician)
    for probe, text in PROBES.items():
        probes.record("comment", probe, brno.post(f"/panels/{panel_id}/comment", data={"text": text}))
        probes.record("data request: question", probe, brno.post(f"/panels/{panel_id}/data-requests", data={"question": text}))
    lead = signed_in(app, world.clinician)

    def task() -> str:
        asking = _assessing(world, canary)
        panel_services.request_additional_data(world.brno_clinician, asking, "Any MRI?", ORIGIN)
        return _task(world.clinician, "provide_additional_data", asking)

    _probe_task(probes, lead, "data request: answer", task, {}, "answer", 16000)
    probes.check()


def test_every_text_of_the_outcome_refuses_the_patients_identity(app, world, canary):
    """The draft's case question, recommendations, diagnosis codes and follow-up."""
    probes = Probes()
    client = signed_in(app, world.clinician)
    clean = {"case_question": CLEAN, "recommendations": CLEAN, "diagnosis_codes": "", "follow_up": ""}
    for name, limit in (("case_question", 16000), ("recommendations", 16000), ("diagnosis_codes", 200), ("follow_up", 16000)):

        def task() -> str:
            return _task(world.clinician, "draft_outcome", _assessing(world, canary))

        _probe_task(probes, client, f"outcome: {name}", task, clean, name, limit)
    probes.check()


def test_the_addendum_and_the_closing_notes_refuse_the_patients_identity(app, world, canary):
    """The addendum to a signed outcome, the note of the closing task and of closing a panel at once."""
    probes = Probes()
    client = signed_in(app, world.clinician)
    panel_id = _signed(world, canary)
    for probe, text in PROBES.items():
        probes.record("outcome addendum", probe, client.post(f"/panels/{panel_id}/addendum", data={"text": text}))

    def task() -> str:
        return _task(world.clinician, "close_panel", _signed(world, canary))

    _probe_task(probes, client, "close panel task: note", task, {"reason": "other"}, "note", 2000)
    for probe, text in PROBES.items():
        panel_id = _assessing(world, canary)
        probes.record("close now: note", probe, client.post(f"/panels/{panel_id}/close", data={"reason": "other", "note": text}))
    probes.check()


def test_a_coordinators_expert_suggestion_refuses_the_patients_identity(app, world, canary):
    """The experts a coordinator suggests when the lead asks for assistance (written on the panel's timeline)."""
    probes = Probes()
    client = signed_in(app, world.coordinator)

    def task() -> str:
        panel_id = _selecting(world, canary)
        panel_services.request_assistance(world.clinician, panel_id, ORIGIN)
        return _task(world.coordinator, "suggest_experts", panel_id)

    _probe_task(probes, client, "co-ordinator assistance: suggestion", task, {}, "suggestion", 4000)
    probes.check()


def test_a_document_title_and_file_name_refuse_the_patients_identity(app, world, canary):
    """The title typed for an upload to a panel, and the file's own name when no title is typed: both are shown to the
    panel (and on its timeline)."""
    probes = Probes()
    client = signed_in(app, world.clinician)
    panel_id = _assessing(world, canary)
    pdf = files.plain_pdf()
    url = f"/panels/{panel_id}/documents"
    sent = {"file": [(io.BytesIO(pdf), "report.pdf")], "title": "Haematology summary", "kind": "document"}
    control = client.post(url, data=sent, content_type="multipart/form-data")
    assert control.status_code == 302, f"a clean upload is refused, so refusals below would prove nothing: {problems(control)}"
    for probe, text in PROBES.items():
        sent = {"file": [(io.BytesIO(pdf), "report.pdf")], "title": text, "kind": "document"}
        probes.record("panel upload: title", probe, client.post(url, data=sent, content_type="multipart/form-data"))
        named = text.replace("/", "-").replace(" ", "_") + ".pdf"
        sent = {"file": [(io.BytesIO(pdf), named)], "title": "", "kind": "document"}
        probes.record("panel upload: file name", probe, client.post(url, data=sent, content_type="multipart/form-data"))
    probes.check()


def test_contribution_comments_and_pdfs_and_transfer_reasons_refuse_the_patients_identity(app, world, canary):
    """A comment on a contribution and a PDF added to it are read by the whole panel; a transfer's reason is read by the
    receiving centre before the patient is theirs."""
    probes = Probes()
    panel_id = _assessing(world, canary)
    brno = signed_in(app, world.brno_clinician)
    contributed = brno.post(f"/panels/{panel_id}/contribute", data={"text": CLEAN, "hours": "0", "minutes": "30"})
    assert contributed.status_code == 302, problems(contributed)
    contribution_id = db.session.scalar(select(Contribution.id).where(Contribution.panel_id == panel_id))
    pdf = files.plain_pdf()
    url = f"/panels/{panel_id}/contributions/{contribution_id}/documents"
    control = brno.post(url, data={"file": [(io.BytesIO(pdf), "guideline.pdf")], "title": "Guideline"}, content_type="multipart/form-data")
    assert control.status_code == 302, f"a clean upload is refused, so refusals below would prove nothing: {problems(control)}"
    lead = signed_in(app, world.clinician)
    for probe, text in PROBES.items():
        comment = {"contribution_id": str(contribution_id), "text": text}
        probes.record("contribution comment", probe, lead.post(f"/panels/{panel_id}/contribution-comments", data=comment))
        sent = {"file": [(io.BytesIO(pdf), "guideline.pdf")], "title": text}
        probes.record("contribution PDF: title", probe, brno.post(url, data=sent, content_type="multipart/form-data"))
        named = text.replace("/", "-").replace(" ", "_") + ".pdf"
        sent = {"file": [(io.BytesIO(pdf), named)], "title": ""}
        probes.record("contribution PDF: file name", probe, brno.post(url, data=sent, content_type="multipart/form-data"))
        transfer = {"centre_id": str(world.brno.id), "reason": text}
        probes.record("transfer reason", probe, lead.post(f"/patients/{canary.id}/transfer", data=transfer))
    assert db.session.scalar(select(ContributionComment)) is None
    probes.check()


def test_what_the_centre_writes_on_the_record_stays_in_the_centre(app, world, canary):
    """The reasons for freezing and for changes are centre-only: another centre's panel member learns that the record is
    frozen, never why."""
    panel_id = _assessing(world, canary)
    lead = signed_in(app, world.clinician)
    assert lead.post(f"/patients/{canary.id}/freeze", data={"reason": f"{NAME} asked to pause, {BIRTH_DATE}."}).status_code == 302
    page = signed_in(app, world.brno_clinician).get(f"/panels/{panel_id}").text
    assert 'id="patient-frozen"' in page
    assert canaries.LAST_NAME not in page and f"{canaries.BIRTH_DATE:%d/%m/%Y}" not in page
