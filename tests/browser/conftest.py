"""Browser tests: a live Consilium server on its own seeded database, driven by Debian's chromium through Playwright.

The server runs in a background thread (werkzeug) on a fresh database with the demo data committed, so that the
browser sees what a user would: real sessions, real CSRF tokens, real redirects. The per-test savepoint fixtures of
tests/conftest.py (``database``, ``client``) are deliberately not used: their data is never committed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.conftest import build_app
from tests.conftest import drop_database_url
from tests.conftest import make_database_url

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")


class LiveServer:
    def __init__(self, app: Flask, url: str) -> None:
        self.app = app
        self.url = url


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Consilium served on 127.0.0.1 (random port) from a fresh, migrated database seeded with the demo data."""
    from app.database import db
    from app.demo.services import seed_demo
    from app.tasks.form_definitions import load_form_definitions

    database_url = make_database_url(tmp_path_factory.mktemp("browser-db"), "browser")
    try:
        app = build_app(database_url)
        # build_app is made for the test client; a browser must go through CSRF like a user,
        # and must be served on whatever host:port the server binds to.
        app.config["WTF_CSRF_ENABLED"] = True
        app.config["SERVER_NAME"] = None
        with app.app_context():
            seed_demo(load_form_definitions(app.config["FORMS_DIR"]), date.today())

        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="consilium-live-server", daemon=True)
        thread.start()
        try:
            yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
            with app.app_context():
                db.engine.dispose()
    finally:
        drop_database_url(database_url)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless. Never `playwright install`: the system browser is the one under test."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Browser, live_server: LiveServer) -> Iterator[Page]:
    # bypass_csp: the app sends `script-src 'self'`, and add_script_tag(path=...) inlines axe-core into the page,
    # which that policy would block. Bypassing CSP in the test context only lets the accessibility check run;
    # the app's own scripts are served from 'self' and would run either way.
    context = chromium.new_context(base_url=live_server.url, bypass_csp=True, locale="en-GB")
    context.set_default_timeout(5_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def assert_accessible(page: Page, where: str = "") -> None:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the current page; fail on any serious or critical violation."""
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_PATH))
    results: dict[str, Any] = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    blocking = [v for v in results["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"Accessibility violations on {where or page.url} ({page.url}):"]
        for violation in blocking:
            lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
            for node in violation["nodes"]:
                lines.append(f"    target: {node['target']}  html: {node['html'][:200]}")
                summary = node.get("failureSummary")
                if summary:
                    lines.append("      " + summary.replace("\n", "\n      "))
        pytest.fail("\n".join(lines), pytrace=False)
