"""Uploading as a clinician does: a folder (a CD export of a study) and files dropped on the page, with progress.

Hanna Peeters (BE10) keeps documents in the record of her centre's patient ERN-BE10-EuroBloodNet-001: she chooses a
folder holding three CT slices and a stray program, sees the progress finish with the program refused by name, then
drops a PDF report on the drop zone. Files go one per request; the page lists the images as one series.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from app.database import db
from app.demo.imaging import study_files
from app.patients.models import Patient
from tests.browser.conftest import LiveServer
from tests.browser.conftest import assert_accessible
from tests.browser.journeys import sign_in
from tests.factories import pdf

pytestmark = pytest.mark.browser

CLINICIAN = "hp1@demo.consilium.eu"
CPMS_ID = "ERN-BE10-EuroBloodNet-001"
PDF = pdf()


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
    expect(page.locator("#dicom-series")).to_contain_text("CT chest series 1 — 3 images")
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


def test_a_pdf_report_is_read_page_by_page_as_pictures_and_one_with_a_script_is_attached_without_it(
    page: Page, live_server: LiveServer, tmp_path: Path
):
    report = tmp_path / "discharge-letter.pdf"
    report.write_bytes(pdf(pages=3))
    sign_in(page, CLINICIAN, "Hanna Peeters")
    page.goto(f"/patients/{_patient_id(live_server)}")
    page.get_by_label("Attach PDFs, images, DICOM files or a zipped study").set_input_files(report)
    page.locator("form[data-uploader]").get_by_role("button", name="Attach", exact=True).click()
    link = page.get_by_role("link", name="discharge-letter.pdf", exact=True)
    expect(link).to_be_visible(timeout=20_000)

    with page.expect_popup() as opened:
        link.click()
    preview = opened.value
    expect(preview.get_by_role("heading", name="discharge-letter.pdf")).to_be_visible()
    expect(preview.get_by_text("3 pages")).to_be_visible()
    expect(preview.get_by_role("link", name="Download the PDF")).to_have_attribute("href", re.compile(r"/documents/\d+/download$"))
    preview.get_by_role("navigation", name="Pages").get_by_role("link", name="3", exact=True).click()
    third = preview.get_by_role("img", name="Page 3 of 3 of discharge-letter.pdf")
    expect(third).to_be_in_viewport()
    expect(third).to_have_js_property("complete", True, timeout=20_000)
    assert third.evaluate("image => image.naturalWidth") == 1400
    assert preview.evaluate("() => document.querySelectorAll('embed, object, iframe').length") == 0  # no PDF viewer
    assert_accessible(preview, "PDF preview")
    with preview.expect_download() as downloading:
        preview.get_by_role("link", name="Download the PDF").click()
    assert downloading.value.suggested_filename.endswith(".pdf") and Path(downloading.value.path()).read_bytes() == pdf(pages=3)

    scripted = tmp_path / "letter-with-script.pdf"
    scripted.write_bytes(_with_open_action_script(pdf()))
    page.get_by_label("Attach PDFs, images, DICOM files or a zipped study").set_input_files(scripted)
    page.locator("form[data-uploader]").get_by_role("button", name="Attach", exact=True).click()
    expect(page.get_by_text("letter-with-script.pdf is attached without its JavaScript")).to_be_visible(timeout=20_000)


def _with_open_action_script(data: bytes) -> bytes:
    from pypdf import PdfReader
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject
    from pypdf.generic import NameObject
    from pypdf.generic import TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    action = {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject(action)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
