"""Hanna Peeters (BE10) freezes a record of her centre with a reason, sees that it opens no panel and that its panel
says so, then unfreezes it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.journeys import flash
from tests.browser.journeys import sign_in

CPMS_ID = "ERN-BE10-EuroBloodNet-003"  # the demo's "red kite" panel is on this patient


@pytest.mark.browser
def test_a_record_is_frozen_and_unfrozen_with_a_reason(page: Page) -> None:
    sign_in(page, "hp1@demo.consilium.eu", "Hanna Peeters")
    page.goto("/patients/")
    page.get_by_role("row").filter(has_text=CPMS_ID).get_by_role("link").first.click()
    expect(page.get_by_role("group", name="Open a panel on")).to_be_visible()

    page.get_by_text("Freeze this record").click()
    page.get_by_role("button", name="Freeze", exact=True).click()  # no reason: refused, the browser or the server says why
    page.get_by_label("Reason (kept on the record)").fill("Consent for care under review.")
    page.get_by_role("button", name="Freeze", exact=True).click()
    expect(flash(page, f"Record {CPMS_ID} frozen")).to_be_visible()
    expect(page.locator("#frozen-state")).to_contain_text("Consent for care under review.")
    expect(page.get_by_role("group", name="Open a panel on")).to_have_count(0)
    expect(page.get_by_text("This patient is frozen: no new panels.")).to_be_visible()
    assert_accessible(page, "frozen record")

    page.get_by_role("link", name="#6 red kite").click()
    expect(page.locator("#patient-frozen")).to_be_hidden()  # a closed panel says it is closed, nothing more
    page.go_back()

    page.get_by_text("Unfreeze this record").click()
    page.get_by_label("Reason (kept on the record)").fill("Consent confirmed.")
    page.get_by_role("button", name="Unfreeze", exact=True).click()
    expect(flash(page, f"Record {CPMS_ID} unfrozen.")).to_be_visible()
    expect(page.locator("#frozen-state")).to_contain_text("Unfrozen on")
    expect(page.get_by_role("group", name="Open a panel on")).to_be_visible()
    assert_accessible(page, "unfrozen record")
