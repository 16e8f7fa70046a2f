"""The clinician's effort for one case, priced with the Keystroke-Level Model, and the page loads it waits for.

A fresh demo server (what ``make run`` does: ``flask db upgrade``, ``flask demo``, ``flask bpmn migrate`` in demo mode,
then ``flask run --no-reload``) on its own database (a SQLite file in a temp dir; PostgreSQL with ``--database-url``,
a database this run creates and drops) and a free port. Debian's chromium, headless, driven by Playwright, then takes
the journey of one new case:

  sign in as a clinician (hp1) → enrol a patient: the three consents, each with its date, and the identifying data →
  open a panel on the new patient (thematic area: Rare lymphomas) → fill the consultation request's mandatory fields →
  submit → invite two experts.

Every operator counted is performed in the browser by the ``Operator`` recorder, which prices it with the
Keystroke-Level Model (Card, Moran & Newell, 1980):

  K 0.28 s  a keystroke (an average skilled typist; Tab, Space, Enter and arrow keys are keystrokes too)
  P 1.10 s  pointing at a target with the mouse
  B 0.10 s  a mouse button press (a click is P + B)
  H 0.40 s  moving the hand between keyboard and mouse (the recorder tracks where the hand is; it starts on the mouse)
  M 1.35 s  a mental preparation

Where M goes (Card, Moran & Newell's heuristic rules, applied once per unit rather than per operator):
- one M before each field's value: the user decides (or recalls) the value of a field once, then types it without
  further thought (rule 2: a typed string is one cognitive unit), and the Tab or click that reaches the field is
  anticipated (rule 1: no M of its own);
- one M before each navigation choice (a link or button that leads elsewhere: where to go next) and before each
  submission (Enter or a click on the form's button: deciding the form is complete);
- one M before each expert ticked (choosing whom to invite);
- none for a field the user leaves as it is (a value already there, e.g. a date that defaults to today).

The fastest reasonable operator sequence a trained user would take, on whatever the page offers (controls are found
by their accessible role and label): a control is reached by Tab when the Tab keys (plus a hand move if the hand is on
the mouse) cost less than pointing and clicking (plus the hand moves); radio buttons are chosen with the arrow keys once
the group has focus (Space for the button that has the focus); a checkbox is ticked with Space or a click; a form whose
focused field is a text box is submitted with Enter (implicit submission), otherwise its button is reached like any
control (Tab and Enter, or a click). A native list (``<select>``) is priced as a click to open it and a click on the
option (P B P B); Playwright picks the option the way the browser's own list would, since that list is drawn outside
the page. Scrolling is not a KLM operator and is not counted; nor is waiting for pages (measured apart, below).

Values typed: dates in their shortest accepted form (d/m/yyyy), fixed rather than today's so that the figure does not
depend on the day; Yes to the three consents (registry: ENROL); short names and nickname. The free text of the case
(the request description) is typed but its keystrokes, and the thinking that composes it, are excluded from the count
(reaching its field is counted); the short nickname the form asks for is counted. A field the form does not require
is left empty, except the three consents and their dates; structured fields of the consultation request (a coded
diagnosis, a choice, dates) are filled only if the form makes them mandatory. A form that comes back with errors stops
the run, so that a new mandatory field cannot go uncounted.

Page loads: after every navigation the browser's Navigation Timing entry is read once its load event has ended; the
time reported is ``loadEventEnd - startTime``: from the moment the user's click or key started the navigation (after a
form's POST, the POST and its redirect included) until the new page has loaded, its styles and scripts included; the
first byte (``responseStart - startTime``) shows the server's part. A load over 300 ms is slow. The server is fresh:
the first use of each page includes its cold start (template compilation, first queries). The sign-in page is opened
by the script (no operator) but its load is measured.

Printed: a line per page load (path, ms), a line per step (its operators, seconds, then the operators in the order
performed), then the last line ``klm_seconds=N.N page_loads=N slow_loads=N``. Targets: klm_seconds <= 63 (half of the
same journey on CPMS, about 125 s) and slow_loads = 0.

Run from the repository root:  .venv/bin/python benchmarks/effort.py [--screenshots DIR] [--keep-server]
    on PostgreSQL:  .venv/bin/python benchmarks/effort.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/consilium_effort
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser  # noqa: E402
from playwright.sync_api import Locator  # noqa: E402
from playwright.sync_api import Page  # noqa: E402
from playwright.sync_api import expect  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from benchmarks.web_harness import database  # noqa: E402

SECONDS = {"K": 0.28, "P": 1.1, "B": 0.1, "H": 0.4, "M": 1.35}
OPERATORS = "MPBHK"
SLOW_MS = 300.0
TARGET_SECONDS = 63.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EMAIL = "hp1@demo.consilium.eu"  # Hanna Peeters, clinician at BE10 (EuroBloodNet)
PASSWORD = "consilium-demo"  # noqa: S105 - the published demo password
NETWORK = "EuroBloodNet"
THEMATIC_AREA = "Rare lymphomas"
EXPERTS_WANTED = 2
# A typical date in its shortest accepted form (d/m/yyyy: 9 characters on average over a year), fixed so that the
# figure does not change with the day it is measured on; a field that already holds a date (a default) is kept.
CONSENT_DATE = "15/6/2025"
BIRTH_DATE = "17/9/1988"
CASE_DESCRIPTION = "Second opinion on a relapsing marginal zone lymphoma after first-line treatment."


def escape(label: str) -> str:
    """A label as a regular expression Playwright can parse: it passes the pattern on as /.../, where "/" ends it."""
    return re.escape(label).replace("/", r"\/")


@dataclass(frozen=True)
class Field:
    """One field of a form, filled as a user would: ``kind`` is text, date, choice (radio buttons), code (a picker:
    type ``value``, pick the option starting with ``pick``) or free_text (typed, not counted)."""

    label: str
    kind: str
    value: str
    pick: str = ""
    only_if_required: bool = False


ENROLMENT = [
    Field("Date enrolled", "date", CONSENT_DATE),
    Field("Consent for care", "choice", "Yes"),
    Field("Date of consent for care", "date", CONSENT_DATE),
    Field("Consent for ERN databases / registries", "choice", "Yes"),
    Field("Registry name", "text", "ENROL"),
    Field("Date of registry consent", "date", CONSENT_DATE),
    Field("Consent to be contacted for research", "choice", "Yes"),
    Field("Date of research consent", "date", CONSENT_DATE),
    Field("First name", "text", "Marie"),
    Field("Last name", "text", "Lambert"),
    Field("Gender", "choice", "Female"),
    Field("Date of birth", "date", BIRTH_DATE),
]
# The consultation request's mandatory fields; the structured fields below them are filled only if the form makes
# them mandatory (a picker: a few letters of the label typed, the option picked with the arrow keys and Enter).
CONSULTATION = [
    Field("Nickname", "text", "heron"),
    Field("Urgent request", "choice", "No"),
    Field("Repeat of a previous panel", "choice", "No"),
    Field("Request description", "free_text", CASE_DESCRIPTION),
    Field("Rare disease diagnosis (ORPHA or ICD-10), if known", "code", "walden", "ORPHA:33226", only_if_required=True),
    Field("Diagnosis", "choice", "Confirmed", only_if_required=True),
    Field("Onset of the episode", "date", "2024", only_if_required=True),
    Field("Date of diagnosis", "date", "2025", only_if_required=True),
]

# The page's tab stops in order (a radio group is one stop: its checked button, else its first), and where the
# focused element and the target are among them.
TAB_STOPS_JS = """([target]) => {
  const selector = "a[href], button, input, select, textarea, [tabindex]";
  const stops = [];
  const groups = new Map();
  for (const element of document.querySelectorAll(selector)) {
    if (element.disabled || element.tabIndex < 0 || element.type === "hidden") continue;
    if (!element.checkVisibility({visibilityProperty: true})) continue;
    if (element.type === "radio" && element.name) {
      const key = element.name + "@" + (element.form ? Array.from(document.forms).indexOf(element.form) : -1);
      if (groups.has(key)) { groups.get(key).push(element); continue; }
      groups.set(key, [element]);
      stops.push(groups.get(key));
      continue;
    }
    stops.push([element]);
  }
  const where = (element) => stops.findIndex((stop) => stop.includes(element));
  const from = where(document.activeElement);
  const to = where(target);
  const group = to >= 0 ? stops[to] : [];
  const landing = group.find((element) => element.checked) || group[0];
  return {from, to, landingIndex: landing ? group.indexOf(landing) : -1};
}"""

NAVIGATION_TIMING_JS = """() => new Promise((resolve) => {
  const read = () => {
    const [entry] = performance.getEntriesByType("navigation");
    if (entry && entry.loadEventEnd > 0) {
      resolve({
        ms: entry.loadEventEnd - entry.startTime,
        firstByte: entry.responseStart - entry.startTime,
        redirects: entry.redirectCount,
        status: entry.responseStatus || 0,
      });
    } else {
      setTimeout(read, 5);
    }
  };
  read();
})"""


@dataclass
class Step:
    name: str
    operators: Counter[str] = field(default_factory=Counter)
    sequence: list[str] = field(default_factory=list)
    excluded_keystrokes: int = 0

    @property
    def seconds(self) -> float:
        return sum(SECONDS[operator] * count for operator, count in self.operators.items())

    def describe(self) -> str:
        counts = " ".join(f"{operator}={self.operators[operator]}" for operator in OPERATORS if self.operators[operator])
        excluded = f" (+{self.excluded_keystrokes} keystrokes of free text, not counted)" if self.excluded_keystrokes else ""
        runs: list[list[Any]] = []
        for operator in self.sequence:
            if runs and runs[-1][0] == operator:
                runs[-1][1] += 1
            else:
                runs.append([operator, 1])
        order = " ".join(f"{operator}×{times}" if times > 1 else operator for operator, times in runs)
        return f"step {self.name:<28} {counts:<28} {self.seconds:5.1f} s{excluded}\n     {order}"


@dataclass
class Load:
    path: str
    ms: float
    first_byte_ms: float  # until the first byte of the page itself: the server's part (and the redirect's, after a POST)
    redirects: int

    @property
    def slow(self) -> bool:
        return self.ms > SLOW_MS


class Operator:
    """Performs each KLM operator in the browser and counts it in the current step."""

    def __init__(self, page: Page, screenshots: Path | None) -> None:
        self.page = page
        self.hand = "mouse"
        self.steps: list[Step] = []
        self.loads: list[Load] = []
        self.screenshots = screenshots

    # ---- Steps, page loads ----

    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        step = Step(name)
        self.steps.append(step)
        yield step
        print(step.describe(), flush=True)
        if self.screenshots:
            slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            self.page.screenshot(path=self.screenshots / f"{len(self.steps):02d}-{slug}.png", full_page=True)

    def record_load(self) -> None:
        timing: dict[str, Any] = self.page.evaluate(NAVIGATION_TIMING_JS)
        parts = urlsplit(self.page.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if timing["status"] >= 400:
            raise SystemExit(f"{path} answered {timing['status']}")
        load = Load(path, float(timing["ms"]), float(timing["firstByte"]), int(timing["redirects"]))
        self.loads.append(load)
        after = " after a redirect" if load.redirects else ""
        slow = "  SLOW" if load.slow else ""
        print(f"page {path:<50} {load.ms:7.1f} ms  (first byte {load.first_byte_ms:.1f} ms{after}){slow}", flush=True)

    def open(self, path: str) -> None:
        """The journey's first page, opened by the script: no operator."""
        self.page.goto(path, wait_until="load")
        self.record_load()

    @contextmanager
    def navigation(self, navigates: bool) -> Iterator[None]:
        if not navigates:
            yield
            return
        with self.page.expect_navigation(wait_until="load"):
            yield
        self.record_load()

    # ---- Operators ----

    def count(self, operator: str, times: int = 1) -> None:
        self.steps[-1].operators[operator] += times
        self.steps[-1].sequence.extend(operator * times)

    def hand_to(self, device: str) -> None:
        if self.hand != device:
            self.count("H")
            self.hand = device

    def decide(self) -> None:
        self.count("M")

    def point_and_click(self, target: Locator, *, navigates: bool = False) -> None:
        self.hand_to("mouse")
        self.count("P")
        self.count("B")
        with self.navigation(navigates):
            target.click()

    def press(self, key: str, *, navigates: bool = False) -> None:
        self.hand_to("keyboard")
        self.count("K")
        with self.navigation(navigates):
            self.page.keyboard.press(key)

    def type_text(self, target: Locator, text: str, *, counted: bool = True) -> None:
        expect(target).to_be_focused()
        self.hand_to("keyboard")
        if counted:
            self.count("K", len(text))
        else:
            self.steps[-1].excluded_keystrokes += len(text)
        self.page.keyboard.type(text)

    def choose_from_list(self, select: Locator, label: str) -> None:
        """A native list: a click opens it, a click picks the option (P B P B)."""
        self.hand_to("mouse")
        for _ in range(2):
            self.count("P")
            self.count("B")
        select.select_option(label=label)

    # ---- Reaching a control: Tab or click, whichever costs less ----

    def tab_stops(self, target: Locator) -> dict[str, int]:
        handle = target.element_handle()
        try:
            stops: dict[str, int] = self.page.evaluate(TAB_STOPS_JS, [handle])
        finally:
            if handle:
                handle.dispose()
        return stops

    def tabs_to(self, target: Locator) -> int | None:
        """How many Tabs reach ``target`` from the focused control (None: not forwards from a control)."""
        stops = self.tab_stops(target)
        if stops["from"] < 0 or stops["to"] < 0 or stops["to"] < stops["from"]:
            return None
        return stops["to"] - stops["from"]

    def keyboard_cost(self, tabs: int | None, keys: int) -> float:
        if tabs is None:
            return float("inf")
        return (SECONDS["H"] if self.hand == "mouse" else 0.0) + (tabs + keys) * SECONDS["K"]

    def mouse_cost(self, *, then_keyboard: bool) -> float:
        back = SECONDS["H"] if then_keyboard else 0.0
        return (SECONDS["H"] if self.hand == "keyboard" else 0.0) + SECONDS["P"] + SECONDS["B"] + back

    def tab(self, times: int) -> None:
        for _ in range(times):
            self.press("Tab")

    def focus(self, target: Locator) -> None:
        """Put the focus in a field about to be typed into."""
        if target.evaluate("(element) => element === document.activeElement"):
            return
        tabs = self.tabs_to(target)
        if self.keyboard_cost(tabs, 0) <= self.mouse_cost(then_keyboard=True):
            self.tab(tabs or 0)
            expect(target).to_be_focused()
        else:
            self.point_and_click(target)

    def check(self, box: Locator) -> None:
        """Tick a checkbox: Tab to it and Space, or click it."""
        tabs = self.tabs_to(box)
        if self.keyboard_cost(tabs, 1) <= self.mouse_cost(then_keyboard=False):
            self.tab(tabs or 0)
            self.press("Space")
        else:
            self.point_and_click(box)
        expect(box).to_be_checked()

    def choose(self, group: Locator, label: str) -> None:
        """A radio button: Tab into the group and the arrow keys (Space for the button that gets the focus), or a click."""
        radios = group.get_by_role("radio")
        names = [radio.evaluate("(element) => element.labels[0].innerText.trim()") for radio in radios.all()]
        wanted = names.index(label)
        option = radios.nth(wanted)
        stops = self.tab_stops(option)
        if stops["from"] >= 0 and stops["from"] == stops["to"]:  # the focus is in the group already
            tabs: int | None = 0
            landing = self.focused_index(radios)
        else:
            tabs = self.tabs_to(option)
            landing = stops["landingIndex"]
        steps = (wanted - landing) % len(names) if landing >= 0 else 0
        arrows = min(steps, len(names) - steps)
        keys = arrows if arrows else 1  # Space on the button that has the focus
        if landing >= 0 and self.keyboard_cost(tabs, keys) <= self.mouse_cost(then_keyboard=False):
            self.tab(tabs or 0)
            if not arrows:
                self.press("Space")
            for _ in range(arrows):
                self.press("ArrowRight" if arrows == steps else "ArrowLeft")
        else:
            self.point_and_click(option)
        expect(option).to_be_checked()

    @staticmethod
    def focused_index(radios: Locator) -> int:
        for index, radio in enumerate(radios.all()):
            if radio.evaluate("(element) => element === document.activeElement"):
                return index
        return -1

    def submit(self, button: Locator) -> None:
        """Submit a form (M first): Enter in the focused text box if ``button`` is its form's default button, else as
        ``activate`` would."""
        self.decide()
        implicit = button.evaluate(
            """(button) => {
                const field = document.activeElement;
                if (!field || field.form !== button.form || field.tagName !== "INPUT") return false;
                if (!["text", "email", "password", "search", "tel", "url", "number"].includes(field.type)) return false;
                return button.form.querySelector("button:not([type]), button[type=submit], input[type=submit]") === button;
            }"""
        )
        if implicit and self.keyboard_cost(0, 1) <= self.mouse_cost(then_keyboard=False):
            self.press("Enter", navigates=True)
        else:
            self.activate(button, navigates=True)

    def go(self, target: Locator) -> None:
        """A navigation choice (M first), then the link or button."""
        self.decide()
        self.activate(target, navigates=True)

    def activate(self, target: Locator, *, navigates: bool = False) -> None:
        """A link or button: Tab to it and Enter, or a click, whichever costs less."""
        tabs = self.tabs_to(target)
        if self.keyboard_cost(tabs, 1) < self.mouse_cost(then_keyboard=False):
            self.tab(tabs or 0)
            expect(target).to_be_focused()
            self.press("Enter", navigates=navigates)
        else:
            self.point_and_click(target, navigates=navigates)

    # ---- Forms ----

    def fill(self, fields: list[Field]) -> None:
        main = self.page.get_by_role("main")
        for spec in fields:
            if spec.kind == "choice":
                group = main.get_by_role("group", name=re.compile(rf"^{escape(spec.label)}( \(required\))?$"))
                if group.count() == 0 and spec.only_if_required:
                    continue
                expect(group).to_be_visible()
                if spec.only_if_required and not group.get_by_role("radio").first.evaluate("(element) => element.required"):
                    continue
                option = group.get_by_role("radio", name=spec.value, exact=True)
                if option.is_checked():
                    continue
                self.decide()
                self.choose(group, spec.value)
                continue
            name = re.compile(rf"^{escape(spec.label)}( \(required\))?$")
            box = main.get_by_role("combobox", name=name) if spec.kind == "code" else main.get_by_role("textbox", name=name)
            if spec.only_if_required and (box.count() == 0 or not box.evaluate("(element) => element.required")):
                continue
            expect(box).to_be_visible()
            if box.input_value():
                continue  # a default the user keeps
            if spec.kind == "free_text":
                self.focus(box)
                self.type_text(box, spec.value, counted=False)
                continue
            self.decide()
            self.focus(box)
            self.type_text(box, spec.value)
            if spec.kind == "code":
                self.pick_code(box, spec.pick)

    def pick_code(self, combobox: Locator, prefix: str) -> None:
        """The picker's list is open: ArrowDown to the first option starting with ``prefix``, then Enter."""
        listbox = self.page.locator(f"#{combobox.get_attribute('aria-controls')}")
        options = listbox.get_by_role("option")
        # The first search of a fresh server waits for the terminology index to be built (a few seconds).
        expect(options.filter(has_text=re.compile("^" + re.escape(prefix))).first).to_be_visible(timeout=60_000)
        names = [text.strip() for text in options.all_inner_texts()]
        wanted = next(index for index, name in enumerate(names) if name.startswith(prefix))
        active = combobox.get_attribute("aria-activedescendant")
        current = next((index for index, option in enumerate(options.all()) if option.get_attribute("id") == active), -1)
        for _ in range(wanted - current):
            self.press("ArrowDown")
        self.press("Enter")
        expect(listbox).to_be_hidden()
        expect(combobox).to_have_value(re.compile("^" + re.escape(prefix)))

    def expect_no_errors(self) -> None:
        summary = self.page.get_by_role("alert").filter(has_text="need correcting")
        if summary.count():
            raise SystemExit("The form was refused:\n" + summary.inner_text())


# ---- The journey ----


def sign_in(operator: Operator) -> None:
    page = operator.page
    with operator.step("sign in"):
        operator.open("/login")
        operator.fill([Field("E-mail", "text", EMAIL), Field("Password", "text", PASSWORD)])
        operator.submit(page.get_by_role("button", name="Sign in"))
        expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


def enrol(operator: Operator) -> None:
    page = operator.page
    main = page.get_by_role("main")
    enrol_name = re.compile(r"^Enrol (a )?patient$")
    enrol_button = main.get_by_role("button", name=enrol_name).or_(main.get_by_role("link", name=enrol_name))
    with operator.step("go to enrolment"):
        if not enrol_button.count():
            operator.go(page.get_by_role("navigation", name="Main").get_by_role("link", name="Centre", exact=True))
        network = main.get_by_role("combobox", name="Network")
        if network.count() and network.locator("option:checked").inner_text().strip() != NETWORK:
            operator.decide()
            operator.choose_from_list(network, NETWORK)
        operator.go(enrol_button.first)
        expect(page.get_by_role("heading", name="Enrol patient", level=1)).to_be_visible()
    with operator.step("enrol patient"):
        operator.fill(ENROLMENT)
        operator.submit(main.get_by_role("button", name="Enrol patient"))
        operator.expect_no_errors()
        expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"ERN-\w+-\w+-\d+"))


def open_panel(operator: Operator) -> None:
    page = operator.page
    with operator.step("open a panel"):
        # One button per thematic area: choosing the area is the navigation choice.
        operator.go(page.get_by_role("group", name="Open a panel on").get_by_role("button", name=THEMATIC_AREA, exact=True))
        expect(page.get_by_role("heading", name="Consultation form", level=1)).to_be_visible()


def consultation(operator: Operator) -> None:
    page = operator.page
    with operator.step("consultation request"):
        operator.fill(CONSULTATION)
        operator.submit(page.get_by_role("button", name="Submit consultation form"))
        operator.expect_no_errors()
        expect(page.get_by_role("status").filter(has_text="submitted")).to_be_visible()


def invite(operator: Operator) -> None:
    page = operator.page
    experts = page.get_by_role("group", name="Experts to invite")
    with operator.step("invite two experts"):
        if not experts.count():
            members = page.get_by_role("link", name="Panel members", exact=True)
            if not members.count():
                operator.go(page.get_by_role("main").get_by_role("link", name=re.compile(r"^Panel #\d+\b")).first)
            operator.go(members)
        expect(experts).to_be_visible()
        if experts.get_by_role("checkbox").count() < EXPERTS_WANTED:
            operator.decide()
            operator.check(page.get_by_label("All thematic areas"))
            operator.go(page.get_by_role("button", name="Search", exact=True))
        boxes = experts.get_by_role("checkbox")
        for index in range(EXPERTS_WANTED):
            operator.decide()
            operator.check(boxes.nth(index))
        operator.submit(page.get_by_role("button", name="Invite selected"))
        expect(page.get_by_role("status").filter(has_text=re.compile(r"\binvited\b"))).to_be_visible()


def journey(base_url: str, screenshots: Path | None) -> Operator:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            finish_starting(browser, base_url)
            context = browser.new_context(base_url=base_url, locale="en-GB", viewport={"width": 1280, "height": 900})
            context.set_default_timeout(10_000)
            expect.set_options(timeout=10_000)
            operator = Operator(context.new_page(), screenshots)
            try:
                for step in (sign_in, enrol, open_panel, consultation, invite):
                    step(operator)
            except Exception:
                if screenshots:  # where the journey stopped
                    operator.page.screenshot(path=screenshots / "failed.png", full_page=True)
                raise
        finally:
            browser.close()
    return operator


def finish_starting(browser: Browser, base_url: str) -> None:
    """Wait, unmeasured, until the server has finished starting: a search of the coding systems answers once the
    index the server builds in the background at start-up is ready (building it takes the CPU for a few seconds).
    A throw-away browser context (its own cookies and cache) signs in as another demo user to ask."""
    context = browser.new_context(base_url=base_url)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("E-mail").fill("hp5@demo.consilium.eu")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")
        page.wait_for_load_state("load")
        response = page.request.get("/terminology/search?q=anaemia&format=json", timeout=60_000)
        if not response.ok:
            raise SystemExit(f"the terminology search answered {response.status}")
    finally:
        context.close()


# ---- The demo server ----


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_answers(url: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)  # polling a server that is starting up; the journey itself never sleeps
    raise SystemExit(f"the server did not answer {url} within {timeout:.0f} s")


@contextmanager
def demo_server(database_url: str, directory: Path) -> Iterator[str]:
    """``make run``'s steps, on ``database_url`` and a free port; the server is stopped on leaving."""
    env = dict(
        os.environ,
        CONSILIUM_DEMO_MODE="true",
        CONSILIUM_DATABASE_URL=database_url,
        CONSILIUM_STORAGE_DIR=str(directory / "storage"),
    )
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    log = directory / "server.log"
    with log.open("wb") as output:
        for command in (["db", "upgrade"], ["demo", "--if-empty"], ["bpmn", "migrate"]):
            done = subprocess.run([*flask, *command], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
            if done.returncode:
                raise SystemExit(f"flask {' '.join(command)} failed:\n{log.read_text()[-3000:]}")
        port = free_port()
        server = subprocess.Popen(
            [*flask, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
            cwd=ROOT,
            env=dict(env, CONSILIUM_SCHEDULER_ENABLED="true"),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_answers(f"{url}/login", server, log)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", help="a PostgreSQL database this run creates and drops (default: SQLite in a temp dir)")
    parser.add_argument("--screenshots", type=Path, help="save a screenshot at the end of each step into this folder")
    parser.add_argument("--keep-server", action="store_true", help="keep serving after the journey, until Ctrl-C")
    args = parser.parse_args()
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="consilium-effort-") as directory, database(args.database_url, "effort") as url:
        with demo_server(url, Path(directory)) as base_url:
            print(f"server {base_url}", flush=True)
            operator = journey(base_url, args.screenshots)
            if args.keep_server:
                print(f"serving {base_url} with the journey's data; Ctrl-C to stop", flush=True)
                try:
                    signal.pause()
                except KeyboardInterrupt:
                    pass

    seconds = sum(step.seconds for step in operator.steps)
    totals: Counter[str] = Counter()
    for step in operator.steps:
        totals.update(step.operators)
    slow = sum(load.slow for load in operator.loads)
    print("total " + " ".join(f"{name}={totals[name]}" for name in OPERATORS))
    print(f"target: klm_seconds <= {TARGET_SECONDS:.0f}, slow_loads = 0 (load average during the run: {os.getloadavg()[0]:.2f})")
    print(f"klm_seconds={seconds:.1f} page_loads={len(operator.loads)} slow_loads={slow}")


if __name__ == "__main__":
    main()
