"""Steps every browser journey takes: signing a demo user in and out, reading a flash message."""

from __future__ import annotations

from playwright.sync_api import Locator
from playwright.sync_api import Page
from playwright.sync_api import expect

from app.demo.data import DEMO_PASSWORD


def sign_in(page: Page, email: str, name: str) -> None:
    page.goto("/login")
    expect(page.get_by_label("E-mail")).to_be_focused()  # the sign-in page starts where the person types
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_text(name, exact=True)).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def flash(page: Page, text: str) -> Locator:
    return page.get_by_role("status").filter(has_text=text)
