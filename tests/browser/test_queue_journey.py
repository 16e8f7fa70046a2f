"""The coordinator steers EuroBloodNet's queue through the browser, and people never invited to panels see a quiet dashboard.

Carla Coordinatrice (coordinator, no expert role) opens the queue from the ERN page: each process by its name; "Take it"
only on the task her role allows (Suggest experts), not on a panel lead's. She opens the reassign page of the demo's
panel #1 consultation: what the task is about, who holds it, since when, when it is due, and the one person who may take
it, Hanna Peeters, with her hospital. She gives it to Hanna with a reason, then takes the Suggest experts task herself.
Mara Manager (ERN manager) and Carla are never asked for thematic areas.

The demo data is this module's own (one live server per module); rows are found by task and panel, never by position.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.journeys import flash
from tests.browser.journeys import sign_in
from tests.browser.journeys import sign_out

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@demo.consilium.eu"
MANAGER = "manager@demo.consilium.eu"


def row(page: Page, task: str, subject: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=task, exact=True)).filter(has_text=subject)


def test_the_coordinator_reassigns_a_task_to_someone_who_may_take_it_and_takes_her_own(page: Page) -> None:
    sign_in(page, COORDINATOR, "Carla Coordinatrice")
    expect(page.get_by_text("Choose thematic areas")).to_have_count(0)
    expect(page.get_by_role("heading", name="Panel invites")).to_have_count(0)
    feed = page.get_by_role("list", name="Panel activity in the last 14 days")
    expect(feed).to_contain_text("Consultation form submitted.")
    expect(feed).not_to_contain_text("Status: Panel selection")  # the consultation submitted says it
    assert_accessible(page, "coordinator's dashboard")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="ERN", exact=True).click()  # her first ERN
    page.get_by_role("link", name="Open tasks of the ERN (queue)").click()
    expect(page.get_by_role("heading", name="Open tasks of EuroBloodNet", level=1)).to_be_visible()
    expect(page.get_by_label("Process")).to_contain_text("Expert panel")
    expect(page.get_by_label("Process")).not_to_contain_text("coordinator_assistance")
    sign_off = row(page, "Sign off outcome", "#4 north wind")
    expect(sign_off).to_contain_text("Not assigned: for the panel's lead")
    expect(sign_off.get_by_role("link", name="Reassign")).to_be_visible()
    expect(sign_off.get_by_role("button", name="Take it")).to_have_count(0)  # the lead's task, not hers
    expect(row(page, "Suggest experts", "#2 silver birch").get_by_role("button", name="Take it")).to_be_visible()
    assert_accessible(page, "queue")

    row(page, "Fill consultation form", "#1").get_by_role("link", name="Reassign").click()
    expect(page.get_by_role("heading", name="Reassign: Fill consultation form", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Panel #1")).to_be_visible()
    expect(page.get_by_text(re.compile(r"CPMS ID: ERN-BE10-EuroBloodNet-\d{3}"))).to_be_visible()
    expect(page.get_by_text("Nobody yet: it waits for the panel's lead (Hanna Peeters)")).to_be_visible()
    expect(page.get_by_text("No due date")).to_be_visible()
    hanna = page.get_by_role("radio", name=re.compile(r"^Hanna Peeters, Haematologist — BE10 - University Hospital Leuven"))
    expect(hanna).not_to_be_checked()
    expect(page.get_by_role("radio", name="Nobody in particular: the panel's lead may take it")).to_be_checked()
    assert_accessible(page, "reassign page")
    hanna.check()
    page.get_by_label("Reason").fill("Hanna opened the panel and knows the case.")
    page.get_by_role("button", name="Reassign").click()
    expect(flash(page, "The task is reassigned.")).to_be_visible()
    expect(row(page, "Fill consultation form", "#1")).to_contain_text("Hanna Peeters")

    row(page, "Fill consultation form", "#1").get_by_role("link", name="Reassign").click()
    held = page.get_by_role("definition").filter(has_text="since")
    expect(held).to_contain_text(re.compile(r"Hanna Peeters since \d{2}/\w{3}/\d{4} \d{2}:\d{2}"))
    expect(page.get_by_role("radio", name=re.compile(r"^Hanna Peeters"))).to_be_checked()
    assert_accessible(page, "reassign page of a held task")
    page.get_by_role("link", name="Back to the queue").click()

    row(page, "Suggest experts", "#2 silver birch").get_by_role("button", name="Take it").click()
    expect(flash(page, "The task is yours")).to_be_visible()
    expect(page.get_by_role("heading", name="Suggest experts", level=1)).to_be_visible()
    page.go_back()
    page.reload()
    suggestion = row(page, "Suggest experts", "#2 silver birch")
    expect(suggestion).to_contain_text("Carla Coordinatrice")
    expect(suggestion.get_by_role("button", name="Take it")).to_have_count(0)
    sign_out(page)


def test_an_ern_manager_is_not_asked_for_thematic_areas(page: Page) -> None:
    sign_in(page, MANAGER, "Mara Manager")
    expect(page.get_by_text("you cannot be invited to panels")).to_have_count(0)
    expect(page.get_by_role("heading", name="Panel invites")).to_have_count(0)
    assert_accessible(page, "ERN manager's dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Preferences").click()
    expect(page.get_by_role("heading", name="Preferences", level=1)).to_be_visible()
    expect(page.get_by_role("group", name="Thematic areas")).to_have_count(0)
    expect(page.get_by_label("Time zone")).to_be_visible()
    assert_accessible(page, "ERN manager's preferences")
