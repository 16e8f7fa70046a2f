"""Every decision page shows what is decided on it, and the panel journey has no dead ends (issue 18 §1–§2).

On the demo data: Jan Novák (CZ08) leads "north wind", whose outcome is in review and which Hanna Peeters (BE10)
joined; Sophie Martin (FR08) leads "quiet harbour", where Hanna asked for data (these pages are only looked at,
other journeys use that panel); Jan is invited to "silver birch". Hanna then opens a panel of her own, is taken from
the consultation form to the invitation step, and the panel runs from there.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.journeys import flash
from tests.browser.journeys import sign_in
from tests.browser.journeys import sign_out
from tests.factories import pdf

HANNA = "hp1@demo.consilium.eu"
JAN = "hp2@demo.consilium.eu"
SOPHIE = "hp3@demo.consilium.eu"
ELISE = "hp5@demo.consilium.eu"
NICKNAME = "decision heron"


def open_my_task(page: Page, label: str, nickname: str) -> None:
    """From the task list: the signed-in person's task called ``label`` on the panel called ``nickname``."""
    page.goto("/tasks/")
    row = page.get_by_role("row").filter(has_text=nickname).filter(has=page.get_by_role("link", name=label, exact=True))
    row.get_by_role("link", name=label, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


@pytest.mark.browser
def test_the_sign_off_page_shows_the_outcome_and_its_review_and_asks_before_signing_early(page: Page) -> None:
    sign_in(page, JAN, "Jan Novák")
    open_my_task(page, "Sign off outcome", "north wind")
    signed = page.get_by_role("region", name="The outcome as it will be signed")
    expect(signed).to_contain_text("Switch to the second-line regimen discussed")
    review = page.get_by_role("region", name="The members’ review")
    expect(review).to_contain_text("The review window is open until")
    expect(page.locator("#not-reviewed")).to_have_text("Hanna Peeters")
    expect(page.locator("#review-comments")).to_contain_text("No member has commented on the draft yet.")
    expect(page.locator("form.task-form :focus")).to_have_count(0)
    assert_accessible(page, "sign-off page")

    page.get_by_role("group", name="Decision").get_by_label("Sign off the outcome").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("alert")).to_contain_text("Hanna Peeters did not review yet")
    expect(page.get_by_label("Sign off now, before the review window ends")).to_be_visible()
    assert_accessible(page, "sign-off refused without the early tick")
    sign_out(page)

    # Hanna reviews: her comment on the panel counts as her review.
    sign_in(page, HANNA, "Hanna Peeters")
    page.goto("/panels/?q=north+wind")
    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    page.get_by_role("textbox", name="Comment").fill("Agreed; add the re-staging criteria.")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(flash(page, "Comment added.")).to_be_visible()
    sign_out(page)

    sign_in(page, JAN, "Jan Novák")
    open_my_task(page, "Sign off outcome", "north wind")
    expect(page.locator("#reviewed-by")).to_have_text("Hanna Peeters")
    expect(page.locator("#review-comments")).to_contain_text("Agreed; add the re-staging criteria.")
    expect(page.locator("#review-comments")).to_contain_text("Hanna Peeters")
    expect(page.locator("#sign-off-rule")).to_contain_text("You can sign off now")
    page.get_by_role("group", name="Decision").get_by_label("Sign off the outcome").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(flash(page, "Outcome of panel")).to_be_visible()
    # Signed off: contributions can no longer come, so they are no longer requested.
    page.goto("/panels/?q=north+wind")
    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    page.get_by_role("link", name="Contributions & outcome", exact=True).click()
    expect(page.get_by_role("button", name="Request contributions")).to_have_count(0)


@pytest.mark.browser
def test_the_data_request_invitation_and_draft_pages_show_their_material(page: Page) -> None:
    sign_in(page, SOPHIE, "Sophie Martin")
    open_my_task(page, "Provide additional data", "quiet harbour")
    question = page.get_by_role("region", name="The question")
    expect(question).to_contain_text("Please share the latest echocardiography report.")
    expect(question).to_contain_text("Asked by Hanna Peeters")
    files = page.get_by_role("region", name="Files for your answer")
    expect(files.get_by_label("Attach PDFs, images, DICOM files or a zipped study")).to_be_visible()
    assert_accessible(page, "provide additional data")

    open_my_task(page, "Draft outcome", "quiet harbour")
    basis = page.get_by_role("region", name="What the panel said")
    expect(basis).to_contain_text("Cardiac staging first")
    expect(basis).to_contain_text("Please share the latest echocardiography report.")
    assert_accessible(page, "draft outcome")
    sign_out(page)

    sign_in(page, JAN, "Jan Novák")
    open_my_task(page, "Answer invitation", "silver birch")
    case = page.get_by_role("region", name="The case")
    expect(case.get_by_text("Consultation form (read-only)")).to_be_visible()
    expect(case).to_contain_text("Relapse after first-line treatment.")
    expect(case.get_by_role("heading", name="Documents and images")).to_be_visible()
    expect(case.get_by_role("heading", name="Contributions so far")).to_be_visible()
    assert_accessible(page, "answer invitation")


@pytest.mark.browser
def test_from_the_consultation_form_to_the_invitation_step_and_on_without_dead_ends(page: Page) -> None:
    sign_in(page, HANNA, "Hanna Peeters")
    page.goto("/patients/")
    page.get_by_role("row").filter(has_text="ERN-BE10-EuroBloodNet-002").get_by_role("link").first.click()
    page.get_by_role("group", name="Open a panel on").get_by_role("button", name="Rare lymphomas").click()
    panel_id = int(re.search(r"Panel #(\d+) opened", flash(page, "opened").inner_text()).group(1))  # type: ignore[union-attr]

    # A form that is the whole page starts at its first answer; a decision page starts at the top, with its material.
    expect(page.get_by_role("textbox", name="Nickname")).to_be_focused()
    page.get_by_role("textbox", name="Nickname").fill(NICKNAME)
    page.get_by_role("group", name="Urgent request").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="Repeat of a previous panel").get_by_label("No", exact=True).check()
    page.get_by_role("textbox", name="Request description").fill("Which second-line option?")
    page.get_by_role("button", name="Submit consultation form").click()

    # The next page is the invitation step: every expert of the ERN, ranked for the case, each with the reason.
    expect(page.get_by_role("heading", name="Invite experts", level=1)).to_be_visible()
    experts = page.get_by_role("group", name="Experts to invite")
    expect(page.get_by_text(re.compile("ranked for this case"))).to_be_visible()
    expect(experts.locator(".expert-reason").first).to_be_visible()
    assert_accessible(page, "invitation step")
    page.get_by_label("Find an expert by name, hospital or country").fill("brno")
    expect(experts.get_by_label(re.compile(r"^Jan Novák"))).to_be_visible()
    expect(experts.get_by_label(re.compile(r"^Elise Janssens"))).to_be_hidden()
    expect(page.locator("#expert-filter-count")).to_have_text(re.compile(r"^1 of \d+ experts shown$"))
    experts.get_by_label(re.compile(r"^Jan Novák")).check()
    page.get_by_label("Find an expert by name, hospital or country").fill("")
    experts.get_by_label(re.compile(r"^Elise Janssens")).check()
    page.get_by_role("button", name="Invite selected").click()
    expect(flash(page, "invited.")).to_contain_text("Jan Novák")
    expect(page.get_by_role("heading", name="Invite experts", level=1)).to_be_visible()
    expect(page.locator("#panel-people")).to_contain_text("Jan Novák — Invited")
    page.get_by_role("button", name="Start assessment").click()

    # The lead answers Jan's invitation for him from the members tab.
    page.goto(f"/panels/{panel_id}?tab=members")
    expect(page.get_by_label("Close now, because")).to_have_value("")
    page.get_by_role("link", name="Answer for Jan Novák").click()
    expect(page.get_by_role("region", name="The case")).to_contain_text("Which second-line option?")
    page.get_by_role("group", name="Answer").get_by_label("Accept").check()
    page.get_by_role("button", name="Send answer").click()
    expect(flash(page, "Invitation to panel")).to_be_visible()
    sign_out(page)

    # Elise accepts and contributes from the panel page: her "Record contribution" task is done with it.
    sign_in(page, ELISE, "Elise Janssens")
    open_my_task(page, "Answer invitation", NICKNAME)
    page.get_by_role("group", name="Answer").get_by_label("Accept").check()
    page.get_by_role("button", name="Send answer").click()
    page.goto(f"/panels/{panel_id}?tab=contributions")
    expect(page.get_by_role("region", name="Waiting for you").get_by_role("link", name="Record contribution")).to_be_visible()
    page.get_by_text("Add a contribution").click()
    page.get_by_role("textbox", name="Contribution", exact=True).fill("Consider a trial of the second-line regimen.")
    page.get_by_role("button", name="Record contribution").click()
    expect(flash(page, "Contribution recorded.")).to_be_visible()
    expect(page.get_by_role("region", name="Waiting for you")).to_have_count(0)
    # Her contribution carries a PDF.
    contribution = page.locator("article").filter(has_text="Consider a trial of the second-line regimen.")
    contribution.get_by_text("Comment on this contribution or attach a PDF to it").click()
    contribution.get_by_label("PDF for this contribution").set_input_files(
        {"name": "trial-protocol.pdf", "mimeType": "application/pdf", "buffer": pdf()}
    )
    contribution.get_by_role("button", name="Attach PDF").click()
    expect(flash(page, "1 file attached.")).to_be_visible()
    expect(page.locator("article").filter(has_text="Consider a trial").get_by_role("link", name="trial-protocol.pdf")).to_be_visible()
    sign_out(page)

    # Hanna comments on the contribution; contributions can still come, so she may request them.
    sign_in(page, HANNA, "Hanna Peeters")
    page.goto(f"/panels/{panel_id}?tab=contributions")
    expect(page.get_by_role("button", name="Request contributions")).to_be_visible()
    contribution = page.locator("article").filter(has_text="Consider a trial of the second-line regimen.")
    contribution.get_by_text("Comment on this contribution").click()
    contribution.get_by_label("Your comment").fill("Which trial do you have in mind?")
    contribution.get_by_role("button", name="Add comment").click()
    expect(flash(page, "Comment added to the contribution.")).to_be_visible()
    expect(page.locator("article").filter(has_text="Consider a trial")).to_contain_text("Which trial do you have in mind?")
    assert_accessible(page, "contributions with a comment")
