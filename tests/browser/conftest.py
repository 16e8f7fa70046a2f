"""Browser tests: the live Consilium server of tests/conftest.py (``live_server``: its own seeded, committed database),
driven by Debian's chromium through Playwright, so that the browser sees what a user would: real sessions, real CSRF
tokens, real redirects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import sync_playwright

from tests.conftest import LiveServer

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
    # resultTypes: only the violations are worked out in full (the passes are not): a third faster, the same verdict.
    results: dict[str, Any] = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
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
