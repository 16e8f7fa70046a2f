"""Jan Novák (CZ08), lead of the demo's "north wind" panel, changes its submitted consultation form; Hanna Peeters
(BE10), a member, sees who changed it and when, opens the earlier version and what changed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.journeys import flash
from tests.browser.journeys import sign_in
from tests.browser.journeys import sign_out

FIRST = "Relapse after first-line treatment. Which second-line option fits this patient?"
CHANGED = "Relapse after second-line treatment. Is a clinical trial an option?"


@pytest.mark.browser
def test_the_lead_changes_the_consultation_form_and_a_member_reads_its_history(page: Page) -> None:
    sign_in(page, "hp2@demo.consilium.eu", "Jan Novák")
    page.goto("/panels/")
    page.get_by_role("row").filter(has_text="north wind").get_by_role("link").first.click()
    expect(page.locator("#consultation-version")).to_contain_text("Version 1, submitted on")
    page.get_by_role("link", name="Edit", exact=True).click()

    expect(page.get_by_label("Request description")).to_have_value(FIRST)  # the current answers, ready to change
    page.get_by_label("Request description").fill(CHANGED)
    assert_accessible(page, "consultation form edit")
    page.get_by_role("button", name="Save changes").click()
    expect(flash(page, "The consultation form is changed (version 2)")).to_be_visible()
    expect(page.locator("#consultation-version")).to_contain_text("Version 2, changed on")
    expect(page.locator("#consultation-version")).to_contain_text("by Jan Novák")
    sign_out(page)

    sign_in(page, "hp1@demo.consilium.eu", "Hanna Peeters")
    page.goto("/panels/")
    page.get_by_role("row").filter(has_text="north wind").get_by_role("link").first.click()
    expect(page.locator("#consultation-version")).to_contain_text("by Jan Novák")
    expect(page.get_by_text(CHANGED)).to_be_visible()
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)  # a member from another centre reads it
    page.get_by_role("link", name="History").click()

    changes = page.locator("#version-2 table")
    expect(changes.get_by_role("row").filter(has_text="Request description")).to_contain_text(FIRST)
    expect(changes.get_by_role("row").filter(has_text="Request description")).to_contain_text(CHANGED)
    assert_accessible(page, "consultation history")
    page.get_by_role("link", name="View version 1").click()
    expect(page.locator("#consultation-version")).to_contain_text("earlier version")
    expect(page.get_by_text(FIRST)).to_be_visible()
    expect(page.get_by_text(CHANGED)).to_have_count(0)
