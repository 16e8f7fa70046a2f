"""Coded answers typed as a clinician types them: the pickers take only the option the user chooses, rank ORPHA first
where a rare disease is asked for, find terms by synonym, abbreviation or British spelling, and the Excluded tick of
the phenotype finder goes back to unticked after each pick.

Hanna Peeters (BE10) works on the consultation form of a panel of her own, opened for this module's tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Dialog
from playwright.sync_api import Locator
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import LiveServer
from tests.browser.conftest import assert_accessible
from tests.browser.journeys import sign_in
from tests.factories import ORIGIN

LEAD = "hp1@demo.consilium.eu"
BUILDING = 30_000  # ms: the first search of a test may wait for the index being built (a few seconds on a busy machine)
CPMS_ID = "ERN-BE10-EuroBloodNet-001"
DIAGNOSIS = "Rare disease diagnosis (ORPHA or ICD-10), if known"
AL_AMYLOIDOSIS = "ORPHA:85443 — AL amyloidosis"


@pytest.fixture(scope="module")
def consultation_url(live_server: LiveServer) -> str:
    """The consultation form of a panel Hanna opens on a patient of her centre. The terminology index starts building
    now, in the background, as a server's does at start-up (the test app leaves it to the first search): the first
    search of a test may come while it is still being built, and must then wait for it, not answer from a part."""
    from app.accounts.models import User
    from app.database import db
    from app.panels.services import open_panel
    from app.patients.models import Patient
    from app.terminology.catalogue import start_building

    start_building()

    with live_server.app.app_context():
        lead = db.session.scalar(select(User).where(User.email == LEAD))
        patient = db.session.scalar(select(Patient).where(Patient.cpms_id == CPMS_ID))
        area = next(area for area in patient.ern.thematic_areas if area.name == "Amyloidosis")
        _panel_id, task_id = open_panel(lead, patient.id, area.id, ORIGIN)
        db.session.remove()
    return f"/tasks/{task_id}"


@pytest.fixture
def form(page: Page, consultation_url: str) -> Iterator[Page]:
    sign_in(page, LEAD, "Hanna Peeters")
    page.goto(consultation_url)
    expect(page.get_by_role("heading", name="Consultation form", level=1)).to_be_visible()
    yield page


def listbox_of(page: Page, combobox: Locator) -> Locator:
    controls = combobox.get_attribute("aria-controls")
    assert controls, "the picker is not an ARIA combobox"
    return page.locator(f"#{controls}")


def expect_nothing_highlighted(page: Page, combobox: Locator) -> None:
    expect(combobox).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    expect(listbox_of(page, combobox).locator("[aria-selected=true]")).to_have_count(0)


def highlighted(page: Page, combobox: Locator) -> Locator:
    active = combobox.get_attribute("aria-activedescendant")
    assert active, "no option highlighted"
    option = page.locator(f"#{active}")
    expect(option).to_have_attribute("aria-selected", "true")
    return option


@pytest.mark.browser
def test_enter_takes_only_the_option_highlighted_with_the_arrow_keys_and_escape_closes_the_list(form: Page) -> None:
    page = form
    url = page.url
    diagnosis = page.get_by_role("combobox", name=DIAGNOSIS, exact=True)
    options = listbox_of(page, diagnosis).get_by_role("option")

    # The list opens with nothing highlighted: Enter then takes nothing, and does not send the form either.
    diagnosis.press_sequentially("AL amyl")
    expect(options.first).to_have_text(f"{AL_AMYLOIDOSIS} (ORPHA)", timeout=BUILDING)
    expect_nothing_highlighted(page, diagnosis)
    diagnosis.press("Enter")
    expect(listbox_of(page, diagnosis)).to_be_hidden()
    expect(diagnosis).to_have_value("AL amyl")
    expect(diagnosis).to_have_attribute("aria-expanded", "false")
    assert page.url == url
    expect(page.get_by_role("alert")).to_have_count(0)

    # Arrow keys move the highlight; Escape closes the list and keeps what was typed.
    diagnosis.press_sequentially("o")
    expect(options.first).to_be_visible()
    expect_nothing_highlighted(page, diagnosis)
    diagnosis.press("ArrowDown")
    expect(highlighted(page, diagnosis)).to_have_text(f"{AL_AMYLOIDOSIS} (ORPHA)")
    diagnosis.press("ArrowDown")
    expect(highlighted(page, diagnosis)).not_to_have_text(f"{AL_AMYLOIDOSIS} (ORPHA)")
    diagnosis.press("ArrowUp")
    expect(highlighted(page, diagnosis)).to_have_text(f"{AL_AMYLOIDOSIS} (ORPHA)")
    assert_accessible(page, "diagnosis list, an option highlighted")
    diagnosis.press("Escape")
    expect(listbox_of(page, diagnosis)).to_be_hidden()
    expect(diagnosis).to_have_value("AL amylo")

    # Enter on the highlighted option takes it.
    diagnosis.press_sequentially("i")
    expect(options.first).to_be_visible()
    diagnosis.press("ArrowDown")
    diagnosis.press("Enter")
    expect(diagnosis).to_have_value(AL_AMYLOIDOSIS)
    expect(listbox_of(page, diagnosis)).to_be_hidden()
    assert page.url == url


@pytest.mark.browser
def test_terms_are_found_by_synonym_abbreviation_or_british_spelling_orpha_first_for_a_rare_disease(form: Page) -> None:
    page = form
    diagnosis = page.get_by_role("combobox", name=DIAGNOSIS, exact=True)
    options = listbox_of(page, diagnosis).get_by_role("option")
    diagnosis.press_sequentially("hodgkin")
    expect(options.first).to_have_text(re.compile(r"^ORPHA:\d+ — .*Hodgkin lymphoma \(ORPHA\)$"), timeout=BUILDING)
    expect(options.filter(has_text="C81 — Hodgkin lymphoma (ICD-10)")).to_have_count(1)
    diagnosis.fill("")
    diagnosis.press_sequentially("PNH")
    expect(options.filter(has_text="ORPHA:447 — Paroxysmal nocturnal hemoglobinuria (ORPHA)")).to_have_count(1)
    expect(options.filter(has_text="D59.5 — Paroxysmal nocturnal haemoglobinuria")).to_have_count(1)
    diagnosis.press("Escape")

    finder = page.get_by_role("combobox", name="Add an HPO term", exact=True)
    found = listbox_of(page, finder).get_by_role("option")
    finder.press_sequentially("haemolytic anaemia")
    expect(found.first).to_have_text("HP:0001878 — Hemolytic anemia (HPO)")
    finder.fill("")
    finder.press_sequentially("epilepsy")
    expect(found.first).to_have_text("HP:0001250 — Seizure (HPO)Also known as: Epilepsy")
    expect(found.first.get_by_text("Also known as: Epilepsy")).to_be_visible()
    assert_accessible(page, "HPO finder, a term found by its synonym")


@pytest.mark.browser
def test_the_excluded_tick_goes_back_to_unticked_after_each_pick(form: Page) -> None:
    page = form
    url = page.url
    phenotype = page.get_by_role("textbox", name="Phenotypic features (HPO)", exact=True)
    finder = page.get_by_role("combobox", name="Add an HPO term", exact=True)
    excluded = page.get_by_label("Excluded (not observed)")
    found = listbox_of(page, finder).get_by_role("option")

    excluded.check()
    finder.press_sequentially("seizure")
    expect(found.first).to_have_text("HP:0001250 — Seizure (HPO)", timeout=BUILDING)
    finder.press("Enter")  # nothing highlighted: nothing added, the form not sent
    expect(phenotype).to_have_value("")
    assert page.url == url
    finder.press_sequentially(" ")
    expect(found.first).to_be_visible()
    finder.press("ArrowDown")
    finder.press("Enter")
    expect(phenotype).to_have_value("not HP:0001250 — Seizure")
    expect(excluded).not_to_be_checked()
    finder.press_sequentially("hepatomeg")
    found.filter(has_text="HP:0002240 — Hepatomegaly (HPO)").click()
    expect(phenotype).to_have_value("not HP:0001250 — Seizure\nHP:0002240 — Hepatomegaly")
    expect(excluded).not_to_be_checked()
    assert_accessible(page, "phenotype with an excluded and a present feature")

    dialogs: list[Dialog] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog), dialog.accept()))
    page.get_by_role("link", name="Come back later").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    assert [dialog.type for dialog in dialogs] == ["beforeunload"]  # the picks were not saved yet
