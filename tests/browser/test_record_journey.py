"""Marco Rossi (IT10) corrects a record of his centre, then asks Brno (CZ08) to take the patient over; Jan Novák (CZ08)
reads the request, which does not name the patient, and accepts. Marco no longer sees the identifying data but still
leads the patient's panel "lemon tree"; Jan sees the record with its history."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.journeys import flash
from tests.browser.journeys import sign_in
from tests.browser.journeys import sign_out

CPMS_ID = "ERN-IT10-EuroBloodNet-001"  # Luca Ferrari; the demo's "lemon tree" panel is on this patient


@pytest.mark.browser
def test_a_record_is_edited_then_transferred_to_another_centre(page: Page) -> None:
    sign_in(page, "hp4@demo.consilium.eu", "Marco Rossi")
    page.goto("/patients/?centre=IT10")
    page.get_by_role("row").filter(has_text=CPMS_ID).get_by_role("link").first.click()
    record_url = page.url

    page.get_by_role("link", name="Edit record and consents").click()
    expect(page.get_by_label("First name")).to_have_value("Luca")
    page.locator("input[name=consent_research][value=yes]").check()
    page.get_by_label("Date of research consent").fill("01/01/2099")
    page.get_by_label("Last name").fill("Ferrari-Conti")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#form-errors")).to_contain_text("Date of research consent")  # a future date: nothing saved
    expect(page.get_by_label("Last name")).to_have_value("Ferrari-Conti")  # what was typed is kept
    page.get_by_label("Date of research consent").fill("01/12/2026")
    page.get_by_label("Reason for the change (optional, kept in the history)").fill("Double surname at the registry office.")
    page.get_by_role("button", name="Save changes").click()
    expect(flash(page, f"Record {CPMS_ID} saved")).to_be_visible()
    history = page.locator("#history")
    expect(history).to_contain_text("Record edited")
    expect(history.get_by_role("row").filter(has_text="Last name")).to_contain_text("Ferrari")
    expect(history.get_by_role("row").filter(has_text="Last name")).to_contain_text("Ferrari-Conti")
    expect(history).to_contain_text("Double surname at the registry office.")
    assert_accessible(page, "record with its history")

    page.get_by_text("Ask another centre to take this patient over").click()
    page.get_by_label("Receiving centre", exact=True).select_option(label="CZ08 - University Hospital Brno")
    page.get_by_label("Reason (the receiving centre reads it: no names or birth dates)").fill("Ferrari-Conti moves to Brno.")
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="identify the patient")).to_be_visible()  # the name must not travel
    page.get_by_label("Reason (the receiving centre reads it: no names or birth dates)").fill("The family moves to Brno.")
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(flash(page, "Transfer to CZ08 requested")).to_be_visible()
    expect(page.locator("#transfer-pending")).to_contain_text("waiting for the receiving centre")
    sign_out(page)

    sign_in(page, "hp2@demo.consilium.eu", "Jan Novák")
    page.get_by_role("link", name="Accept or decline a patient transfer").first.click()
    request = page.locator("#transfer-request")
    expect(request).to_contain_text(CPMS_ID)
    expect(request).to_contain_text("The family moves to Brno.")
    expect(page.locator("main")).not_to_contain_text("Ferrari")
    assert_accessible(page, "transfer decision")
    page.get_by_label("Accept the patient at our centre").check()
    page.get_by_role("button", name="Record decision").click()
    expect(flash(page, f"Patient {CPMS_ID} is now a patient of your centre.")).to_be_visible()
    page.goto(record_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ferrari-Conti, Luca")
    expect(page.locator("#history")).to_contain_text("Record transferred")
    expect(page.get_by_role("link", name="#5 lemon tree")).to_be_visible()  # the panel stays with the patient
    sign_out(page)

    sign_in(page, "hp4@demo.consilium.eu", "Marco Rossi")
    response = page.goto(record_url)
    assert response is not None and response.status == 404
    page.goto("/panels/")
    lemon_tree = page.get_by_role("row").filter(has_text="lemon tree")
    expect(lemon_tree).to_contain_text("CZ08")  # Marco still leads the panel, now of the patient's new centre
    expect(lemon_tree).to_contain_text("Marco Rossi")
    expect(page.locator("main")).not_to_contain_text("Ferrari")
