"""The consultation form after submission: the lead and the patient's centre change it while the panel is open, each
submission is a version, members read the history and what changed, and a signed-off or closed panel's form stays."""

from datetime import date
from html.parser import HTMLParser
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.database import db
from app.notifications.models import Notification
from app.panels import consultation
from app.panels import services
from app.panels.models import Panel
from app.panels.models import TimelineEntry
from tests import factories
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of


class _FormReader(HTMLParser):
    """What a browser would send from the edit form as it is shown: inputs, checked choices, text areas."""

    def __init__(self) -> None:
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name and (attributes.get("type") not in ("radio", "checkbox") or "checked" in attributes):
            self.data.append((name, attributes.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            self.data.append((self._textarea, self._text.removeprefix("\r\n").removeprefix("\n")))
            self._textarea = None


def shown_form(html: str) -> dict[str, list[str]]:
    reader = _FormReader()
    reader.feed(html.split('class="task-form"', 1)[1])
    fields: dict[str, list[str]] = {}
    for name, value in reader.data:
        fields.setdefault(name, []).append(value)
    return fields


@pytest.fixture
def panel(world):
    """A submitted panel led by the Leuven clinician; Brno's clinician accepted, a second Brno expert is invited."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    invitee = factories.make_user("invitee@brno.example", [(world.ern, world.brno, Role.MEMBER_EXPERT)], "Ivo", "Dvorak")
    for user in (world.brno_clinician, invitee):
        factories.give_areas(user, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id, invitee.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    return db.session.get(Panel, panel_id)


def answers(**changes):
    return {**factories.CONSULTATION, **changes}


def change(user, panel, base_version=1, **changes):
    return consultation.change_consultation(user, panel.id, answers(**changes), base_version, date(2026, 11, 21), ORIGIN)


def test_the_first_submission_is_version_1_with_who_and_when(world, panel):
    [first] = consultation.versions(panel.id)
    assert (first.number, first.submitted_by_id) == (1, world.clinician.id)
    assert first.answers == panel.consultation and first.submitted_at == panel.consultation_submitted_at


def test_the_lead_changes_the_form_into_version_2_and_version_1_is_kept(world, panel):
    number = change(world.clinician, panel, request_description="Which treatment next, given the new biopsy?", urgent="yes")
    assert number == 2
    db.session.expire_all()
    first, second = consultation.versions(panel.id)
    assert first.answers["request_description"] == "Which treatment next?"
    assert second.answers["request_description"] == "Which treatment next, given the new biopsy?"
    assert second.submitted_by_id == world.clinician.id
    assert panel.consultation == second.answers and panel.urgent is True
    line = db.session.scalar(select(TimelineEntry).where(TimelineEntry.panel_id == panel.id).order_by(TimelineEntry.id.desc()).limit(1))
    assert line.text == "Consultation form changed (version 2): Urgent request, Request description."
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "panel.consultation_changed"))
    assert entry.details == {"version": 2, "fields": ["urgent", "request_description"]}


def test_members_and_invitees_are_told_of_a_change_without_any_name(world, panel):
    change(world.clinician, panel, request_description="A new question.")
    told = db.session.scalars(select(Notification).where(Notification.text.contains("consultation form was changed"))).all()
    invitee = next(m.user for m in panel.members if m.user.email == "invitee@brno.example")
    assert {n.user_id for n in told} == {world.brno_clinician.id, invitee.id}
    for notification in told:
        assert (
            notification.text
            == f"Panel #{panel.id} blue heron: the consultation form was changed (version 2); see what changed in its history."
        )
        assert notification.link == f"/panels/{panel.id}"


def test_a_health_professional_of_the_patients_centre_changes_it_too(world, panel):
    assert change(world.colleague, panel, occupation="Teacher") == 2
    assert consultation.current_version(panel.id).submitted_by_id == world.colleague.id


def test_submitting_the_same_answers_adds_no_version(world, panel):
    assert change(world.clinician, panel) is None
    assert len(consultation.versions(panel.id)) == 1


def test_a_member_of_another_centre_reads_the_form_but_cannot_change_it(world, login, panel):
    client = login(world.brno_clinician)
    page = client.get(f"/panels/{panel.id}").text
    assert "/consultation/history" in page and "/consultation/edit" not in page
    assert client.get(f"/panels/{panel.id}/consultation/edit").status_code == 403
    response = client.post(f"/panels/{panel.id}/consultation/edit", data={**answers(nickname="grey owl"), "base_version": "1"})
    assert response.status_code == 403 and "Only the panel lead and the health professionals" in response.text
    assert len(consultation.versions(panel.id)) == 1 and panel.nickname == "blue heron"


def test_someone_who_does_not_see_the_panel_is_told_there_is_no_such_panel(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    client = login(world.brno_clinician)
    for url in ("edit", "history", "versions/1"):
        assert client.get(f"/panels/{panel_id}/consultation/{url}").status_code == 404


def test_the_edit_form_shows_the_current_answers_and_sending_it_back_unchanged_changes_nothing(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    filled = {
        "diagnosis": "ORPHA:85443",
        "phenotype": "HP:0001250\nnot HP:0001627",
        "episode_onset": "03/2026",
        "diagnosis_date": "12/01/2026",
        "comorbidities": [{"condition": "E85", "onset": "2020", "notes": "stable"}],
        "education_level": "3",
    }
    panel_id = factories.open_panel(world.clinician, patient, **filled)
    client = login(world.clinician)
    page = client.get(f"/panels/{panel_id}/consultation/edit")
    assert page.status_code == 200
    shown = shown_form(page.text)
    assert shown["nickname"] == ["blue heron"] and shown["urgent"] == ["no"] and shown["education_level"] == ["3"]
    assert shown["request_description"] == ["Which treatment next?"] and shown["episode_onset"] == ["03/2026"]
    assert shown["diagnosis"][0].startswith("ORPHA:85443 — AL amyloidosis")
    assert shown["phenotype"][0].splitlines()[1].startswith("not HP:0001627")
    assert shown["comorbidities-0-condition"][0].startswith("E85") and shown["comorbidities-0-notes"] == ["stable"]
    response = client.post(f"/panels/{panel_id}/consultation/edit", data=shown, follow_redirects=True)
    assert response.status_code == 200 and "No answer changed" in response.text
    assert len(consultation.versions(panel_id)) == 1


def test_a_required_answer_left_empty_comes_back_with_the_forms_message_and_what_was_typed(world, login, panel):
    data = {**answers(nickname="", request_description="Keep this text."), "base_version": "1"}
    response = login(world.clinician).post(f"/panels/{panel.id}/consultation/edit", data=data)
    assert response.status_code == 422
    assert "Nickname is required." in response.text and "Keep this text." in response.text
    assert len(consultation.versions(panel.id)) == 1


def test_written_answers_that_identify_the_patient_are_refused_as_on_the_task_and_kept_in_the_form(world, login, panel):
    written = f"Mr {panel.patient.last_name} relapsed."
    data = {**answers(request_description=written), "base_version": "1"}
    response = login(world.clinician).post(f"/panels/{panel.id}/consultation/edit", data=data)
    assert response.status_code == 422
    assert "This would identify the patient (it holds their name)" in response.text and written in response.text
    db.session.expire_all()
    assert len(consultation.versions(panel.id)) == 1 and panel.consultation["request_description"] == "Which treatment next?"


def test_a_change_saved_meanwhile_is_not_overwritten_and_what_was_typed_stays(world, login, panel):
    change(world.colleague, panel, occupation="Teacher")
    data = {**answers(request_description="My own question."), "base_version": "1"}
    response = login(world.clinician).post(f"/panels/{panel.id}/consultation/edit", data=data)
    assert response.status_code == 409
    assert "Elise Janssens changed the consultation form" in response.text and "My own question." in response.text
    assert 'name="base_version" value="2"' in response.text
    assert len(consultation.versions(panel.id)) == 2


@pytest.fixture
def signed(world, panel):
    complete(world.clinician, task_of(world.clinician, "select_experts"), {})
    outcome = {"case_question": "Which treatment?", "recommendations": "Treatment B.", "diagnosis_codes": "", "follow_up": ""}
    complete(world.clinician, task_of(world.clinician, "draft_outcome"), outcome)
    complete(world.clinician, task_of(world.clinician, "sign_off_outcome"), {"decision": "sign_off", "sign_off_early": ["yes"]})
    return panel


def test_a_signed_off_panels_form_no_longer_changes(world, login, signed):
    _assert_frozen(world, login, signed, "is signed off: its consultation form no longer changes")


def test_a_closed_panels_form_no_longer_changes(world, login, panel):
    services.close_now(world.clinician, panel.id, "withdrawn", "", ORIGIN)
    _assert_frozen(world, login, panel, "is closed: its consultation form no longer changes")


def _assert_frozen(world, login, panel, message):
    client = login(world.clinician)
    data = {**answers(request_description="Too late."), "base_version": "1"}
    for response in (client.get(f"/panels/{panel.id}/consultation/edit"), client.post(f"/panels/{panel.id}/consultation/edit", data=data)):
        assert response.status_code == 409 and message in response.text
    db.session.expire_all()
    assert len(consultation.versions(panel.id)) == 1 and panel.consultation["request_description"] == "Which treatment next?"
    page = client.get(f"/panels/{panel.id}").text
    assert "/consultation/edit" not in page and message in page and "/consultation/history" in page


def test_members_see_who_changed_it_when_and_the_earlier_version_and_the_differences(world, login, panel):
    change(world.clinician, panel, request_description="Which treatment next, given the new biopsy?", repeat_panel="unknown")
    client = login(world.brno_clinician)
    page = client.get(f"/panels/{panel.id}").text
    assert "Version 2, changed on" in page and "by Hanna Peeters" in page and "given the new biopsy" in page
    history = client.get(f"/panels/{panel.id}/consultation/history").text
    assert "Version 1, submitted on" in history and "What changed from version 1" in history
    changes = history.split('class="table table-sm align-top mb-0 consultation-changes"', 1)[1].split("</table>", 1)[0]
    assert "Repeat of a previous panel" in changes and "Don&#39;t know" in changes and "<del>No</del>" in changes
    assert "Request description" in changes and "<del>Which treatment next?</del>" in changes
    assert "Nickname" not in changes  # unchanged answers are not listed
    earlier = client.get(f"/panels/{panel.id}/consultation/versions/1").text
    assert "earlier version" in earlier and "Which treatment next?" in earlier and "given the new biopsy" not in earlier
    assert client.get(f"/panels/{panel.id}/consultation/versions/3").status_code == 404


def test_the_lead_edits_from_the_panel_page_and_is_sent_back_to_it(world, login, panel):
    client = login(world.clinician)
    assert f"/panels/{panel.id}/consultation/edit" in client.get(f"/panels/{panel.id}").text
    data = {**answers(nickname="grey owl"), "base_version": "1"}
    response = client.post(f"/panels/{panel.id}/consultation/edit", data=data, follow_redirects=True)
    assert response.status_code == 200 and "The consultation form is changed (version 2)" in response.text
    assert f"#{panel.id} grey owl" in response.text


def test_the_printable_page_and_the_pdf_show_the_current_version(world, login, panel):
    change(world.clinician, panel, request_description="The current question.")
    client = login(world.brno_clinician)
    printable = client.get(f"/panels/{panel.id}/consultation").text
    assert "The current question." in printable and "Which treatment next?" not in printable and "Version 2, changed on" in printable
    pdf = client.get(f"/panels/{panel.id}/consultation.pdf")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.data)).pages)
    assert "The current question." in text and "Which treatment next?" not in text
    assert "Version" in text and "2, of" in text and "Hanna Peeters" in text
