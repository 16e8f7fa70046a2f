"""The process editor opens with the whole diagram in view, and nothing drawn over the canvas covers any of it.

Mara Manager (the demo's ERN manager of EuroBloodNet) opens the panel process in the editor; every shape and label of
the diagram lies inside the canvas and clear of the palette of tools, the linter's button and the bpmn.io mark, at the
window sizes of a laptop and of a large screen. With CONSILIUM_SCREENSHOTS=DIR, a picture of the canvas at each size
is kept there, to look at.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer
from tests.browser.conftest import assert_accessible
from tests.browser.journeys import sign_in

MANAGER = "manager@demo.consilium.eu"
EDITOR = "/erns/EuroBloodNet/processes/panel/edit"

# Every drawn element's box (shapes and their labels, as the browser lays them out), the canvas, and what overlays it.
BOXES = """() => {
  const box = (element) => {
    const r = element.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom};
  };
  const container = document.getElementById('bpmn-modeler');
  const drawn = [...container.querySelectorAll('g.djs-element:not(.djs-connection) > .djs-visual')]
    .map((visual) => ({id: visual.parentElement.dataset.elementId, ...box(visual)}))
    .filter((b) => b.right > b.left && b.bottom > b.top);
  const overlays = Object.fromEntries(['.djs-palette', '.bjsl-button', '.bjs-powered-by']
    .map((selector) => [selector, box(container.querySelector(selector))]));
  return {canvas: box(container), overlays, drawn};
}"""


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)], ids=["laptop", "large screen"])
def test_the_editor_shows_the_whole_diagram_beside_the_palette(page: Page, live_server: LiveServer, size: tuple[int, int]) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in(page, MANAGER, "Mara Manager")
    page.goto(EDITOR)
    canvas = page.locator("#bpmn-modeler")
    expect(canvas).to_have_attribute("data-state", "ready")
    canvas.scroll_into_view_if_needed()
    if os.environ.get("CONSILIUM_SCREENSHOTS"):
        canvas.screenshot(path=os.path.join(os.environ["CONSILIUM_SCREENSHOTS"], f"modeler-{size[0]}x{size[1]}.png"))

    boxes = page.evaluate(BOXES)
    canvas_box = boxes["canvas"]
    assert len(boxes["drawn"]) > 20  # the panel process: pools, lanes, tasks, events, gateways
    for drawn in boxes["drawn"]:
        inside = (
            drawn["left"] >= canvas_box["left"] - 1
            and drawn["top"] >= canvas_box["top"] - 1
            and drawn["right"] <= canvas_box["right"] + 1
            and drawn["bottom"] <= canvas_box["bottom"] + 1
        )
        assert inside, f"{drawn['id']} is outside the canvas: {drawn} not in {canvas_box}"
        for overlay, over in boxes["overlays"].items():
            assert not overlap(drawn, over), f"{overlay} covers {drawn['id']}: {drawn} under {over}"
    assert_accessible(page, "editor, as opened")
