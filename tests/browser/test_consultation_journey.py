"""The consultation form through the browser: a draft kept across sessions, coded answers picked by typing.

Hanna Peeters (BE10) opens a panel on a patient of her centre, saves a partial draft of the consultation form, signs
out, comes back to it from her dashboard and completes it: the ORPHA diagnosis is picked from the search-as-you-type
list with the keyboard, two HPO features (one excluded) are added with the phenotype finder. The no-JavaScript
fallback, the plain "Find a code" page, lists the same code. Once submitted, the panel page shows the coded answers
read-only; Jan Novák (CZ08), invited from all thematic areas, accepts and sees them read-only too.

The demo data already holds a panel in creation on the same patient (with its own draft): this test only ever looks
for its panel by number and nickname.
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

LEAD = "hp1@demo.consilium.eu"  # Hanna Peeters, BE10, Amyloidosis + Rare lymphomas
EXPERT = "hp2@demo.consilium.eu"  # Jan Novák, CZ08, Rare lymphomas only
CPMS_ID = "ERN-BE10-EuroBloodNet-002"
NICKNAME = "Heron consult"
DIAGNOSIS = "Rare disease diagnosis (ORPHA or ICD-10), if known"
OPENED = re.compile(r"Panel #(\d+) opened\.")
SEIZURE = "HP:0001250 — Seizure"
HEPATOMEGALY = "HP:0002240 — Hepatomegaly"
AL_AMYLOIDOSIS = "ORPHA:85443 — AL amyloidosis"


def listbox_of(page: Page, combobox: Locator) -> Locator:
    """The picker's list of options, found the way assistive technology finds it: through aria-controls."""
    controls = combobox.get_attribute("aria-controls")
    assert controls, "the picker is not an ARIA combobox"
    listbox = page.locator(f"#{controls}")
    expect(listbox).to_have_attribute("role", "listbox")
    return listbox


def active_option(page: Page, combobox: Locator) -> Locator:
    """The option the combobox points at with aria-activedescendant (it must be marked selected)."""
    active = combobox.get_attribute("aria-activedescendant")
    assert active, "no active option"
    option = page.locator(f"#{active}")
    expect(option).to_have_attribute("aria-selected", "true")
    return option


def choose_with_keyboard(page: Page, combobox: Locator, label: str) -> None:
    """ArrowDown through the open list (it wraps around) until ``label`` is the active option, then Enter."""
    listbox = listbox_of(page, combobox)
    expect(listbox.get_by_role("option", name=label)).to_be_visible()
    if not combobox.get_attribute("aria-activedescendant"):
        combobox.press("ArrowDown")  # the list opens with nothing highlighted
    for _ in range(listbox.get_by_role("option").count()):
        if active_option(page, combobox).inner_text().startswith(label):
            break
        combobox.press("ArrowDown")
    expect(active_option(page, combobox)).to_have_text(re.compile("^" + re.escape(label)))
    combobox.press("Enter")


def expect_closed(page: Page, combobox: Locator) -> None:
    """The list is closed, and stays closed: a pick must not start a new search that opens it again."""
    listbox = listbox_of(page, combobox)
    expect(listbox).to_be_hidden()
    page.wait_for_timeout(400)  # longer than the picker's 150 ms debounce plus a local search
    expect(listbox).to_be_hidden()
    expect(combobox).to_have_attribute("aria-expanded", "false")
    expect(combobox).not_to_have_attribute("aria-activedescendant", re.compile(".*"))


def consultation_value(page: Page, label: str) -> Locator:
    """On the panel page's Consultation form tab: the answer (dd) that follows a question (dt)."""
    question = page.locator("dt").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    return question.locator("xpath=following-sibling::dd[1]")


def expect_read_only_consultation(page: Page) -> None:
    """The panel page shows the submitted form as text: no field, no button of the consultation form anywhere."""
    answers = page.locator("section[aria-labelledby^='c-']")
    expect(answers.first).to_be_visible()
    expect(answers.locator("input, textarea, select, button, [contenteditable]")).to_have_count(0)
    for name in ("Nickname", "Request description", "Episode description"):
        expect(page.get_by_role("textbox", name=name)).to_have_count(0)
    for name in (DIAGNOSIS, "Add an HPO term"):
        expect(page.get_by_role("combobox", name=name)).to_have_count(0)
    expect(page.locator("[data-terminology], [data-phenotype], form.task-form")).to_have_count(0)
    expect(page.get_by_role("radio")).to_have_count(0)
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    expect(page.get_by_role("button", name="Submit consultation form")).to_have_count(0)
    expect(page.get_by_role("link", name="Consultation form", exact=True)).to_have_attribute("aria-current", "page")  # the tab only


def expect_coded_answers(page: Page) -> None:
    diagnosis = consultation_value(page, DIAGNOSIS)
    expect(diagnosis).to_contain_text("AL amyloidosis")
    expect(diagnosis).to_contain_text("ORPHA:85443")
    phenotype = consultation_value(page, "Phenotypic features (HPO)").get_by_role("listitem")
    expect(phenotype).to_have_count(2)
    expect(phenotype.filter(has_text="Seizure")).to_have_text(re.compile(r"^\s*present\s+Seizure\s+\(HP:0001250\)\s*$"))
    expect(phenotype.filter(has_text="Hepatomegaly")).to_have_text(re.compile(r"^\s*excluded\s+Hepatomegaly\s+\(HP:0002240\)\s*$"))
    expect(consultation_value(page, "Nickname")).to_have_text(NICKNAME)
    expect(consultation_value(page, "Urgent request")).to_have_text("No")
    expect(consultation_value(page, "Repeat of a previous panel")).to_have_text("Don't know")
    expect(consultation_value(page, "Request description")).to_have_text("Is this AL amyloidosis with cardiac involvement?")


@pytest.mark.browser
def test_consultation_form_draft_coded_picker_and_read_only_panel(page: Page) -> None:
    # ---- Hanna opens a panel on a patient of her centre and saves a partial draft. ----
    sign_in(page, LEAD, "Hanna Peeters")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Centre", exact=True).click()
    page.get_by_role("link", name="Patient list").click()
    page.get_by_role("row").filter(has_text=CPMS_ID).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(CPMS_ID)
    page.get_by_role("group", name="Open a panel on").get_by_role("button", name="Amyloidosis").click()
    opened = flash(page, "opened")
    expect(opened).to_be_visible()
    match = OPENED.search(opened.inner_text())
    assert match is not None
    panel_id = int(match.group(1))
    expect(page.get_by_role("heading", name="Consultation form", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f-]{36}$"))
    task_url = page.url

    page.get_by_role("textbox", name="Nickname").fill(NICKNAME)
    # What the page sends every half minute from a changed form (consilium.js): the form, to its autosave address.
    autosaved = page.evaluate(
        """() => { const form = document.querySelector("form.task-form");
                   return fetch(form.dataset.autosaveUrl, {method: "POST", body: new FormData(form)}).then((r) => r.json()); }"""
    )
    assert autosaved["saved"] is True and autosaved["message"].startswith("Draft saved automatically")
    page.get_by_role("button", name="Save draft").click()
    expect(flash(page, "Draft saved. Nothing was checked yet")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)  # a draft checks nothing: the mandatory fields may wait
    sign_out(page)

    # ---- She comes back to her panel's form from the dashboard: the demo's other draft is not hers to pick. ----
    sign_in(page, LEAD, "Hanna Peeters")
    waiting = page.get_by_role("region", name="Waiting for you").get_by_role("listitem")
    mine = waiting.filter(has=page.get_by_role("link", name=re.compile(rf"^panel #{panel_id}$")))
    expect(mine).to_have_count(1)
    mine.get_by_role("link", name="Fill consultation form", exact=True).click()
    expect(page.get_by_role("heading", name="Consultation form", level=1)).to_be_visible()
    assert page.url == task_url
    expect(page.get_by_role("heading", name=f"Panel #{panel_id}", level=2)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Draft saved by Hanna Peeters"))).to_be_visible()
    expect(page.get_by_role("textbox", name="Nickname")).to_have_value(NICKNAME)

    # Without JavaScript the diagnosis takes a typed code: the "Find a code" link opens the plain search page.
    diagnosis = page.get_by_role("combobox", name=DIAGNOSIS, exact=True)
    find_a_code = page.locator(".form-field").filter(has=diagnosis).get_by_role("link", name="Find a code (ORPHA, ICD-10)")
    expect(find_a_code).to_have_attribute("href", re.compile(r"/terminology/search\?systems=ORPHA"))
    with page.context.expect_page() as new_page:
        find_a_code.click()
    search = new_page.value
    expect(search.get_by_role("heading", name="Find a code", level=1)).to_be_visible()
    systems = search.get_by_role("group", name="Coding systems")
    expect(systems.get_by_label("ORPHA")).to_be_checked()
    expect(systems.get_by_label("ICD-10")).to_be_checked()
    expect(systems.get_by_label("HPO")).not_to_be_checked()
    search.get_by_role("textbox", name="Code or words").fill("amyloidosis")
    search.get_by_role("button", name="Search").click()
    expect(search.get_by_role("textbox", name="Code or words")).to_have_value("amyloidosis")
    row = search.get_by_role("row").filter(has=search.get_by_text("ORPHA:85443", exact=True))
    expect(row).to_contain_text("AL amyloidosis")
    expect(search.get_by_role("row").filter(has_text="HP:")).to_have_count(0)  # HPO was not asked for
    assert_accessible(search, "terminology search page")
    search.close()

    # ---- The rest of the form. ----
    page.get_by_role("group", name="Urgent request").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="Repeat of a previous panel").get_by_label("Don't know", exact=True).check()
    page.get_by_role("textbox", name="Request description").fill("Is this AL amyloidosis with cardiac involvement?")

    # The diagnosis, typed and picked with the keyboard.
    expect(diagnosis).to_have_attribute("aria-expanded", "false")
    diagnosis.press_sequentially("AL amyl")
    options = listbox_of(page, diagnosis).get_by_role("option")
    expect(options.filter(has_text=AL_AMYLOIDOSIS)).to_have_text(f"{AL_AMYLOIDOSIS} (ORPHA)")
    expect(diagnosis).to_have_attribute("aria-expanded", "true")
    assert_accessible(page, "consultation form, diagnosis list open")
    expect(diagnosis).not_to_have_attribute("aria-activedescendant", re.compile(".*"))  # nothing highlighted yet
    diagnosis.press("ArrowDown")
    first = active_option(page, diagnosis)
    diagnosis.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "false")
    expect(active_option(page, diagnosis)).not_to_have_text(first.inner_text())
    choose_with_keyboard(page, diagnosis, AL_AMYLOIDOSIS)
    expect(diagnosis).to_have_value(AL_AMYLOIDOSIS)
    expect_closed(page, diagnosis)

    # Two HPO features: Seizure (keyboard), then Hepatomegaly marked excluded (mouse).
    phenotype = page.get_by_role("textbox", name="Phenotypic features (HPO)", exact=True)
    finder = page.get_by_role("combobox", name="Add an HPO term", exact=True)
    finder.press_sequentially("seizure")
    choose_with_keyboard(page, finder, SEIZURE)
    expect(phenotype).to_have_value(SEIZURE)
    expect(finder).to_have_value("")
    expect_closed(page, finder)
    page.get_by_label("Excluded (not observed)").check()
    finder.press_sequentially("hepatomeg")
    listbox_of(page, finder).get_by_role("option", name=f"{HEPATOMEGALY} (HPO)").click()
    expect(phenotype).to_have_value(f"{SEIZURE}\nnot {HEPATOMEGALY}")
    expect(finder).to_have_value("")
    expect_closed(page, finder)

    # A second draft keeps every answer as typed, coded ones included.
    page.get_by_role("button", name="Save draft").click()
    expect(flash(page, "Draft saved. Nothing was checked yet")).to_be_visible()
    expect(page.get_by_role("textbox", name="Nickname")).to_have_value(NICKNAME)
    expect(diagnosis).to_have_value(AL_AMYLOIDOSIS)
    expect(phenotype).to_have_value(f"{SEIZURE}\nnot {HEPATOMEGALY}")
    expect(page.get_by_role("group", name="Repeat of a previous panel").get_by_label("Don't know", exact=True)).to_be_checked()
    assert_accessible(page, "consultation form, complete draft")

    page.get_by_role("button", name="Submit consultation form").click()
    expect(flash(page, "submitted: now invite the experts.")).to_be_visible()
    expect(page.get_by_role("heading", name="Invite experts", level=1)).to_be_visible()
    page.get_by_role("heading", name=f"Panel #{panel_id} {NICKNAME}", level=2).get_by_role("link").click()

    # ---- The panel page shows the answers as text. ----
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{panel_id} {NICKNAME} — Panel selection")
    expect_coded_answers(page)
    expect_read_only_consultation(page)
    assert_accessible(page, "panel page, consultation tab")

    # Jan is listed for Rare lymphomas only: among the other experts of the ERN on this Amyloidosis panel.
    page.get_by_role("link", name="Panel members", exact=True).click()
    page.get_by_role("group", name="Experts to invite").get_by_label(re.compile(r"^Jan Novák")).check()
    page.get_by_role("button", name="Invite selected").click()
    expect(flash(page, "Jan Novák invited.")).to_be_visible()
    sign_out(page)

    # ---- Jan accepts and reads the consultation, without any way to edit it. ----
    sign_in(page, EXPERT, "Jan Novák")
    page.get_by_role("list", name="Panel invites").get_by_role("link", name=f"#{panel_id} {NICKNAME}", exact=True).click()
    page.get_by_role("region", name="Waiting for you").get_by_role("link", name="Answer invitation", exact=True).click()
    page.get_by_role("group", name="Answer").get_by_label("Accept").check()
    page.get_by_role("button", name="Send answer").click()
    expect(flash(page, "Invitation to panel")).to_be_visible()
    page.get_by_role("heading", name=f"Panel #{panel_id} {NICKNAME}", level=2).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{panel_id} {NICKNAME} — Panel selection")
    expect(page.locator("#panel-members")).to_contain_text("Jan Novák")
    expect_coded_answers(page)
    expect_read_only_consultation(page)
    expect(page.get_by_role("region", name="Waiting for you").get_by_role("link", name="Fill consultation form")).to_have_count(0)

    # The submitted form's own address no longer offers the form either (gone, or done by Hanna).
    response = page.goto(task_url)
    assert response is not None and response.status in (404, 409)
    expect(page.get_by_role("heading", name="Consultation form", level=1)).to_have_count(0)
    expect(page.get_by_role("textbox", name="Nickname")).to_have_count(0)
    expect(page.get_by_role("button", name="Submit consultation form")).to_have_count(0)
