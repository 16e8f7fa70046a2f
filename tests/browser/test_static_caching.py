"""A page visit fetches no static file the browser already has: styles, scripts, the process editor and its fonts.

The requests are counted where they arrive, at the live server: a file the browser takes from its own cache never
gets there. Mara Manager (the demo's ERN manager of EuroBloodNet) signs in, which loads the layout's files, and opens
the process editor once, which loads the editor's bundle and icon fonts; then she goes from page to page and opens
the editor again, and no request for a static file reaches the server.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer
from tests.browser.journeys import sign_in

MANAGER = "manager@demo.consilium.eu"
EDITOR = "/erns/EuroBloodNet/processes/panel/edit"


@pytest.fixture
def arriving(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The path of every request that reaches the live server while the test runs."""
    paths: list[str] = []
    serve = live_server.app.wsgi_app

    def counting(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        paths.append(environ["PATH_INFO"])
        return serve(environ, start_response)

    monkeypatch.setattr(live_server.app, "wsgi_app", counting)
    yield paths


@pytest.mark.browser
def test_pages_visited_again_fetch_no_static_file_the_browser_has(page: Page, arriving: list[str]) -> None:
    sign_in(page, MANAGER, "Mara Manager")
    page.goto(EDITOR)
    expect(page.locator("#bpmn-modeler")).to_have_attribute("data-state", "ready")
    page.evaluate("() => document.fonts.ready.then(() => true)")  # the icon fonts come once the palette is drawn
    first = [path for path in arriving if path.startswith("/static/")]
    assert any(path.endswith("modeler.js") for path in first) and any(".woff" in path for path in first), first

    arriving.clear()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Panels").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(EDITOR)
    expect(page.locator("#bpmn-modeler")).to_have_attribute("data-state", "ready")
    page.evaluate("() => document.fonts.ready.then(() => true)")

    assert "/erns/EuroBloodNet/processes/panel/edit" in arriving  # the pages themselves do come from the server
    assert [path for path in arriving if path.startswith("/static/")] == []
