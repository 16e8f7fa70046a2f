"""Process administration through the browser: a step added in the modeler, deployed, used by a new panel, and an old panel migrated.

An ERN manager of EuroBloodNet opens the panel process in the editor and adds a step "Second reading" for the panel
lead right after "Draft outcome": the new user task is appended through the bpmn-js API (window.consiliumModeler),
the flow Draft outcome → Status: review is rerouted through it, and its form is chosen in the properties panel's
Form select, as a user would; the editing and deploying happen in a browser context that enforces the editor's
Content-Security-Policy. Deploying makes it EuroBloodNet's own first version of the panel process, "v1 (EuroBloodNet)"
(the version shipped with Consilium stays listed as "v1 (shared)": an ERN's versions are numbered on their own).
Hanna Peeters then opens a new panel, whose case runs on the new version. The manager runs the migration's dry run for
the cases on the shipped version and moves only the demo panel "quiet harbour" (waiting for its outcome draft); its
lead, Sophie Martin, drafts the outcome and is offered the new step.

Mara Manager is the demo's ERN manager of EuroBloodNet. Every page visited, the editor included, passes axe.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Locator
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import LiveServer
from tests.browser.conftest import assert_accessible
from tests.browser.journeys import flash
from tests.browser.journeys import sign_in
from tests.browser.journeys import sign_out

MANAGER = "manager@demo.consilium.eu"  # the demo's ERN manager of EuroBloodNet
MANAGER_NAME = "Mara Manager"
CLINICIAN = "hp1@demo.consilium.eu"  # Hanna Peeters, BE10: opens a panel on a patient of her centre
OLD_LEAD = "hp3@demo.consilium.eu"  # Sophie Martin, FR08: leads "quiet harbour", waiting for its outcome draft
CPMS_ID = "ERN-BE10-EuroBloodNet-001"
OLD_PANEL = "quiet harbour"
PROCESSES = "/erns/EuroBloodNet/processes/"
STEP_ID = "second_reading"
STEP_NAME = "Second reading"
STEP_FORM = "acknowledge"  # forms/acknowledge.json: a confirmation with an optional comment
NEW = "v1 (EuroBloodNet)"  # the ERN's own versions are numbered apart from the shipped, shared ones
OLD = "v1 (shared)"
OPENED = re.compile(r"Panel #(\d+) opened\.")

# Append a user task to "Draft outcome" in the lead's lane (free space above "Status: review"), then route
# draft → new step → "Status: review" instead of draft → "Status: review".
ADD_STEP = """([id, name]) => {
  const modeler = window.consiliumModeler;
  const registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling');
  const draft = registry.get('draft_outcome');
  const review = registry.get('phase_review_task');
  modeling.removeConnection(registry.get('Flow_draft_to_review'));
  const step = modeling.appendShape(draft, {type: 'bpmn:UserTask'}, {x: 1310, y: 180});
  modeling.updateProperties(step, {id, name});
  modeling.connect(step, review);
  return step.id;
}"""


def case_of_panel(live_server: LiveServer, nickname: str) -> int:
    """The process instance of a demo panel (the migration page lists cases by number, not by panel)."""
    from app.database import db
    from app.panels.models import Panel

    with live_server.app.app_context():
        instance_id = db.session.scalar(select(Panel.instance_id).where(Panel.nickname == nickname))
        db.session.remove()
    assert instance_id is not None
    return int(instance_id)


def version_row(page: Page, label: str) -> Locator:
    """A row of the process page's versions table."""
    return page.get_by_role("table").get_by_role("row").filter(has=page.get_by_role("rowheader").filter(has_text=label))


@pytest.mark.browser
def test_a_step_added_in_the_modeler_is_deployed_used_by_a_new_panel_and_an_old_panel_migrates(
    page: Page, chromium: Browser, live_server: LiveServer
) -> None:
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    old_case = case_of_panel(live_server, OLD_PANEL)

    # ---- The manager: ERN → Processes → panel → Edit (checked for accessibility; the page fixture bypasses CSP). ----
    sign_in(page, MANAGER, MANAGER_NAME)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="ERN", exact=True).click()
    page.get_by_role("link", name="Processes", exact=True).click()
    expect(page.get_by_role("heading", name="Processes of EuroBloodNet", level=1)).to_be_visible()
    assert_accessible(page, "processes of the ERN")
    page.get_by_role("link", name="panel", exact=True).click()
    expect(page.get_by_role("heading", name="The panel process of EuroBloodNet", level=1)).to_be_visible()
    expect(version_row(page, OLD)).to_contain_text("in use")
    old_running = int(version_row(page, OLD).get_by_role("cell").nth(1).inner_text())
    assert old_running >= 2, old_running  # the demo panels running on the shipped version
    assert_accessible(page, "panel process: versions")
    show_url = page.url
    page.get_by_role("link", name="Edit in the browser").click()
    expect(page.locator("#bpmn-modeler")).to_have_attribute("data-state", "ready")
    page.locator('#bpmn-modeler g.djs-element[data-element-id="draft_outcome"]').click()
    expect(page.locator("#bpmn-properties").get_by_label("Form", exact=True)).to_have_value("outcome")
    assert_accessible(page, "editor, a user task selected")

    # ---- The same manager edits and deploys in a browser that enforces the editor's Content-Security-Policy. ----
    context = chromium.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(5_000)
    editor = context.new_page()
    refused: list[str] = []
    editor.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    editor.on("pageerror", lambda error: script_errors.append(str(error)))
    try:
        sign_in(editor, MANAGER, MANAGER_NAME)
        editor.goto(show_url)
        editor.get_by_role("link", name="Edit in the browser").click()
        expect(editor.get_by_role("heading", name="Edit the panel process of EuroBloodNet", level=1)).to_be_visible()
        modeler = editor.locator("#bpmn-modeler")
        expect(modeler).to_have_attribute("data-state", "ready")
        lint = editor.locator("#bpmn-lint")
        expect(lint).to_have_attribute("data-errors", "0")

        # The new step: shape and flows through bpmn-js; its form through the properties panel, as a user would.
        assert editor.evaluate(ADD_STEP, [STEP_ID, STEP_NAME]) == STEP_ID
        step = modeler.locator(f'g.djs-element[data-element-id="{STEP_ID}"]')
        expect(step).to_contain_text(STEP_NAME)
        expect(lint.locator(f'li[data-element-id="{STEP_ID}"]')).not_to_have_count(0)  # no form yet: the linter says so
        expect(lint).not_to_have_attribute("data-errors", "0")
        step.click()
        properties = editor.locator("#bpmn-properties")
        expect(properties.get_by_role("textbox", name="Name", exact=True)).to_have_value(STEP_NAME)
        form = properties.get_by_label("Form", exact=True)
        expect(form).to_have_value("")
        form.select_option(STEP_FORM)
        expect(form).to_have_value(STEP_FORM)
        expect(lint.locator(f'li[data-element-id="{STEP_ID}"]')).to_have_count(0)
        expect(lint).to_have_attribute("data-errors", "0")

        # The server's check (the one deployment runs) accepts it; the editor comes back with the step.
        editor.get_by_role("button", name="Validate", exact=True).click()
        expect(editor.locator("#bpmn-messages")).to_contain_text("No problems found.")
        expect(modeler).to_have_attribute("data-state", "ready")
        expect(editor.locator("#bpmn-lint li.alert-danger")).to_have_count(0)
        expect(step).to_contain_text(STEP_NAME)

        # Deploy: the ERN's own first version (the shipped one stays, shared), in use for new cases.
        editor.get_by_role("button", name="Deploy", exact=True).click()
        expect(flash(editor, "Version 1 of panel is deployed: new cases use it; running cases keep their version.")).to_be_visible()
        expect(editor.get_by_role("heading", name="The panel process of EuroBloodNet", level=1)).to_be_visible()
        assert refused == [], refused
    finally:
        context.close()

    page.goto(show_url)
    expect(version_row(page, NEW)).to_contain_text("in use")
    expect(version_row(page, NEW)).to_contain_text(MANAGER_NAME)
    expect(version_row(page, NEW).get_by_role("cell").nth(1)).to_have_text("0")
    expect(version_row(page, OLD).get_by_role("cell").nth(1)).to_have_text(str(old_running))
    version_row(page, NEW).get_by_role("link", name=NEW).click()
    expect(page.get_by_role("table", name="The elements of the definition").get_by_role("row").filter(has_text=STEP_ID)).to_contain_text(
        STEP_FORM
    )
    page.go_back()
    assert_accessible(page, "panel process after deployment")
    sign_out(page)

    # ---- Hanna opens a new panel: its case runs on the new version. ----
    sign_in(page, CLINICIAN, "Hanna Peeters")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Centre", exact=True).click()
    page.get_by_role("link", name="Patient list").click()
    page.get_by_role("row").filter(has_text=CPMS_ID).get_by_role("link").click()
    page.get_by_role("group", name="Open a panel on").get_by_role("button", name="Amyloidosis").click()
    expect(flash(page, "opened")).to_have_text(OPENED)
    expect(page.get_by_role("heading", name="Consultation form", level=1)).to_be_visible()
    sign_out(page)

    sign_in(page, MANAGER, MANAGER_NAME)
    page.goto(PROCESSES)
    panel_row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="panel", exact=True))
    expect(panel_row).to_contain_text(f"{NEW}: 1")
    expect(panel_row).to_contain_text(f"{OLD}: {old_running}")
    panel_row.get_by_role("link", name="panel", exact=True).click()
    expect(version_row(page, NEW).get_by_role("cell").nth(1)).to_have_text("1")

    # ---- The migration: a dry run for the cases on the shipped version, then "quiet harbour" alone moves. ----
    page.get_by_role("link", name="Migrate running cases").click()
    expect(page.get_by_role("heading", name="Migrate cases of the panel process", level=1)).to_be_visible()
    page.get_by_label("Cases on").select_option(label=OLD)
    page.get_by_label("in the state").select_option(label="running")
    page.get_by_label("move to").select_option(label=NEW)
    page.get_by_role("button", name="Dry run").click()
    report = page.get_by_role("table", name=f"Dry run: {old_running} cases on {OLD}, moving to {NEW}")
    expect(report).to_be_visible()
    assert_accessible(page, "migration dry run")
    rows = report.get_by_role("row").filter(has=page.get_by_role("link", name=re.compile(r"^Case \d+$")))
    expect(rows).to_have_count(old_running)
    # Every case gets a verdict: it can move (and what resets), or why it cannot.
    for verdict in rows.all():
        expect(verdict.get_by_role("cell").last).to_have_text(re.compile(r"^(can move; \w|cannot move: \w)"))
    old_row = rows.filter(has=page.get_by_role("link", name=f"Case {old_case}", exact=True))
    # "quiet harbour" waits on "Draft outcome": only what follows that step changed, so nothing starts again.
    expect(old_row.get_by_role("cell").last).to_have_text("can move; nothing resets")
    for checkbox in report.get_by_role("checkbox").all():
        checkbox.set_checked(checkbox.get_attribute("value") == str(old_case))
    expect(report.get_by_role("checkbox", name=f"Migrate case {old_case}")).to_be_checked()
    page.get_by_role("button", name="Migrate the chosen cases").click()

    expect(flash(page, "1 cases now run on the new version.")).to_be_visible()
    expect(version_row(page, NEW).get_by_role("cell").nth(1)).to_have_text("2")
    expect(version_row(page, OLD).get_by_role("cell").nth(1)).to_have_text(str(old_running - 1))
    version_row(page, NEW).get_by_role("link", name="2", exact=True).click()
    moved = page.get_by_role("link", name=f"Case {old_case}", exact=True)
    expect(moved).to_be_visible()
    moved.click()
    expect(page.get_by_role("heading", name=f"Case {old_case} of the panel process", level=1)).to_be_visible()
    expect(page.get_by_text(f"Version {NEW} · state: running")).to_be_visible()
    expect(page.locator("#bpmn-viewer")).to_have_attribute("data-state", "ready")
    where = page.get_by_role("table", name="Where the case stands, element by element")
    expect(where.get_by_role("row").filter(has_text="draft_outcome")).to_contain_text("active")
    assert_accessible(page, "instance inspector")
    sign_out(page)

    # ---- Sophie drafts the outcome of "quiet harbour": the new step follows. ----
    sign_in(page, OLD_LEAD, "Sophie Martin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Panels", exact=True).click()
    page.get_by_role("textbox", name="Number or nickname").fill(OLD_PANEL)
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("row").filter(has_text=OLD_PANEL).get_by_role("link", name=re.compile(r"^#\d+$")).click()
    page.get_by_role("region", name="Waiting for you").get_by_role("link", name="Draft outcome", exact=True).click()
    expect(page.get_by_role("heading", name="Draft outcome", level=1)).to_be_visible()
    page.get_by_role("textbox", name="Summary of the case question").fill("Treatment of AL amyloidosis with cardiac involvement.")
    page.get_by_role("textbox", name="Recommendations").fill("Cardiac staging first, then a daratumumab-based regimen.")
    page.get_by_role("button", name="Send to members for review").click()
    expect(flash(page, "sent to the members for review.")).to_be_visible()
    # The lead's next step follows at once: the new one, with the form chosen in the editor (its title heads the page).
    expect(page.get_by_role("heading", name="Acknowledge", level=1)).to_be_visible()
    subject = page.get_by_role("heading", name=re.compile(rf"^Panel #\d+ {OLD_PANEL}"), level=2)
    expect(subject).to_contain_text("Panel in progress")
    subject.get_by_role("link").click()
    page.get_by_role("region", name="Waiting for you").get_by_role("link", name=STEP_NAME, exact=True).click()
    expect(page.get_by_role("heading", name="Acknowledge", level=1)).to_be_visible()
    assert_accessible(page, "the new step's form")
    page.get_by_role("textbox", name="Comment").fill("Read again with the cardiologist.")
    page.get_by_role("button", name="Confirm").click()
    expect(flash(page, f"{STEP_NAME}: done.")).to_be_visible()

    assert not script_errors, script_errors
