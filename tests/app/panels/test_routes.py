"""The panel pages over HTTP: every tab renders for each kind of viewer, actions answer clearly."""

from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import func
from sqlalchemy import select

from app.database import db
from app.errors import Conflict
from app.notifications.models import Notification
from app.notifications.services import notify
from app.panels import services
from app.panels.models import Contribution
from app.panels.models import DataRequest
from app.panels.models import Panel
from app.panels.models import TimelineEntry
from app.tasks import queries as task_queries
from app.tasks.services import save_draft
from tests import factories
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of

WRITTEN = (TimelineEntry, DataRequest, Contribution)


@pytest.fixture
def signed_panel(world):
    """A panel with one accepted member, a data request, a contribution and a signed outcome."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    for user in (world.clinician, world.colleague, world.brno_clinician):
        factories.give_areas(user, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    complete(
        world.brno_clinician, task_of(world.brno_clinician, "record_contribution"), {"text": "Consider B.", "hours": "0", "minutes": "45"}
    )
    services.request_additional_data(world.brno_clinician, panel_id, "Any MRI?", ORIGIN)
    complete(world.clinician, task_of(world.clinician, "select_experts"), {})
    outcome = {
        "case_question": "Which treatment?",
        "recommendations": "Treatment Ñandú B.",
        "diagnosis_codes": "",
        "follow_up": "In 3 months",
    }
    complete(world.clinician, task_of(world.clinician, "draft_outcome"), outcome)
    complete(world.clinician, task_of(world.clinician, "sign_off_outcome"), {"decision": "sign_off", "sign_off_early": ["yes"]})
    return db.session.get(Panel, panel_id)


@pytest.mark.parametrize("who", ["clinician", "brno_clinician", "coordinator", "colleague"])
@pytest.mark.parametrize("tab", ["consultation", "members", "meetings", "contributions"])
def test_every_tab_renders_for_everyone_who_sees_the_panel(world, login, signed_panel, who, tab):
    response = login(getattr(world, who)).get(f"/panels/{signed_panel.id}?tab={tab}")
    assert response.status_code == 200
    assert f"#{signed_panel.id} blue heron" in response.text
    patient = signed_panel.patient
    if who in ("brno_clinician", "coordinator"):
        assert patient.last_name not in response.text and patient.first_name not in response.text


def test_the_lead_sees_the_waiting_task_as_a_button_and_members_do_not(world, login, signed_panel):
    page = login(world.clinician).get(f"/panels/{signed_panel.id}").text
    assert "Close panel" in page and f"/tasks/{task_of(world.clinician, 'close_panel')}" in page


def test_the_signed_outcome_downloads_as_a_pdf(world, login, signed_panel):
    response = login(world.brno_clinician).get(f"/panels/{signed_panel.id}/outcome.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.data)).pages)
    assert "Treatment Ñandú B." in text and signed_panel.patient.cpms_id in text
    assert signed_panel.patient.last_name not in text


def test_the_lead_invites_from_the_filtered_list_and_invite_all_invites_everyone_listed(world, login, signed_panel):
    client = login(world.clinician)
    page = client.get(f"/panels/{signed_panel.id}?tab=members").text
    assert "Elise Janssens" in page  # the colleague: thematic area matches, not on the panel yet
    response = client.post(f"/panels/{signed_panel.id}/invite", data={"user_id": [str(world.colleague.id)]})
    assert response.status_code == 302
    assert [t.name for t in task_queries.open_tasks_for(world.colleague) if t.name == "answer_invitation"] == ["answer_invitation"]


def test_a_comment_that_is_empty_is_refused_with_a_message(world, login, signed_panel):
    response = login(world.clinician).post(f"/panels/{signed_panel.id}/comment", data={"text": "  "})
    assert response.status_code == 422 and "cannot be empty" in response.text


@pytest.mark.parametrize(
    ("url", "form", "message"),
    [
        ("/panels/open", {"patient_id": "x", "thematic_area_id": "1"}, "Choose a valid value."),
        ("/panels/open", {"patient_id": "1"}, "Choose the thematic area the panel is about."),
        ("/panels/{panel}/invite-group", {"group_id": ""}, "Choose a valid value."),
        ("/panels/{panel}/lead", {"user_id": "-3"}, "Choose a valid value."),
    ],
)
def test_a_posted_id_that_is_not_one_is_refused_before_anything_is_looked_up(world, login, signed_panel, url, form, message):
    response = login(world.clinician).post(url.format(panel=signed_panel.id), data=form)
    assert response.status_code == 422 and message in response.text


def test_a_comment_returns_to_the_tab_it_was_written_on_and_a_refused_one_comes_back_there(world, login, signed_panel):
    client = login(world.clinician)
    response = client.post(f"/panels/{signed_panel.id}/comment", data={"text": "Agreed.", "tab": "members"})
    assert response.status_code == 302 and response.location.endswith("tab=members")
    response = client.post(f"/panels/{signed_panel.id}/comment", data={"text": "  ", "tab": "members"})
    assert response.status_code == 422 and 'id="expert-filter"' in response.text  # the members tab


def test_a_refused_closing_note_comes_back_in_its_box(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    note = f"{patient.last_name} moved abroad"
    response = login(world.clinician).post(f"/panels/{panel_id}/close", data={"reason": "other", "note": note})
    assert response.status_code == 422 and "This would identify the patient" in response.text
    assert f'value="{note}"' in response.text.split('id="close-note"', 1)[1].split(">", 1)[0]
    assert db.session.get(Panel, panel_id).closing_reason is None


def test_the_consultation_form_saves_a_partial_draft_and_submission_checks_it(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient, submit=False)
    task_id = task_of(world.clinician, "fill_consultation")
    client = login(world.clinician)
    response = client.post(f"/tasks/{task_id}/draft", data={"nickname": "grey owl", "draft_revision": "0"})
    assert response.status_code == 302
    page = client.get(f"/tasks/{task_id}").text
    assert 'value="grey owl"' in page and "Draft saved by Hanna Peeters" in page
    response = client.post(f"/tasks/{task_id}", data={"nickname": "grey owl", "draft_revision": "1"})
    assert response.status_code == 422 and "grey owl" in response.text
    assert db.session.get(Panel, panel_id).consultation == {}


def test_a_second_persons_draft_is_not_overwritten_silently_and_both_versions_are_kept(world, login):
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    save_draft(world.colleague, task_id, {"first_name": "A"}, 0, ORIGIN)
    client = login(world.clinician)
    response = client.post(f"/tasks/{task_id}/draft", data={"first_name": "B", "draft_revision": "0"})
    assert response.status_code == 409
    assert "Elise Janssens saved this form" in response.text and "Both versions are kept" in response.text and 'value="B"' in response.text
    draft = task_queries.draft_of(task_id)
    assert draft.raw_answers["first_name"] == "A" and draft.conflict_answers["first_name"] == "B"
    page = client.get(f"/tasks/{task_id}").text
    assert 'value="A"' in page and "Two versions of this form exist" in page and "Show the other version" in page
    other = client.get(f"/tasks/{task_id}?version=other").text
    assert 'value="B"' in other and f'name="draft_revision" value="{draft.revision}"' in other
    assert client.post(f"/tasks/{task_id}/draft", data={"first_name": "B", "draft_revision": str(draft.revision)}).status_code == 302
    draft = task_queries.draft_of(task_id)
    assert draft.raw_answers["first_name"] == "B" and draft.conflict_answers is None


def test_the_panel_list_shows_visible_panels_filtered_and_archived_ones_only_when_searched(world, login, signed_panel):
    client = login(world.brno_clinician)
    page = client.get("/panels/?ern=EuroBloodNet").text
    assert f"#{signed_panel.id}" in page and "blue heron" in page and "Outcome signed off" in page
    assert "Amyloidosis" in page and "BE10" in page and "Hanna Peeters" in page
    assert signed_panel.patient.last_name not in page
    assert "blue heron" not in client.get("/panels/?ern=EuroBloodNet&status=assessment").text
    services.close_now(world.clinician, signed_panel.id, "duplicate", "", ORIGIN)
    services.archive(world.clinician, signed_panel.id, ORIGIN)
    assert "blue heron" not in client.get("/panels/?ern=EuroBloodNet").text
    assert "blue heron" in client.get("/panels/?ern=EuroBloodNet&archived=1").text
    assert "Archived" in client.get("/panels/?q=blue").text
    client.post("/logout")
    assert "blue heron" not in login(world.researcher).get("/panels/?q=blue").text  # closed but not released


def test_the_section_checklist_shows_each_sections_state_and_what_is_missing(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.open_panel(world.clinician, patient, submit=False)
    task_id = task_of(world.clinician, "fill_consultation")
    client = login(world.clinician)
    client.post(f"/tasks/{task_id}/draft", data={"nickname": "grey owl", "urgent": "no", "draft_revision": "0"})
    page = client.get(f"/tasks/{task_id}").text
    checklist = page[page.index('id="section-checklist"') :]
    assert "Consultation request" in checklist and "in progress" in checklist
    assert "Missing: Repeat of a previous panel, Request description" in checklist
    assert 'href="#section-episode"' in checklist and "empty" in checklist


def test_repeatable_groups_keep_entries_in_drafts_skip_blank_ones_and_show_read_only(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient, submit=False)
    task_id = task_of(world.clinician, "fill_consultation")
    client = login(world.clinician)
    page = client.get(f"/tasks/{task_id}").text
    assert 'name="medications-0-medicine"' in page and "Medication 1" in page
    draft = {
        "nickname": "grey owl",
        "medications-0-medicine": "Hydroxyurea",
        "medications-0-dose": "500 mg daily",
        "draft_revision": "0",
    }
    assert client.post(f"/tasks/{task_id}/draft", data=draft).status_code == 302
    page = client.get(f"/tasks/{task_id}").text
    assert 'value="Hydroxyurea"' in page and 'name="medications-1-medicine"' in page  # a blank entry to add the next
    bad = {
        **factories.CONSULTATION,
        "medications-0-medicine": "Hydroxyurea",
        "medications-0-dose": "500 mg daily",
        "medications-0-since": "31/13/2020",
    }
    response = client.post(f"/tasks/{task_id}", data=bad)
    assert response.status_code == 422 and "Medication 1, Since" in response.text and 'value="Hydroxyurea"' in response.text
    good = {**bad, "medications-0-since": "03/2021", "medications-1-medicine": "", "comorbidities-0-condition": "E85"}
    assert client.post(f"/tasks/{task_id}", data=good).status_code == 302
    stored = db.session.get(Panel, panel_id).consultation
    assert stored["medications"] == [{"medicine": "Hydroxyurea", "dose": "500 mg daily", "since": "2021-03"}]
    assert stored["comorbidities"][0]["condition"]["label"] == "Amyloidosis"
    shown = client.get(f"/panels/{panel_id}").text
    assert "Hydroxyurea" in shown and "500 mg daily" in shown and "Amyloidosis (E85)" in shown


def test_members_read_the_consultation_as_one_printable_page_and_as_a_pdf(world, login, signed_panel):
    client = login(world.brno_clinician)
    page = client.get(f"/panels/{signed_panel.id}/consultation").text
    assert "Which treatment next?" in page and "data-print" in page and "<textarea" not in page
    response = client.get(f"/panels/{signed_panel.id}/consultation.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(response.data)).pages)
    assert "Which treatment next?" in text and "blue heron" in text and signed_panel.patient.last_name not in text
    client.post("/logout")
    assert login(world.researcher).get(f"/panels/{signed_panel.id}/consultation.pdf").status_code == 404


def test_autosave_answers_with_the_new_revision_and_never_overwrites_someone_elses_newer_draft(world, login):
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    client = login(world.clinician)
    data = {"first_name": "A", "draft_revision": "0"}
    saved = client.post(f"/tasks/{task_id}/autosave", data=data)
    assert saved.status_code == 200 and saved.get_json()["revision"] == 1 and "automatically" in saved.get_json()["message"]
    save_draft(world.colleague, task_id, {"first_name": "B"}, 1, ORIGIN)
    refused = client.post(f"/tasks/{task_id}/autosave", data={**data, "draft_revision": "1"})
    assert refused.status_code == 409 and "Elise Janssens saved this form" in refused.get_json()["message"]
    assert task_queries.draft_of(task_id).raw_answers["first_name"] == "B"


@pytest.mark.parametrize(
    ("url", "field", "box"),
    [
        ("comment", "text", 'id="comment"'),
        ("data-requests", "question", 'id="question"'),
        ("contribute", "text", 'id="contribution-text"'),
    ],
)
def test_a_text_naming_the_patient_comes_back_in_its_box_with_the_reason(world, login, signed_panel, url, field, box):
    """Refused, nothing stored, nothing lost: the panel page again (422), the reason on top, the words in their box."""
    signed_panel.phase = "assessment"
    db.session.commit()
    written = f"Seen with {signed_panel.patient.last_name}'s family; plan as discussed."
    before = _written_on(signed_panel)
    response = login(world.brno_clinician).post(f"/panels/{signed_panel.id}/{url}", data={field: written, "hours": "0", "minutes": "5"})
    assert response.status_code == 422
    assert "This would identify the patient (it holds their name)" in response.text
    textarea = response.text.split(box, 1)[1].split("</textarea>", 1)[0]
    assert written.replace("'", "&#39;") in textarea
    assert _written_on(signed_panel) == before


def _written_on(panel):
    return [db.session.scalar(select(func.count()).select_from(model).where(model.panel_id == panel.id)) for model in WRITTEN]


def test_visiting_a_panel_marks_the_notifications_about_it_read(world, login, signed_panel):
    notify([world.brno_clinician], "about this panel", f"/panels/{signed_panel.id}")
    notify([world.brno_clinician], "about another one", "/panels/999999")
    db.session.commit()
    login(world.brno_clinician).get(f"/panels/{signed_panel.id}")
    unread = db.session.scalars(
        select(Notification.text).where(Notification.user_id == world.brno_clinician.id, Notification.read_at.is_(None))
    ).all()
    assert "about another one" in unread and "about this panel" not in unread


def test_contributions_are_requested_only_while_they_can_still_come(world, login, signed_panel):
    client = login(world.clinician)
    assert "Request contributions" not in client.get(f"/panels/{signed_panel.id}?tab=contributions").text
    with pytest.raises(Conflict, match="can no longer come"):
        services.request_contributions(world.clinician, signed_panel.id, ORIGIN)
    assessing = factories.open_panel(world.clinician, factories.enrol(world.clinician, world.leuven, world.ern))
    assert "Request contributions" in client.get(f"/panels/{assessing}?tab=contributions").text
