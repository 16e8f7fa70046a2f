"""Passkeys in a real browser: headless chromium with the DevTools protocol's virtual authenticator. A demo user
registers a passkey, signs out and signs in with it (no password); a copied passkey (its counter behind) is refused;
another origin cannot use it; once removed, it signs no one in.

WebAuthn needs a secure context and a domain as RP ID: the live server is browsed as http://localhost:<port>, and
PUBLIC_URL names that origin for this module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import CDPSession
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.journeys import flash
from tests.browser.journeys import sign_in
from tests.browser.journeys import sign_out
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

EMAIL, NAME = "manager@demo.consilium.eu", "Mara Manager"


@pytest.fixture
def site(live_server: LiveServer) -> Iterator[str]:
    origin = f"http://localhost:{urlsplit(live_server.url).port}"
    before = live_server.app.config["PUBLIC_URL"]
    live_server.app.config["PUBLIC_URL"] = origin
    try:
        yield origin
    finally:
        live_server.app.config["PUBLIC_URL"] = before


@pytest.fixture
def localhost_page(chromium: Browser, site: str) -> Iterator[Page]:
    # bypass_csp: only so that assert_accessible can inline axe-core (as the shared `page` fixture does).
    context = chromium.new_context(base_url=site, bypass_csp=True, locale="en-GB")
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def virtual_authenticator(page: Page) -> tuple[CDPSession, str]:
    client = page.context.new_cdp_session(page)
    client.send("WebAuthn.enable")
    options = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True, "isUserVerified": True}
    return client, client.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]


def credentials(client: CDPSession, authenticator: str) -> list[dict[str, Any]]:
    return list(client.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"])


def sign_in_with_passkey(page: Page) -> None:
    page.goto("/login")
    page.get_by_role("button", name="Sign in with a passkey").click()


def test_a_user_registers_a_passkey_and_signs_in_with_it(localhost_page: Page, live_server: LiveServer) -> None:
    page = localhost_page
    client, authenticator = virtual_authenticator(page)
    sign_in(page, EMAIL, NAME)

    page.goto("/preferences/passkeys")
    expect(page.get_by_role("heading", name="Passkeys", level=1)).to_be_visible()
    expect(page.get_by_text("You have no passkey yet.")).to_be_visible()
    assert_accessible(page, "the passkeys page")
    page.get_by_role("button", name="Add a passkey").click()  # no name yet: said, and nothing created
    expect(page.get_by_role("alert").filter(has_text="Give the passkey a name")).to_be_visible()
    page.get_by_label("Name (for example: work laptop)").fill("Test laptop")
    page.get_by_label("Name (for example: work laptop)").press("Enter")  # the keyboard is enough
    expect(flash(page, "The passkey “Test laptop” is registered.")).to_be_visible()
    expect(page.get_by_role("cell", name="Test laptop", exact=True)).to_be_visible()
    assert_accessible(page, "the passkeys page with a passkey")
    [credential] = credentials(client, authenticator)
    assert credential["isResidentCredential"] and credential["rpId"] == "localhost"

    # Signed out: the passkey alone signs in (the authenticator verified the user).
    sign_out(page)
    sign_in_with_passkey(page)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_text(NAME, exact=True)).to_be_visible()
    sign_out(page)

    # A copy of the passkey whose counter is behind the one the site saw last: refused.
    [used] = credentials(client, authenticator)
    assert used["signCount"] >= 1
    client.send("WebAuthn.removeCredential", {"authenticatorId": authenticator, "credentialId": used["credentialId"]})
    client.send("WebAuthn.addCredential", {"authenticatorId": authenticator, "credential": {**used, "signCount": 0}})
    sign_in_with_passkey(page)
    expect(page.get_by_role("alert").filter(has_text="counter went backwards")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_enabled()
    client.send("WebAuthn.removeCredential", {"authenticatorId": authenticator, "credentialId": used["credentialId"]})
    client.send("WebAuthn.addCredential", {"authenticatorId": authenticator, "credential": {**used, "signCount": used["signCount"] + 10}})

    # Another origin (the same server at 127.0.0.1): the browser will not use the passkey there.
    page.goto(f"{live_server.url}/login")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert").filter(has_text="Consilium’s own address")).to_be_visible()

    # Removed: the passkey signs no one in any more.
    sign_in_with_passkey(page)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    page.goto("/preferences/passkeys")
    page.get_by_role("button", name="Remove Test laptop").click()
    expect(flash(page, "The passkey “Test laptop” was removed")).to_be_visible()
    expect(page.get_by_text("You have no passkey yet.")).to_be_visible()
    sign_out(page)
    sign_in_with_passkey(page)
    expect(page.get_by_role("alert").filter(has_text="not registered for your account")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
