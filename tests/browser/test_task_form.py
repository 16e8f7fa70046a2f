"""A task form that never loses what was typed, as Hanna Peeters (BE10) meets it in the browser: enrolment dates that
start at today, mandatory marks that appear the moment a field becomes mandatory, a refused submit kept as a draft with
the unsaved-changes warning still on guard afterwards, and the section checklist following the form as she types."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Dialog
from playwright.sync_api import Locator
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import LiveServer
from tests.browser.conftest import assert_accessible
from tests.browser.journeys import flash
from tests.browser.journeys import sign_in
from tests.factories import ORIGIN

LEAD = "hp1@demo.consilium.eu"
CPMS_ID = "ERN-BE10-EuroBloodNet-002"


def today_of(live_server: LiveServer, email: str) -> str:
    from app.accounts.models import User
    from app.database import db
    from app.i18n import today_for

    with live_server.app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == email))
        today = today_for(user).strftime("%d/%m/%Y")
        db.session.remove()
    return today


def start_enrolment(page: Page) -> None:
    sign_in(page, LEAD, "Hanna Peeters")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Centre", exact=True).click()
    page.get_by_label("Network").select_option(label="EuroBloodNet")
    page.get_by_role("button", name="Enrol patient").click()
    expect(page.get_by_role("heading", name="Enrol patient", level=1)).to_be_visible()


def mark_of(page: Page, label: str) -> Locator:
    return page.locator("label", has_text=label).locator("[data-required-mark]")


@pytest.mark.browser
def test_enrolment_dates_start_at_today_and_conditional_fields_are_marked_mandatory_as_they_appear(
    page: Page, live_server: LiveServer
) -> None:
    today = today_of(live_server, LEAD)
    start_enrolment(page)
    expect(page.get_by_role("textbox", name="Date enrolled")).to_have_value(today)
    expect(page.get_by_role("textbox", name="Date of consent for care")).to_have_value(today)
    expect(page.get_by_role("textbox", name="Date enrolled")).to_have_attribute("aria-required", "true")
    page.get_by_role("textbox", name="Date enrolled").fill("01/02/2026")  # changeable
    expect(page.get_by_role("textbox", name="Date enrolled")).to_have_value("01/02/2026")

    registry = page.get_by_role("group", name="Consent for ERN databases / registries")
    expect(page.get_by_role("textbox", name="Registry name")).to_be_hidden()
    registry.get_by_label("Yes").check()
    registry_name = page.get_by_role("textbox", name="Registry name (required)")
    expect(registry_name).to_be_visible()
    expect(registry_name).to_have_attribute("aria-required", "true")
    expect(mark_of(page, "Registry name")).to_be_visible()
    registry_date = page.get_by_role("textbox", name="Date of registry consent (required)")
    expect(registry_date).to_have_value(today)
    assert_accessible(page, "enrolment, registry consent given")

    registry.get_by_label("No").check()
    expect(page.get_by_role("textbox", name="Registry name")).to_be_hidden()
    expect(registry_date).to_be_visible()
    research = page.get_by_role("group", name="Consent to be contacted for research")
    research.get_by_label("No").check()
    expect(page.get_by_role("textbox", name="Date of research consent (required)")).to_have_value(today)


@pytest.mark.browser
def test_a_refused_submit_keeps_what_was_typed_and_leaving_after_a_change_still_warns(page: Page) -> None:
    start_enrolment(page)
    task_url = page.url
    page.get_by_role("textbox", name="First name").press_sequentially("Zoë")
    page.get_by_role("textbox", name="Date of birth").press_sequentially("31/02/2020")
    page.get_by_role("button", name="Enrol patient").click()

    summary = page.get_by_role("alert").filter(has_text="Some answers need correcting")
    expect(summary).to_be_visible()
    expect(flash(page, "What you typed is kept as a draft.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Draft saved by Hanna Peeters"))).to_be_visible()
    expect(page.get_by_role("textbox", name="First name")).to_have_value("Zoë")
    assert_accessible(page, "enrolment refused, kept as a draft")

    # A change after the refusal, then leaving: the browser asks first. Staying keeps the page as it is.
    dialogs: list[Dialog] = []

    def answer(dialog: Dialog) -> None:
        dialogs.append(dialog)
        dialog.dismiss() if len(dialogs) == 1 else dialog.accept()

    page.on("dialog", answer)
    page.get_by_role("textbox", name="Last name").press_sequentially("Ångström")
    with page.expect_event("dialog"):
        page.get_by_role("link", name="Come back later").click(no_wait_after=True)
    assert [dialog.type for dialog in dialogs] == ["beforeunload"]
    expect(page.get_by_role("textbox", name="Last name")).to_have_value("Ångström")
    page.get_by_role("link", name="Come back later").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    assert [dialog.type for dialog in dialogs] == ["beforeunload", "beforeunload"]

    # What the refused submit had is there when she comes back.
    page.goto(task_url)
    expect(page.get_by_role("textbox", name="First name")).to_have_value("Zoë")
    expect(page.get_by_role("textbox", name="Date of birth")).to_have_value("31/02/2020")


@pytest.fixture(scope="module")
def consultation_url(live_server: LiveServer) -> str:
    from app.accounts.models import User
    from app.database import db
    from app.panels.services import open_panel
    from app.patients.models import Patient

    with live_server.app.app_context():
        lead = db.session.scalar(select(User).where(User.email == LEAD))
        patient = db.session.scalar(select(Patient).where(Patient.cpms_id == CPMS_ID))
        area = next(area for area in patient.ern.thematic_areas if area.name == "Amyloidosis")
        _panel_id, task_id = open_panel(lead, patient.id, area.id, ORIGIN)
        db.session.remove()
    return f"/tasks/{task_id}"


def section(page: Page, title: str) -> Locator:
    return page.locator("#section-checklist li").filter(has=page.get_by_role("link", name=title, exact=True))


@pytest.mark.browser
def test_the_section_checklist_follows_the_form_as_typed(page: Page, consultation_url: str) -> None:
    sign_in(page, LEAD, "Hanna Peeters")
    page.goto(consultation_url)
    checklist = page.get_by_role("complementary", name="Sections")
    expect(checklist).to_be_visible()
    request = section(page, "Consultation request")
    episode = section(page, "Episode description")
    expect(request).to_contain_text("empty")

    page.get_by_role("textbox", name="Nickname").press_sequentially("grey owl")
    expect(request).to_contain_text("in progress")
    expect(request).to_contain_text("Missing: Urgent request, Repeat of a previous panel, Request description")
    page.get_by_role("group", name="Urgent request").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="Repeat of a previous panel").get_by_label("Don't know", exact=True).check()
    expect(request).to_contain_text("Missing: Request description")
    page.get_by_role("textbox", name="Request description").press_sequentially("Which treatment next?")
    expect(request).to_contain_text("complete")
    expect(request.locator("[data-missing]")).to_be_hidden()

    onset = page.get_by_role("textbox", name="Onset of the episode")
    onset.press_sequentially("31/02/2020")  # present, but no real date: not complete
    expect(episode).to_contain_text("in progress")
    expect(episode).to_contain_text("To correct: Onset of the episode")
    assert_accessible(page, "consultation form, checklist with an answer to correct")
    onset.fill("")
    onset.press_sequentially("02/2020")
    expect(episode).to_contain_text("complete")
    expect(episode.locator("[data-to-correct]")).to_be_hidden()

    # The server judges the saved draft the same way.
    page.get_by_role("button", name="Save draft").click()
    expect(flash(page, "Draft saved.")).to_be_visible()
    expect(section(page, "Consultation request")).to_contain_text("complete")
    expect(section(page, "Episode description")).to_contain_text("complete")
