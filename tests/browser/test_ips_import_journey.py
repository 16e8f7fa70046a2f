"""Importing a patient summary into the consultation form through the browser.

Hanna Peeters (BE10) opens a panel on a patient of her centre, imports the IPS example bundle into the consultation
form, sees each proposed item marked as not in the form yet, accepts a medicine and an allergy, rejects a result, finds
the two accepted in the form's fields (and not the rejected one), fills the mandatory fields and submits. A file that is
no patient summary is refused first, with its reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import phenopackets as pp
import pytest
from fhir.resources.R4B.bundle import Bundle
from google.protobuf import json_format
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from app.database import db
from app.panels.models import Panel
from tests.app.research.helpers import phenopacket_schema_validator
from tests.browser.conftest import assert_accessible
from tests.browser.journeys import flash
from tests.browser.journeys import sign_in
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

LEAD = "hp1@demo.consilium.eu"  # Hanna Peeters, BE10
CPMS_ID = "ERN-BE10-EuroBloodNet-002"
EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "fhir-ips" / "Bundle-IPS-examples-Bundle-01.json"
MARK = "Imported — not in the form until you accept it"
MEDICINE = "Black Cohosh Extract herbal supplement"
ALLERGY = "Substance with penicillin structure and antibacterial mechanism of action (substance)"
RESULT = "Hemoglobin A1c/Hemoglobin.total in Blood by HPLC"


@pytest.mark.browser
def test_import_a_patient_summary_review_it_and_submit(page: Page) -> None:
    sign_in(page, LEAD, "Hanna Peeters")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Centre", exact=True).click()
    page.get_by_role("link", name="Patient list").click()
    page.get_by_role("row").filter(has_text=CPMS_ID).get_by_role("link").click()
    page.get_by_role("group", name="Open a panel on").get_by_role("button", name="Amyloidosis").click()
    expect(page.get_by_role("heading", name="Consultation form", level=1)).to_be_visible()

    # ---- A file that is no patient summary is refused with its reason; nothing is kept. ----
    card = page.get_by_role("region", name="Import from a patient summary (FHIR IPS)")
    card.get_by_label("Patient summary file (JSON)").set_input_files(
        {"name": "notes.json", "mimeType": "application/json", "buffer": b"not json"}
    )
    card.get_by_role("button", name="Import the summary").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid JSON")
    assert_accessible(page, "patient summary refused")
    page.get_by_role("link", name="Back to the form").click()
    expect(card.locator("[data-imported-item]")).to_have_count(0)

    # ---- Import: every proposed item is listed, marked, and nothing is in the form yet. ----
    card.get_by_label("Patient summary file (JSON)").set_input_files(EXAMPLE)
    card.get_by_role("button", name="Import the summary").click()
    expect(flash(page, "The patient summary proposes 14 items")).to_be_visible()
    items = card.locator("[data-imported-item]")
    expect(items.filter(has_text=MARK)).to_have_count(14)
    expect(card.get_by_role("list", name="Medication summary")).to_contain_text(MEDICINE)
    expect(card.get_by_role("list", name="Others")).to_contain_text("the form has no field for Results")
    expect(page.locator('[name="medications-0-medicine"]')).to_have_value("")
    assert_accessible(page, "consultation form with the summary's items to review")

    # ---- Accept two, reject one. ----
    items.filter(has_text=MEDICINE).get_by_role("button", name=re.compile("^Accept")).click()
    expect(flash(page, "Accepted: it is now in the form's draft.")).to_be_visible()
    items.filter(has_text=ALLERGY).get_by_role("button", name=re.compile("^Accept")).click()
    expect(flash(page, "Accepted")).to_be_visible()
    items.filter(has_text=RESULT).get_by_role("button", name=re.compile("^Reject")).click()
    expect(flash(page, "Rejected: it stays out of the form.")).to_be_visible()
    expect(items.filter(has_text=MARK)).to_have_count(11)
    expect(items.filter(has_text=MEDICINE)).to_have_count(0)

    # The two accepted are in the form's fields; the rejected result is not.
    expect(page.locator('[name="medications-0-medicine"]')).to_have_value(MEDICINE)
    expect(page.locator('[name="medications-0-since"]')).to_have_value("01/2016")
    expect(page.locator('[name="allergies-0-substance"]')).to_have_value(ALLERGY)
    expect(page.locator('[name="other_information"]')).to_have_value("")

    # ---- The mandatory fields, then submit. ----
    page.get_by_role("textbox", name="Nickname").fill("Summary heron")
    page.get_by_role("group", name="Urgent request").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="Repeat of a previous panel").get_by_label("Don't know", exact=True).check()
    page.get_by_role("textbox", name="Request description").fill("Hot flushes on anastrozole: what else to consider?")
    page.get_by_role("button", name="Submit consultation form").click()
    expect(flash(page, "submitted: now invite the experts.")).to_be_visible()


def test_the_lead_exports_the_signed_outcome_as_fhir_and_phenopacket_and_both_validate(page: Page, live_server: LiveServer) -> None:
    """Marco Rossi (IT10) leads "lemon tree", signed off in the demo data: he downloads its outcome as a FHIR
    document bundle and as a Phenopacket from the panel page; both parse strictly, validate, and name no patient."""
    sign_in(page, "hp4@demo.consilium.eu", "Marco Rossi")
    with live_server.app.app_context():
        panel_id = db.session.scalar(select(Panel.id).where(Panel.nickname == "lemon tree"))
    page.goto(f"/panels/{panel_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("lemon tree")
    page.get_by_role("link", name="Contributions & outcome").click()
    with page.expect_download() as fhir_download:
        page.get_by_role("link", name="Download as FHIR bundle").click()
    bundle_text = Path(fhir_download.value.path()).read_text(encoding="utf-8")
    bundle = Bundle.model_validate_json(bundle_text)
    assert bundle.type == "document" and bundle.entry[0].resource.get_resource_type() == "Composition"
    assert {entry.resource.get_resource_type() for entry in bundle.entry} >= {"Patient", "Condition", "CarePlan", "Practitioner"}
    with page.expect_download() as packet_download:
        page.get_by_role("link", name="Download as Phenopacket").click()
    packet_text = Path(packet_download.value.path()).read_text(encoding="utf-8")
    json_format.Parse(packet_text, pp.Phenopacket())
    errors = list(phenopacket_schema_validator().iter_errors(json.loads(packet_text)))
    assert errors == []
    for identifying in ("Luca", "Ferrari", "1966", "ERN-IT10-EuroBloodNet-001"):  # the patient of "lemon tree"
        assert identifying not in bundle_text and identifying not in packet_text
