"""A member expert starts enrolling a patient the centre already has: the form warns, links to the existing record, and
the record enrolled anyway says it may be a duplicate."""

from __future__ import annotations

import re
from datetime import date
from datetime import timedelta

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.journeys import sign_in

CPMS_ID = re.compile(r"ERN-BE10-EuroBloodNet-\d{3}")


@pytest.mark.browser
def test_enrolling_a_patient_the_centre_already_has_warns_with_a_link_to_the_record(page: Page) -> None:
    yesterday = (date.today() - timedelta(days=1)).strftime("%d/%m/%Y")
    sign_in(page, "hp1@demo.consilium.eu", "Hanna Peeters")
    page.goto("/centres/BE10")
    page.get_by_label("Network").select_option(label="EuroBloodNet")
    page.get_by_role("button", name="Enrol patient").click()
    expect(page.get_by_role("heading", name="Enrol patient", level=1)).to_be_visible()

    # Roger Addel, born 05/02/1976, is a demo patient of BE10 in EuroBloodNet: typed in other case, names swapped.
    page.get_by_role("textbox", name="First name").fill("ADDEL")
    page.get_by_role("textbox", name="Last name").fill("roger")
    date_of_birth = page.get_by_role("textbox", name="Date of birth")
    date_of_birth.fill("05/02/1976")
    date_of_birth.press("Tab")

    warning = page.get_by_role("status").filter(has_text="A patient with the same names and birth date is already enrolled at your centre")
    expect(warning).to_be_visible()
    record_link = warning.get_by_role("link", name=CPMS_ID)
    expect(record_link).to_have_attribute("target", "_blank")
    cpms_id = record_link.inner_text()
    assert_accessible(page, "enrolment form warning of a possible duplicate")

    # The record opens in a new tab; the form stays as typed.
    with page.context.expect_page() as opened:
        record_link.click()
    record = opened.value
    expect(record.get_by_role("heading", level=1)).to_contain_text("Addel, Roger")
    expect(record.get_by_role("heading", level=1)).to_contain_text(cpms_id)
    record.close()
    expect(date_of_birth).to_have_value("05/02/1976")

    # Another birth date: the warning goes.
    date_of_birth.fill("06/02/1976")
    date_of_birth.press("Tab")
    expect(warning).to_have_count(0)

    # Enrolled anyway (a warning, not a block): the new record says it may be a duplicate, with a link.
    date_of_birth.fill("05/02/1976")
    page.get_by_role("group", name="Gender").get_by_label("Male", exact=True).check()
    page.get_by_role("textbox", name="Date enrolled").fill(yesterday)
    page.get_by_role("group", name="Consent for care").get_by_label("Yes").check()
    page.get_by_role("textbox", name="Date of consent for care").fill(yesterday)
    page.get_by_role("button", name="Enrol patient").click()
    expect(page).to_have_url(re.compile(r"/patients/\d+$"))
    notice = page.locator("#possible-duplicates")
    expect(notice).to_contain_text("Possible duplicate: same names and birth date as")
    notice.get_by_role("link", name=cpms_id).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(cpms_id)
    assert_accessible(page, "existing record, which names its possible duplicate")
