"""A member expert enrols a patient through the browser, from sign-in to finding the patient again by search."""

from __future__ import annotations

import re
from datetime import date
from datetime import timedelta

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

EMAIL = "hp1@demo.consilium.eu"
PASSWORD = "consilium-demo"
CPMS_ID = re.compile(r"ERN-BE10-EuroBloodNet-\d{3}")


@pytest.mark.browser
def test_a_member_expert_enrols_a_patient_and_finds_them_by_an_unaccented_search(page: Page) -> None:
    yesterday = (date.today() - timedelta(days=1)).strftime("%d/%m/%Y")

    # Sign in.
    page.goto("/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("input[name=csrf_token]")).to_have_value(re.compile(r".+"))
    assert_accessible(page, "login")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")

    # Dashboard.
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_text("Hanna Peeters", exact=True)).to_be_visible()
    assert_accessible(page, "dashboard")

    # Centre page, via the main navigation.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Centre", exact=True).click()
    expect(page).to_have_url(re.compile(r"/centres/BE10$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Leuven")
    assert_accessible(page, "centre")

    # Enrol a patient in EuroBloodNet.
    network = page.get_by_label("Network")
    network.select_option(label="EuroBloodNet")
    expect(network.locator("option:checked")).to_have_text("EuroBloodNet")
    page.get_by_role("button", name="Enrol patient").click()

    expect(page.get_by_role("heading", name="Enrol patient", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f-]{36}$"))
    assert_accessible(page, "enrolment form")
    # The ERN's model consent forms are at hand, to print for the patient.
    consent_forms = page.locator("#consent-forms")
    expect(consent_forms.get_by_role("link")).to_have_count(2)
    with page.expect_download() as download:
        consent_forms.get_by_role("link").first.click()
    assert download.value.suggested_filename.endswith(".pdf")

    # First attempt: identifying data with an impossible date of birth.
    first_name = page.get_by_role("textbox", name="First name")
    last_name = page.get_by_role("textbox", name="Last name")
    date_of_birth = page.get_by_role("textbox", name="Date of birth")
    first_name.fill("Zoë")
    last_name.fill("Ångström")
    page.get_by_role("group", name="Gender").get_by_label("Female").check()
    date_of_birth.fill("31/02/2020")
    date_of_birth.press("Enter")  # implicit submission, as from the keyboard

    summary = page.get_by_role("alert").filter(has_text="Some answers need correcting")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    # "/" is escaped: Playwright passes the regex to its selector parser as /.../, where a bare "/" breaks it.
    expect(summary.get_by_role("link", name=re.compile(r"^Date of birth: 31\/02\/2020 is not a real date"))).to_be_visible()
    # The message sits next to the field and is tied to it for assistive technology.
    expect(page.locator("#date_of_birth-error")).to_have_text("31/02/2020 is not a real date.")
    expect(date_of_birth).to_have_attribute("aria-invalid", "true")
    expect(date_of_birth).to_have_attribute("aria-describedby", re.compile(r"\bdate_of_birth-error\b"))
    # What was typed is kept.
    expect(date_of_birth).to_have_value("31/02/2020")
    expect(first_name).to_have_value("Zoë")
    expect(last_name).to_have_value("Ångström")
    expect(page.get_by_role("group", name="Gender").get_by_label("Female")).to_be_checked()
    assert_accessible(page, "enrolment form with errors")

    # Correct the date from the error summary, by keyboard.
    summary.get_by_role("link", name=re.compile(r"^Date of birth")).focus()
    page.keyboard.press("Enter")
    expect(date_of_birth).to_be_focused()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("15/03/2020")
    expect(date_of_birth).to_have_value("15/03/2020")

    # The rest of the form.
    page.get_by_role("textbox", name="Date enrolled").fill(yesterday)
    page.get_by_role("group", name="Consent for care").get_by_label("Yes").check()
    page.get_by_role("textbox", name="Date of consent for care").fill(yesterday)
    page.get_by_role("group", name="Consent for ERN databases / registries").get_by_label("Yes").check()
    registry_name = page.get_by_role("textbox", name="Registry name")
    expect(registry_name).to_be_visible()  # shown once registry consent is given
    registry_name.fill("ENROL registry")
    page.get_by_role("textbox", name="Date of registry consent").fill(yesterday)
    page.get_by_role("group", name="Consent to be contacted for research").get_by_label("No").check()
    research_date = page.get_by_role("textbox", name="Date of research consent")
    research_date.fill(yesterday)
    research_date.press("Enter")

    # The patient page, with the new CPMS ID.
    # The fragment from the error summary's link (#date_of_birth) survives the redirect, as browsers do.
    expect(page).to_have_url(re.compile(r"/patients/\d+(#.*)?$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Ångström, Zoë")
    expect(heading).to_contain_text(CPMS_ID)
    cpms_id = CPMS_ID.search(heading.inner_text())
    assert cpms_id is not None
    expect(page.get_by_role("status").filter(has_text=f"Patient {cpms_id.group(0)} enrolled.")).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text=cpms_id.group(0))).to_have_count(1)
    assert_accessible(page, "patient page")

    # The patient list, then an unaccented, lower-case search.
    page.get_by_role("link", name="Back to the patient list").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Patients"), level=1)).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text(cpms_id.group(0))
    assert_accessible(page, "patient list")

    search = page.get_by_role("searchbox", name="First name, last name or CPMS ID")
    search.fill("zoe angstrom")
    search.press("Enter")
    expect(page).not_to_have_url(re.compile(r"zoe|angstrom", re.IGNORECASE))  # names never travel in URLs
    expect(page.get_by_role("status")).to_have_text("1 patient")
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ångström")
    expect(rows.first).to_contain_text("Zoë")
    expect(rows.first).to_contain_text(cpms_id.group(0))
    expect(rows.first.get_by_role("link", name="Ångström")).to_have_attribute("href", re.compile(r"/patients/\d+$"))
    assert_accessible(page, "search results")

    # The other pages of the navigation pass the same accessibility check.
    for link, heading in (("Preferences", "Preferences"), ("ERN", "EuroBloodNet")):
        page.get_by_role("navigation", name="Main").get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        assert_accessible(page, link)
