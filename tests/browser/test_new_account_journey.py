"""As a new user would: request an account, a coordinator approves it from the queue, the new user
sets a password and a second factor, and signs in."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import assert_accessible


def last_mail_to(live_server, address):
    from app.database import db
    from app.mail.models import OutgoingMail

    with live_server.app.app_context():
        mail = db.session.scalar(select(OutgoingMail).where(OutgoingMail.recipient == address).order_by(OutgoingMail.id.desc()))
        return mail.body if mail else ""


@pytest.mark.browser
def test_a_new_user_is_approved_by_a_coordinator_and_signs_in_with_a_second_factor(page: Page, live_server) -> None:
    page.goto("/login")
    page.get_by_role("link", name="Request an account").click()
    assert_accessible(page, "account request form")
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("Newcomer")
    page.get_by_label("Professional e-mail").fill("nora@fnbrno.example")
    page.get_by_label("Network (ERN)").select_option(label="EuroBloodNet — European Reference Network on Rare Haematological Diseases")
    page.get_by_label("Centre").select_option(label="CZ08 - University Hospital Brno (EuroBloodNet)")
    page.get_by_role("combobox", name="Role").select_option("member_expert")
    page.get_by_label("Professional role / specialisation").fill("Haematologist")
    page.get_by_label("Why do you need access?").fill("I treat adults with rare lymphomas.")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("status").filter(has_text="Your request was sent")).to_be_visible()

    # The coordinator finds the request in the queue and approves it.
    page.get_by_label("E-mail").fill("coordinator@demo.consilium.eu")
    page.get_by_label("Password").fill("consilium-demo")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("link", name="Review account request").first.click()
    expect(page.get_by_text("I treat adults with rare lymphomas.")).to_be_visible()
    assert_accessible(page, "review task")
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Record decision").click()
    page.get_by_role("button", name="Sign out").click()

    # The applicant follows the link from the mail.
    link = re.search(r"https?://\S+/account/password/\S+", last_mail_to(live_server, "nora@fnbrno.example")).group(0)
    page.goto(re.sub(r"^https?://[^/]+", "", link))
    assert_accessible(page, "set password")
    page.locator("#password").fill("correct horse battery staple")
    page.locator("#confirm").fill("correct horse battery staple")
    page.get_by_role("button", name="Set password").click()

    page.get_by_label("E-mail").fill("nora@fnbrno.example")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert_accessible(page, "second factor set-up")
    secret = page.locator("code.user-select-all").inner_text()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
    assert_accessible(page, "recovery codes")
    page.get_by_role("link", name=re.compile("continue")).click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Nora Newcomer")).to_be_visible()

    # A later sign-in asks for the code of the authenticator app (the next time step: the one used
    # at set-up can never be replayed).
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("E-mail").fill("nora@fnbrno.example")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
    assert_accessible(page, "second factor at sign-in")
    page.get_by_label("Code").fill("000000")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
