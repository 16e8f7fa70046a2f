"""People and roles, as their managers meet them: an ERN manager appoints a panel manager for one centre and revokes
the role; a coordinator deactivates an account."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.journeys import flash
from tests.browser.journeys import sign_in
from tests.browser.journeys import sign_out


@pytest.mark.browser
def test_an_ern_manager_appoints_and_revokes_a_panel_manager_and_a_coordinator_deactivates_an_account(page: Page) -> None:
    sign_in(page, "manager@demo.consilium.eu", "Mara Manager")
    page.goto("/members")
    page.get_by_label("Centre").select_option(label="BE10 - University Hospital Leuven")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Hanna Peeters").click()
    expect(page.get_by_role("heading", name="Hanna Peeters", level=1)).to_be_visible()
    assert_accessible(page, "a member's page")

    page.get_by_label("Role").select_option(label="Panel manager")
    page.get_by_label("Where").select_option(label="EuroBloodNet at BE10 - University Hospital Leuven")
    page.get_by_role("button", name="Appoint").press("Enter")
    expect(flash(page, "Hanna Peeters is now Panel manager in EuroBloodNet @ BE10.")).to_be_visible()
    revoke = page.get_by_role("button", name="Revoke Panel manager in EuroBloodNet @ BE10")
    revoke.focus()
    page.keyboard.press("Enter")
    expect(flash(page, "The role Panel manager in EuroBloodNet @ BE10 was revoked.")).to_be_visible()
    expect(revoke).to_have_count(0)
    sign_out(page)

    sign_in(page, "coordinator@demo.consilium.eu", "Carla Coordinatrice")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    page.get_by_role("link", name="Jan Novák").click()
    page.get_by_role("button", name="Deactivate the account").click()
    expect(flash(page, "The account is deactivated: its sessions ended and it cannot sign in.")).to_be_visible()
    expect(page.get_by_text("Deactivated: cannot sign in.")).to_be_visible()
    expect(page.get_by_role("button", name="Reactivate the account")).to_be_visible()
    assert_accessible(page, "a deactivated member's page")
