"""Consilium in other languages, in the browser: a clinician switches to German and goes through an enrolment and a
panel page with no English left; a visitor whose browser asks for French gets French before any choice."""

from __future__ import annotations

import re
from datetime import date
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from app.database import db
from app.demo.data import DEMO_PASSWORD
from app.i18n import LANGUAGE_NAMES
from app.panels.models import Panel
from tests.browser.conftest import assert_accessible
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")


@cache
def catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as source:
        return read_mo(source)


def translated(language: str, message: str) -> str:
    return str(catalogue(language).get(message).string)


@cache
def english_left_in(language: str) -> tuple[re.Pattern[str], ...]:
    """What of the English catalogue would give away an untranslated text: each message's fixed parts of two words or
    more, and its single words of five letters or more, where the translation says something else."""
    known = catalogue(language)
    with (TRANSLATIONS / "messages.pot").open("rb") as source:
        english = [m.id for m in read_po(source) if isinstance(m.id, str) and m.id]
    # Words both languages use (Patient, Name, Status, PDF…) give nothing away: a part the translations use too is left out.
    translations = "\n".join(str(m.string) for m in known if m.id)
    patterns = []
    for message in english:
        found = known.get(message)
        if found is None or found.string == message:
            continue
        for part in PLACEHOLDER.split(message):
            part = part.strip(" .,:;!?()“”\"'…-")
            words = re.findall(r"[A-Za-z]+", part)
            if not (len(words) >= 2 or (len(words) == 1 and len(part) >= 5 and part.isalpha())):
                continue
            pattern = re.compile(rf"(?<![\w-]){re.escape(part)}(?![\w-])")
            if not pattern.search(translations):
                patterns.append(pattern)
    return tuple(patterns)


def assert_no_english(page: Page, where: str, data: tuple[str, ...] = ()) -> None:
    """The page's visible text holds no English of the catalogue (names, codes and the users' own texts aside)."""
    text = page.locator("body").inner_text()
    for known in (*data, *LANGUAGE_NAMES.values()):  # each language by its own name
        text = text.replace(known, " ")
    left = sorted({pattern.pattern for pattern in english_left_in("de") if pattern.search(text)})
    assert left == [], f"English on the {where}: {left[:10]}"


def test_a_clinician_switches_to_german_and_meets_no_english(page: Page, live_server: LiveServer) -> None:
    page.goto("/login")
    page.locator("input[name=email]").fill("hp1@demo.consilium.eu")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.goto("/preferences")
    page.locator("select#language").select_option("de")
    page.locator("select#language").evaluate("select => select.form.requestSubmit()")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text(translated("de", "Preferences"))
    assert_no_english(page, "preferences page")

    # An enrolment, from the centre page to the new patient's page.
    page.goto("/centres/BE10")
    assert_no_english(page, "centre page", ("University Hospital Leuven",))
    page.locator("form[action$='/patients/enrol'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f-]{36}$"))
    assert_no_english(page, "enrolment form")
    assert_accessible(page, "enrolment form in German")
    yesterday = (date.today() - timedelta(days=1)).strftime("%d/%m/%Y")
    page.locator("[name=first_name]").fill("Jörg")
    page.locator("[name=last_name]").fill("Weiß")
    page.locator("[name=gender][value=male]").check()
    page.locator("[name=date_of_birth]").fill("31/02/2020")
    page.locator("[name=date_of_birth]").press("Enter")
    expect(page.locator("#date_of_birth-error")).to_be_visible()
    assert_no_english(page, "enrolment form with its errors")
    page.locator("[name=date_of_birth]").fill("15/03/2020")
    page.locator("[name=enrolled_on]").fill(yesterday)
    page.locator("[name=consent_care][value=yes]").check()
    page.locator("[name=consent_care_date]").fill(yesterday)
    page.locator("[name=consent_registry][value=no]").check()
    page.locator("[name=consent_research][value=no]").check()
    page.locator("[name=consent_research_date]").fill(yesterday)
    page.locator("[name=consent_research_date]").press("Enter")  # implicit submission: the form's Submit
    expect(page).to_have_url(re.compile(r"/patients/\d+"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Weiß, Jörg")
    assert_no_english(page, "patient page")

    # A panel page with its timeline, members, meetings and contributions.
    with live_server.app.app_context():
        panel_id = db.session.scalar(select(Panel.id).where(Panel.nickname == "quiet harbour"))
    demo_texts = ("quiet harbour", "Cardiac staging first: NT-proBNP and troponin before any decision.", "Outside my field.")
    demo_texts += ("Please share the latest echocardiography report.", "Amyloidosis", "Rare lymphomas")
    for tab in ("consultation", "members", "meetings", "contributions"):
        page.goto(f"/panels/{panel_id}?tab={tab}")
        expect(page.locator("html")).to_have_attribute("lang", "de")
        assert_no_english(page, f"panel page ({tab})", demo_texts)
    assert_accessible(page, "panel page in German")


def test_a_french_browser_gets_french_before_any_choice(chromium: Browser, live_server: LiveServer) -> None:
    context = chromium.new_context(base_url=live_server.url, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto("/login")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.get_by_role("heading", level=1)).to_have_text(translated("fr", "Sign in"))
    finally:
        context.close()
