"""Uploading as a clinician does: a folder (a CD export of a study) and files dropped on the page, with progress.

Hanna Peeters (BE10) keeps documents in the record of her centre's patient ERN-BE10-EuroBloodNet-001: she chooses a
folder holding three CT slices and a stray program, sees the progress finish with the program refused by name, then
drops a PDF report on the drop zone. Files go one per request; the page lists the images as one series.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from app.database import db
from app.demo.imaging import study_files
from app.patients.models import Patient
from tests.browser.conftest import LiveServer
from tests.browser.conftest import assert_accessible
from tests.browser.journeys import sign_in

CLINICIAN = "hp1@demo.consilium.eu"
CPMS_ID = "ERN-BE10-EuroBloodNet-001"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _patient_id(live_server: LiveServer) -> int:
    with live_server.app.app_context():
        return int(db.session.scalar(select(Patient.id).where(Patient.cpms_id == CPMS_ID)))


def test_a_folder_and_dropped_files_upload_with_progress_and_refusals_named(page: Page, live_server: LiveServer, tmp_path: Path):
    folder = tmp_path / "CD" / "DICOM"
    folder.mkdir(parents=True)
    for name, data in study_files()[:3]:
        (folder / name).write_bytes(data)
    (folder / "viewer.exe").write_bytes(b"MZ\x90\x00" + b"\x00" * 200)
    (folder / "DICOMDIR").write_bytes(b"\x00" * 200)  # lists the files; they come on their own

    sign_in(page, CLINICIAN, "Hanna Peeters")
    page.goto(f"/patients/{_patient_id(live_server)}")
    uploader = page.locator("form[data-uploader]")
    expect(uploader.get_by_text("You can also drop files or folders here.")).to_be_visible()
    page.get_by_label("…or a whole folder (a CD or export of a study)").set_input_files(tmp_path / "CD")
    uploader.get_by_role("button", name="Attach", exact=True).click()

    status = page.locator("#upload-status")
    expect(status).to_contain_text("Finished: 3 attached, 0 of them held for review, 1 not attached.", timeout=20_000)
    expect(page.locator("progress")).to_have_attribute("value", "100")
    expect(uploader.get_by_role("list", name="Files not attached")).to_contain_text("viewer.exe: This file is not accepted")
    assert_accessible(page, "uploader with a refused file")
    status.get_by_role("button", name="Show the attached files").click()
    expect(page.locator("#dicom-series")).to_contain_text("CT Thorax phantom — 3 images")
    expect(page.locator("form[data-uploader]").get_by_text("You can also drop files or folders here.")).to_be_visible()  # set up again

    # A report dragged from the desktop onto the drop zone goes up at once.
    page.evaluate(
        """(bytes) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], "echo-report.pdf", { type: "application/pdf" }));
            const zone = document.querySelector("[data-drop-zone]");
            zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
            zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }""",
        list(PDF),
    )
    expect(page.get_by_role("link", name="echo-report.pdf", exact=True)).to_be_visible(timeout=20_000)  # the page reloads when all went in
    expect(page.locator("#dicom-series")).to_contain_text("3 images")
