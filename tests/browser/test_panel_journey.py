"""A whole expert panel through the browser, with three demo clinicians.

Hanna Peeters (BE10, lead) opens a panel on a patient of her centre, drafts then submits the consultation form and
invites Jan Novák (CZ08) and her colleague Elise Janssens (BE10). Jan accepts, contributes and asks for more data;
Elise declines and, as a health professional of the patient's centre, provides the data. Hanna contributes again,
starts the assessment, drafts the outcome, Jan comments during the review, Hanna signs off, downloads the PDF report,
closes the panel and restarts it for a new episode.

The demo data may hold panels of its own: this test only ever looks for its panel by number and nickname.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.journeys import flash
from tests.browser.journeys import sign_in
from tests.browser.journeys import sign_out

LEAD = "hp1@demo.consilium.eu"  # Hanna Peeters, BE10, Amyloidosis + Rare lymphomas
EXPERT = "hp2@demo.consilium.eu"  # Jan Novák, CZ08, Rare lymphomas
COLLEAGUE = "hp5@demo.consilium.eu"  # Elise Janssens, BE10, no Rare lymphomas
CPMS_ID = "ERN-BE10-EuroBloodNet-001"
NICKNAME = "Kingfisher journey"
OPENED = re.compile(r"Panel #(\d+) opened\.")


def panel_heading(page: Page, panel_id: int, status: str) -> None:
    """The panel page's header: number, nickname and status."""
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{panel_id} {NICKNAME} — {status}")


def task_subject(page: Page, panel_id: int) -> Locator:
    """On a task page: the heading of the panel the task is about (a link to the panel, then its status)."""
    return page.get_by_role("heading", name=f"Panel #{panel_id} {NICKNAME}", level=2)


def open_task_page(page: Page, title: str, panel_id: int, where: str = "") -> None:
    """A task form about this test's panel; checked for accessibility unless ``where`` is empty (already checked)."""
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f-]{36}$"))
    expect(task_subject(page, panel_id)).to_be_visible()
    if where:
        assert_accessible(page, where)


def waiting_on_panel(page: Page, label: str) -> Locator:
    """A task of the panel page's "Waiting for you" box."""
    return page.get_by_role("region", name="Waiting for you").get_by_role("link", name=label, exact=True)


def go_to_panel(page: Page, panel_id: int) -> None:
    """From anywhere: the Panels list, searched by nickname (the demo data may hold other panels)."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Panels", exact=True).click()
    page.get_by_role("textbox", name="Number or nickname").fill(NICKNAME)
    page.get_by_role("button", name="Filter").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=f"#{panel_id}", exact=True))
    expect(row).to_contain_text(NICKNAME)
    row.get_by_role("link", name=f"#{panel_id}", exact=True).click()


def answer_invitation_from_dashboard(page: Page, panel_id: int) -> None:
    """The invitation shows on the dashboard; its task waits on the panel page."""
    invites = page.get_by_role("list", name="Panel invites")
    invites.get_by_role("link", name=f"#{panel_id} {NICKNAME}", exact=True).click()
    panel_heading(page, panel_id, "Panel selection")
    waiting_on_panel(page, "Answer invitation").click()


def tab(page: Page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("link", name=name, exact=True)).to_have_attribute("aria-current", "page")


def member_row(page: Page, name: str) -> Locator:
    return page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Expert")).get_by_role("row").filter(has_text=name)


@pytest.mark.browser
def test_a_panel_from_opening_to_sign_off_closing_and_restart(page: Page, tmp_path: Path) -> None:
    # ---- Hanna (lead) opens a panel on a patient of her centre. ----
    sign_in(page, LEAD, "Hanna Peeters")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Centre", exact=True).click()
    page.get_by_role("link", name="Patient list").click()
    page.get_by_role("row").filter(has_text=CPMS_ID).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(CPMS_ID)
    page.get_by_role("group", name="Open a panel on").get_by_role("button", name="Rare lymphomas").click()

    opened = flash(page, "opened")
    expect(opened).to_contain_text("Fill in the consultation form")
    match = OPENED.search(opened.inner_text())
    assert match is not None
    panel_id = int(match.group(1))
    expect(page.get_by_role("heading", name="Consultation form", level=1)).to_be_visible()
    assert_accessible(page, "consultation form")

    # A partial draft: nothing is checked, what was typed comes back.
    nickname = page.get_by_role("textbox", name="Nickname")
    nickname.fill(NICKNAME)
    page.get_by_role("textbox", name="Request description").fill("Second opinion on a relapsing")
    page.get_by_role("button", name="Save draft").click()
    expect(flash(page, "Draft saved. Nothing was checked yet")).to_be_visible()
    expect(page.locator("#draft-status")).to_contain_text("Draft saved by Hanna Peeters")
    expect(nickname).to_have_value(NICKNAME)
    expect(page.get_by_role("textbox", name="Request description")).to_have_value("Second opinion on a relapsing")
    expect(page.get_by_role("alert")).to_have_count(0)  # no error summary for a draft

    # The complete form.
    page.get_by_role("group", name="Urgent request").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="Repeat of a previous panel").get_by_label("No", exact=True).check()
    page.get_by_role("textbox", name="Request description").fill("Second opinion on a relapsing marginal zone lymphoma.")
    page.get_by_role("textbox", name="Episode description").fill("Relapse 14 months after first-line treatment.")
    page.get_by_role("button", name="Submit consultation form").click()

    # The next step of the lead follows at once: the invitation step, the panel in selection.
    expect(flash(page, "submitted: now invite the experts.")).to_be_visible()
    open_task_page(page, "Invite experts", panel_id, "invitation step")
    expect(task_subject(page, panel_id)).to_contain_text("Panel selection")

    # Invite Jan (Rare lymphomas, listed first) and Elise (other thematic areas, listed below).
    experts = page.get_by_role("group", name="Experts to invite")
    expect(experts.get_by_label(re.compile(r"^Jan Novák"))).to_be_visible()
    expect(experts.get_by_label(re.compile(r"^Elise Janssens"))).to_be_visible()
    experts.get_by_label(re.compile(r"^Jan Novák")).check()
    experts.get_by_label(re.compile(r"^Elise Janssens")).check()
    page.get_by_role("button", name="Invite selected").click()
    # Named in the ranked list's order (issue 25): Elise Janssens declared the case's ORPHA code.
    expect(flash(page, "Elise Janssens, Jan Novák invited.")).to_be_visible()
    task_subject(page, panel_id).get_by_role("link").click()
    panel_heading(page, panel_id, "Panel selection")
    expect(page.get_by_role("definition").filter(has_text=CPMS_ID)).to_be_visible()
    expect(page.get_by_text("Relapse 14 months after first-line treatment.")).to_be_visible()
    assert_accessible(page, "panel page, consultation tab")
    tab(page, "Panel members")
    assert_accessible(page, "panel page, members tab")
    expect(member_row(page, "Jan Novák")).to_contain_text("Invited")
    expect(member_row(page, "Elise Janssens")).to_contain_text("Invited")
    expect(member_row(page, "Hanna Peeters")).to_contain_text("Accepted")
    sign_out(page)

    # ---- Jan accepts, contributes and asks for more data. ----
    sign_in(page, EXPERT, "Jan Novák")
    expect(page.get_by_role("list", name="Panel invites").get_by_role("link", name=f"#{panel_id} {NICKNAME}", exact=True)).to_be_visible()
    badge = page.locator("#unread-count")
    expect(badge).to_be_visible()
    expect(badge).to_have_text(re.compile(r"^\d+ unread$"))
    page.get_by_role("link", name=re.compile(r"^Notifications")).click()
    assert_accessible(page, "notifications")
    invitation = page.get_by_role("listitem").filter(has_text=f"Panel #{panel_id} {NICKNAME}: you are invited to join the panel.")
    expect(invitation).to_contain_text("unread")
    invitation.get_by_role("link").click()
    panel_heading(page, panel_id, "Panel selection")
    waiting_on_panel(page, "Answer invitation").click()
    open_task_page(page, "Answer invitation", panel_id, "invitation reply form")
    page.get_by_role("group", name="Answer").get_by_label("Accept").check()
    expect(page.get_by_role("textbox", name="Reason (optional)")).to_be_hidden()
    page.get_by_role("button", name="Send answer").click()

    expect(flash(page, "Invitation to panel")).to_be_visible()
    open_task_page(page, "Record contribution", panel_id, "contribution form")
    page.get_by_role("textbox", name="Contribution").fill("Imaging suggests nodal progression only; a PET-CT would settle it.")
    page.get_by_role("textbox", name="Time spent: hours").fill("1")
    page.get_by_role("textbox", name="Time spent: minutes").fill("30")
    page.get_by_role("button", name="Record contribution").click()

    expect(flash(page, "Contribution to panel")).to_be_visible()
    panel_heading(page, panel_id, "Panel selection")
    expect(page.locator("#panel-members")).to_contain_text("Jan Novák")
    tab(page, "Contributions & outcome")
    expect(page.get_by_role("article").filter(has_text="a PET-CT would settle it")).to_contain_text("Jan Novák")
    expect(page.get_by_role("article").filter(has_text="a PET-CT would settle it")).to_contain_text("1h 30min")
    page.get_by_role("textbox", name="Ask for additional data").fill("Please share the latest PET-CT report.")
    page.get_by_role("button", name="Send request").click()
    expect(flash(page, "Your request for additional data was sent")).to_be_visible()
    requests = page.get_by_role("table", name="Additional data requests")
    expect(requests.get_by_role("row").filter(has_text="Please share the latest PET-CT report.")).to_contain_text("waiting")
    assert_accessible(page, "panel page, contributions tab")
    sign_out(page)

    # ---- Elise declines, then provides the data as a colleague of the patient's centre. ----
    sign_in(page, COLLEAGUE, "Elise Janssens")
    answer_invitation_from_dashboard(page, panel_id)
    open_task_page(page, "Answer invitation", panel_id)
    page.get_by_role("group", name="Answer").get_by_label("Decline").check()
    reason = page.get_by_role("textbox", name="Reason (optional)")
    expect(reason).to_be_visible()
    reason.fill("Outside my field: I am a geneticist.")
    page.get_by_role("button", name="Send answer").click()
    expect(flash(page, "Invitation to panel")).to_be_visible()
    panel_heading(page, panel_id, "Panel selection")
    expect(page.locator("#timeline")).to_contain_text("Elise Janssens declined the invitation.")
    tab(page, "Panel members")
    expect(member_row(page, "Elise Janssens")).to_contain_text("Declined")
    expect(member_row(page, "Elise Janssens")).to_contain_text("Outside my field: I am a geneticist.")
    expect(member_row(page, "Jan Novák")).to_contain_text("Accepted")

    waiting_on_panel(page, "Provide additional data").click()
    open_task_page(page, "Provide additional data", panel_id, "additional data form")
    page.get_by_role("textbox", name="Data provided").fill("PET-CT of last week: two avid nodes, SUVmax 9.")
    page.get_by_role("button", name="Provide data").click()
    expect(flash(page, "Additional data for panel")).to_be_visible()
    panel_heading(page, panel_id, "Panel selection")
    sign_out(page)

    # ---- Hanna contributes, starts the assessment and drafts the outcome. ----
    sign_in(page, LEAD, "Hanna Peeters")
    go_to_panel(page, panel_id)
    panel_heading(page, panel_id, "Panel selection")
    tab(page, "Contributions & outcome")
    request_row = page.get_by_role("table", name="Additional data requests").get_by_role("row").filter(has_text="PET-CT report")
    expect(request_row).to_contain_text("PET-CT of last week: two avid nodes, SUVmax 9.")
    expect(request_row).to_contain_text("Elise Janssens")
    expect(request_row).not_to_contain_text("waiting")
    expect(request_row.get_by_role("cell").last).to_have_text(re.compile(r"\d{4}"))  # completed on a date

    page.get_by_text("Add a contribution").click()
    page.get_by_role("textbox", name="Contribution", exact=True).fill("Agree: second-line immunochemotherapy, re-stage after 3 cycles.")
    page.get_by_role("textbox", name="Hours", exact=True).fill("0")
    page.get_by_role("textbox", name="Minutes", exact=True).fill("45")
    page.get_by_role("button", name="Record contribution").click()
    expect(flash(page, "Contribution recorded.")).to_be_visible()
    mine = page.get_by_role("article").filter(has_text="re-stage after 3 cycles")
    expect(mine).to_contain_text("Hanna Peeters")
    expect(mine).to_contain_text("0h 45min")
    expect(page.get_by_role("article").filter(has_text="a PET-CT would settle it")).to_be_visible()

    waiting_on_panel(page, "Finish panel selection").click()
    open_task_page(page, "Invite experts", panel_id)
    page.get_by_role("textbox", name="Note to the panel (optional)").fill("Thank you both; assessment starts now.")
    page.get_by_role("button", name="Start assessment").click()

    expect(flash(page, "Assessment of panel")).to_be_visible()
    open_task_page(page, "Draft outcome", panel_id)
    expect(task_subject(page, panel_id)).to_contain_text("Panel in progress")
    task_subject(page, panel_id).get_by_role("link").click()
    panel_heading(page, panel_id, "Panel in progress")
    waiting_on_panel(page, "Draft outcome").click()
    open_task_page(page, "Draft outcome", panel_id, "outcome form")
    page.get_by_role("textbox", name="Summary of the case question").fill("Treatment of a first relapse of marginal zone lymphoma.")
    page.get_by_role("textbox", name="Recommendations").fill("Second-line immunochemotherapy; re-stage with PET-CT after three cycles.")
    page.get_by_role("textbox", name="Diagnosis codes").fill("ORPHA:52417")
    page.get_by_role("textbox", name="Follow-up").fill("Present the re-staging to the panel.")
    page.get_by_role("button", name="Send to members for review").click()

    expect(flash(page, "sent to the members for review.")).to_be_visible()
    open_task_page(page, "Sign off outcome", panel_id)
    expect(task_subject(page, panel_id)).to_contain_text("Outcome in review")
    sign_out(page)

    # ---- Jan reviews the draft and comments on the timeline. ----
    sign_in(page, EXPERT, "Jan Novák")
    page.get_by_role("link", name=re.compile(r"^Notifications")).click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    page.get_by_role("link", name=f"Panel #{panel_id} {NICKNAME}: the draft outcome is ready for your review and comments.").click()
    panel_heading(page, panel_id, "Outcome in review")
    tab(page, "Contributions & outcome")
    outcome = page.locator("#outcome")
    expect(outcome).to_contain_text("Draft for review")
    expect(outcome).to_contain_text("re-stage with PET-CT after three cycles")
    expect(outcome.get_by_role("link", name="Download the report (PDF)")).to_have_count(0)
    page.get_by_role("textbox", name="Comment").fill("Fine with me; maybe add the PET-CT criteria to the follow-up.")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(flash(page, "Comment added.")).to_be_visible()
    expect(page.locator("#timeline").get_by_role("listitem").first).to_contain_text("add the PET-CT criteria")
    expect(page.locator("#timeline").get_by_role("listitem").first).to_contain_text("Jan Novák")
    sign_out(page)

    # ---- Hanna signs off, downloads the report, closes and restarts the panel. ----
    sign_in(page, LEAD, "Hanna Peeters")
    go_to_panel(page, panel_id)
    panel_heading(page, panel_id, "Outcome in review")
    waiting_on_panel(page, "Sign off outcome").click()
    open_task_page(page, "Sign off outcome", panel_id, "sign-off form")
    page.get_by_role("group", name="Decision").get_by_label("Sign off the outcome").check()
    page.get_by_role("button", name="Record decision").click()

    expect(flash(page, "signed off.")).to_be_visible()
    open_task_page(page, "Close panel", panel_id)
    expect(task_subject(page, panel_id)).to_contain_text("Outcome signed off")
    task_subject(page, panel_id).get_by_role("link").click()
    panel_heading(page, panel_id, "Outcome signed off")
    expect(page.locator("#timeline")).to_contain_text("add the PET-CT criteria")
    tab(page, "Contributions & outcome")
    outcome = page.locator("#outcome")
    expect(outcome).to_contain_text("Signed off — Hanna Peeters")
    with page.expect_download() as download_info:
        outcome.get_by_role("link", name="Download the report (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"panel-{panel_id}-outcome.pdf"
    report = tmp_path / download.suggested_filename
    download.save_as(report)
    assert report.read_bytes().startswith(b"%PDF")
    assert_accessible(page, "panel page, signed outcome")

    waiting_on_panel(page, "Close panel").click()
    open_task_page(page, "Close panel", panel_id, "closing form")
    page.get_by_role("group", name="Closing reason").get_by_label("Advice given").check()
    expect(page.get_by_role("textbox", name="Note")).to_be_hidden()
    page.get_by_role("button", name="Close panel").click()

    expect(flash(page, f"Panel #{panel_id} {NICKNAME} closed.")).to_be_visible()
    panel_heading(page, panel_id, "Closed")
    expect(page.get_by_text("This panel is closed and read-only.")).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text="Advice given")).to_contain_text("2 members contributed")
    expect(page.get_by_role("textbox", name="Comment")).to_have_count(0)
    tab(page, "Panel members")
    expect(member_row(page, "Jan Novák")).to_contain_text("Accepted")
    expect(member_row(page, "Elise Janssens")).to_contain_text("Declined")
    assert_accessible(page, "closed panel")

    page.get_by_role("button", name="Restart for a new episode").click()
    restarted = flash(page, "opened for the new episode")
    expect(restarted).to_be_visible()
    match = re.search(r"Panel #(\d+) opened", restarted.inner_text())
    assert match is not None
    new_id = int(match.group(1))
    assert new_id != panel_id
    expect(page.get_by_role("heading", name="Consultation form", level=1)).to_be_visible()
    expect(task_subject(page, new_id)).to_contain_text("Panel in creation")
    task_subject(page, new_id).get_by_role("link").click()
    panel_heading(page, new_id, "Panel in creation")
    expect(page.get_by_role("definition").get_by_role("link", name=f"#{panel_id}", exact=True)).to_be_visible()  # previous episode
