"""A task's form keeps what was typed: dates that start at today, marks of conditional mandatory fields, a refused
submit kept as the draft, and the section checklist judged as submitting would judge it."""

from __future__ import annotations

import html
import json
import re
from datetime import date

from app.database import db
from app.i18n import today_for
from app.tasks import queries as task_queries
from app.tasks.checklist import COMPLETE
from app.tasks.checklist import EMPTY
from app.tasks.checklist import IN_PROGRESS
from app.tasks.checklist import section_states
from app.tasks.form_definitions import load_form_definitions
from app.tasks.services import save_draft
from tests import factories
from tests.factories import ORIGIN
from tests.factories import task_of

TODAY = date(2026, 11, 21)


def input_tag(page: str, name: str) -> str:
    found = re.search(rf'<(?:input|textarea)[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert found, f"no field {name}"
    return found.group()


def value_of(page: str, name: str) -> str:
    found = re.search(r'value="([^"]*)"', input_tag(page, name))
    return html.unescape(found.group(1)) if found else ""


def field_wrapper(page: str, name: str) -> str:
    """The markup of one field, from its wrapper to its input."""
    tag = input_tag(page, name)
    return page[page.rindex('<div class="mb-3 form-field"', 0, page.index(tag)) : page.index(tag) + len(tag)]


def test_a_new_enrolment_starts_with_todays_date_where_the_user_is_and_a_draft_keeps_its_own(world, login, app):
    world.clinician.timezone = "Pacific/Kiritimati"  # UTC+14: often already tomorrow in Brussels
    db.session.commit()
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    client = login(world.clinician)
    with app.test_request_context():
        before = today_for(world.clinician).strftime("%d/%m/%Y")
    page = client.get(f"/tasks/{task_id}").text
    with app.test_request_context():
        after = today_for(world.clinician).strftime("%d/%m/%Y")
    for name in ("enrolled_on", "consent_care_date", "consent_registry_date", "consent_research_date"):
        assert value_of(page, name) in (before, after), name
    assert value_of(page, "date_of_birth") == ""
    # A date changed, or emptied, in a draft stays as the draft has it.
    client.post(f"/tasks/{task_id}/draft", data={"enrolled_on": "", "consent_care_date": "01/11/2026", "draft_revision": "0"})
    page = client.get(f"/tasks/{task_id}").text
    assert value_of(page, "enrolled_on") == "" and value_of(page, "consent_care_date") == "01/11/2026"


def test_a_conditional_field_shows_its_mandatory_mark_once_its_condition_holds(world, login):
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    client = login(world.clinician)
    registry_name = field_wrapper(client.get(f"/tasks/{task_id}").text, "registry_name")
    assert "data-required-while-shown" in registry_name  # the page shows the mark as soon as consent is given
    assert "<span data-required-mark hidden>" in registry_name and "aria-required" not in registry_name
    client.post(f"/tasks/{task_id}/draft", data={"consent_registry": "yes", "draft_revision": "0"})
    registry_name = field_wrapper(client.get(f"/tasks/{task_id}").text, "registry_name")
    assert "<span data-required-mark>" in registry_name and 'aria-required="true"' in registry_name
    first_name = field_wrapper(client.get(f"/tasks/{task_id}").text, "first_name")
    assert "<span data-required-mark>" in first_name and "data-required-while-shown" not in first_name


def test_a_refused_submit_keeps_what_was_typed_as_the_draft(world, login):
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    client = login(world.clinician)
    typed = {"first_name": "Zoë", "last_name": "Ångström", "date_of_birth": "31/02/2020", "draft_revision": "0"}
    response = client.post(f"/tasks/{task_id}", data=typed)
    assert response.status_code == 422
    assert "is not a real date" in response.text and "What you typed is kept as a draft." in response.text
    draft = task_queries.draft_of(task_id)
    assert draft is not None and draft.saved_by_id == world.clinician.id
    assert (draft.raw_answers["first_name"], draft.raw_answers["date_of_birth"]) == ("Zoë", "31/02/2020")
    assert f'name="draft_revision" value="{draft.revision}"' in response.text  # the next save builds on this draft
    page = client.get(f"/tasks/{task_id}").text  # leaving and coming back loses nothing
    assert value_of(page, "first_name") == "Zoë" and value_of(page, "date_of_birth") == "31/02/2020"
    assert "Draft saved by Hanna Peeters" in page


def test_a_refused_submit_over_someone_elses_newer_draft_keeps_both(world, login):
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    save_draft(world.colleague, task_id, {"first_name": "A"}, 0, ORIGIN)
    response = login(world.clinician).post(f"/tasks/{task_id}", data={"first_name": "B", "draft_revision": "0"})
    assert response.status_code == 422 and "Elise Janssens saved this form" in response.text and 'value="B"' in response.text
    draft = task_queries.draft_of(task_id)
    assert draft.raw_answers["first_name"] == "A" and draft.conflict_answers["first_name"] == "B"


def consultation(app):
    return load_form_definitions(app.config["FORMS_DIR"])["consultation"]


def states(app, answers):
    return {state.id: state for state in section_states(consultation(app), answers, TODAY)}


def test_a_section_is_complete_when_its_mandatory_answers_are_there_and_every_answer_in_it_is_valid(app):
    request = {"nickname": "grey owl", "urgent": "no", "repeat_panel": "unknown", "request_description": "Which treatment?"}
    judged = states(app, request)
    assert judged["consultation_request"].state == COMPLETE and judged["episode"].state == EMPTY
    judged = states(app, {**request, "urgent": "maybe"})  # there, but not one of the answers offered
    assert judged["consultation_request"].state == IN_PROGRESS
    assert judged["consultation_request"].missing == () and judged["consultation_request"].to_correct == ("Urgent request",)
    judged = states(app, {**request, "episode_onset": "31/02/2020"})
    assert judged["episode"].state == IN_PROGRESS and judged["episode"].to_correct == ("Onset of the episode",)
    judged = states(app, {"nickname": "grey owl"})
    assert judged["consultation_request"].state == IN_PROGRESS
    assert judged["consultation_request"].missing == ("Urgent request", "Repeat of a previous panel", "Request description")
    judged = states(app, {**request, "diagnosis": "ORPHA:85443 — AL amyloidosis", "comorbidities": [{"condition": "E99.99"}]})
    assert judged["rare_disease_diagnosis"].state == COMPLETE
    assert judged["comorbidities_section"].to_correct == ("Comorbidities",)


def test_the_checklist_on_the_page_gives_the_rules_and_refused_codes_for_updating_it_as_the_user_types(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.open_panel(world.clinician, patient, submit=False)
    task_id = task_of(world.clinician, "fill_consultation")
    client = login(world.clinician)
    draft = {"nickname": "grey owl", "episode_onset": "2099", "diagnosis": "ORPHA:99999999", "draft_revision": "0"}
    client.post(f"/tasks/{task_id}/draft", data=draft)
    page = client.get(f"/tasks/{task_id}").text
    checklist = page[page.index('id="section-checklist"') :]
    assert "To correct: Onset of the episode" in checklist and "To correct: Rare disease diagnosis" in checklist
    rules = json.loads(html.unescape(re.search(r"data-rules='([^']*)'", page).group(1)))
    assert rules["refused"] == {"diagnosis": "ORPHA:99999999"} and re.fullmatch(r"\d{4}-\d{2}-\d{2}", rules["today"])
    onset = next(f for s in rules["sections"] for f in s["fields"] if f["name"] == "episode_onset")
    assert onset["type"] == "partial_date" and onset["notFuture"] is True
