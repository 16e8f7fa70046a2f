"""Imaging through the browser: a zipped study attached to a panel, de-identified, and looked at in the viewer.

Sophie Martin (FR08) leads the demo panel "quiet harbour" on a patient of her centre; Hanna Peeters (BE10) accepted
to join it; Marco Rossi (IT10) is neither invited nor of the patient's centre. Sophie attaches a zip of a generated CT
series (12 slices of 64x64, 16 bits, with pixel spacing and a made-up patient's identity) and of pydicom's MR test
image, then scrolls, windows, zooms, measures and reads the de-identified header in the viewer. Hanna sees and opens
the series from her centre; Marco gets "not found" for the viewer and for a frame.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Locator
from playwright.sync_api import Page
from playwright.sync_api import expect
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.uid import CTImageStorage
from pydicom.uid import ExplicitVRLittleEndian
from pydicom.uid import generate_uid

from tests.browser.conftest import LiveServer
from tests.browser.conftest import assert_accessible
from tests.browser.journeys import sign_in
from tests.browser.journeys import sign_out

LEAD = "hp3@demo.consilium.eu"  # Sophie Martin, FR08: leads "quiet harbour" on a patient of FR08
MEMBER = "hp1@demo.consilium.eu"  # Hanna Peeters, BE10: accepted to join "quiet harbour"
OUTSIDER = "hp4@demo.consilium.eu"  # Marco Rossi, IT10: not invited, another centre
NICKNAME = "quiet harbour"
CPMS_ID = "ERN-FR08-EuroBloodNet-001"
SLICES = 12
SPACING_MM = 0.7
# What the generated files say about the patient: none of it may reach anyone.
IDENTIFYING = ("Testpatient", "HOSP-4711-X", "Sint-Testziekenhuis", "Verwijzer", "19800229")


def ct_slice(number: int, study_uid: str, series_uid: str) -> bytes:
    """One slice of a CT series: a body with lungs and a spine whose size changes from slice to slice."""
    y, x = np.mgrid[0:64, 0:64]
    body = (x - 32) ** 2 / 28**2 + (y - 32) ** 2 / (22 + number % 4) ** 2 <= 1
    lungs = ((x - 20) ** 2 + (y - 30) ** 2 <= (6 + number // 2) ** 2) | ((x - 44) ** 2 + (y - 30) ** 2 <= (6 + number // 2) ** 2)
    spine = (x - 32) ** 2 + (y - 46) ** 2 <= 16
    hounsfield = np.full((64, 64), -1000, dtype=np.int32)
    hounsfield[body] = 40
    hounsfield[body & lungs] = -800
    hounsfield[spine] = 700
    stored = (hounsfield + 1024).astype(np.uint16)

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = Dataset()
    dataset.file_meta = meta
    dataset.SOPClassUID = CTImageStorage
    dataset.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    dataset.PatientName = "Testpatient^Hanna"
    dataset.PatientID = "HOSP-4711-X"
    dataset.PatientBirthDate = "19800229"
    dataset.PatientSex = "F"
    dataset.InstitutionName = "Sint-Testziekenhuis"
    dataset.ReferringPhysicianName = "Verwijzer^Dokter"
    dataset.StudyDate = "20240115"
    dataset.StudyInstanceUID = study_uid
    dataset.SeriesInstanceUID = series_uid
    dataset.Modality = "CT"
    dataset.SeriesDescription = "Thorax"
    dataset.SeriesNumber = 2
    dataset.InstanceNumber = number
    dataset.ImagePositionPatient = [0.0, 0.0, 5.0 * number]
    dataset.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    dataset.SliceThickness = 5
    dataset.PixelSpacing = [SPACING_MM, SPACING_MM]
    dataset.Rows = dataset.Columns = 64
    dataset.SamplesPerPixel = 1
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.BitsAllocated = dataset.BitsStored = 16
    dataset.HighBit = 15
    dataset.PixelRepresentation = 0
    dataset.RescaleIntercept = -1024
    dataset.RescaleSlope = 1
    dataset.WindowCenter = 40
    dataset.WindowWidth = 400
    dataset.PixelData = stored.tobytes()
    out = io.BytesIO()
    dataset.save_as(out, enforce_file_format=True)
    return out.getvalue()


def zipped_study() -> bytes:
    """The CT series (shuffled: the viewer orders slices by instance number) and pydicom's MR test image."""
    study_uid, series_uid = generate_uid(), generate_uid()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in (7, 1, 12, 3, 5, 2, 9, 4, 11, 6, 10, 8):
            archive.writestr(f"STUDY/CT/IM{number:04d}.dcm", ct_slice(number, study_uid, series_uid))
        archive.writestr("STUDY/MR/IM0001.dcm", Path(get_testdata_file("MR_small.dcm")).read_bytes())
    return out.getvalue()


def go_to_panel(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Panels", exact=True).click()
    page.get_by_role("textbox", name="Number or nickname").fill(NICKNAME)
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("row").filter(has_text=NICKNAME).get_by_role("link", name=re.compile(r"^#\d+$")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(NICKNAME)
    page.get_by_role("link", name="Contributions & outcome", exact=True).click()


def ct_series(page: Page) -> Locator:
    return page.locator("#dicom-series").get_by_role("listitem").filter(has_text=f"{SLICES} images")


def viewer_shows(page: Page, **state: str) -> None:
    """Wait until #viewer has these data-* values (data-loaded-slice: the frame is drawn)."""
    viewer = page.locator("#viewer")
    for name, value in state.items():
        expect(viewer).to_have_attribute("data-" + name.replace("_", "-"), value)


@pytest.mark.browser
def test_a_zipped_study_is_viewed_by_the_panel_and_by_no_one_else(page: Page, chromium: Browser, live_server: LiveServer) -> None:
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))

    # ---- Sophie attaches the zipped study to her panel. ----
    sign_in(page, LEAD, "Sophie Martin")
    go_to_panel(page)
    uploader = page.locator("form[data-uploader]")
    uploader.locator("#document-file").set_input_files(
        files=[{"name": "study.zip", "mimeType": "application/zip", "buffer": zipped_study()}]
    )
    uploader.get_by_role("button", name="Attach", exact=True).click()
    # The uploader reloads the page once every file is attached (without it, the form's redirect does).
    expect(ct_series(page)).to_have_count(1, timeout=30_000)
    expect(page.locator("#dicom-series").get_by_role("listitem")).to_have_count(2)
    expect(page.locator("#dicom-series").get_by_role("listitem").filter(has_text="1 image")).to_have_count(1)

    # ---- The viewer: the first slice drawn, the file's own window. ----
    ct_series(page).get_by_role("link").click()
    viewer_shows(page, slice="1", slices=str(SLICES), window="default", loaded_slice="1")
    viewer_url = page.url
    canvas = page.get_by_role("application", name=re.compile("Image"))
    expect(page.locator("#viewer-status")).to_contain_text(f"Slice 1 / {SLICES}")
    expect(page.get_by_role("navigation", name="Series").get_by_role("link")).to_have_count(2)
    # The next slices are fetched before they are asked for.
    page.wait_for_function("() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/frames/')).length >= 4")

    # Scrolling: keys on the focused canvas, the mouse wheel, the slider.
    canvas.focus()
    page.keyboard.press("ArrowDown")
    viewer_shows(page, slice="2", loaded_slice="2")
    box = canvas.bounding_box()
    assert box is not None
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(*middle)
    page.mouse.wheel(0, 100)
    viewer_shows(page, slice="3", loaded_slice="3")
    page.keyboard.press("End")
    viewer_shows(page, slice=str(SLICES), loaded_slice=str(SLICES))
    expect(page.locator("#viewer-slice-text")).to_have_text(f"{SLICES} / {SLICES}")
    page.get_by_role("slider", name="Slice").fill("6")
    viewer_shows(page, slice="6", loaded_slice="6")

    # Window presets and numbers, then window/level by dragging.
    page.get_by_label("Preset").select_option("lung")
    viewer_shows(page, window="-600/1500", loaded_window="-600/1500", loaded_slice="6")
    expect(page.get_by_role("spinbutton", name="Centre")).to_have_value("-600")
    expect(page.get_by_role("spinbutton", name="Width")).to_have_value("1500")
    expect(page.locator("#viewer-status")).to_contain_text("window -600 / 1500")
    page.get_by_role("button", name="Window/level").click()
    expect(page.get_by_role("button", name="Window/level")).to_have_attribute("aria-pressed", "true")
    page.mouse.move(*middle)
    page.mouse.down()
    for step in range(1, 7):
        page.mouse.move(middle[0] + 10 * step, middle[1] + 5 * step)
    page.mouse.up()
    dragged = page.locator("#viewer").get_attribute("data-window") or ""
    centre, width = (float(v) for v in dragged.split("/"))
    assert centre > -600 and width > 1500, dragged
    expect(page.get_by_label("Preset")).to_have_value("custom")
    expect(page.get_by_role("spinbutton", name="Centre")).to_have_value(dragged.split("/")[0])
    viewer_shows(page, loaded_window=dragged)
    page.get_by_role("spinbutton", name="Width").fill("80")
    page.get_by_role("spinbutton", name="Centre").fill("40")
    page.get_by_role("spinbutton", name="Centre").press("Enter")
    viewer_shows(page, window="40/80", loaded_window="40/80")
    expect(page.get_by_label("Preset")).to_have_value("brain")

    # Zoom, then measure a distance in mm.
    page.get_by_role("button", name="Zoom in").click()
    viewer_shows(page, zoom="1.25")
    page.get_by_role("button", name="Fit").click()
    viewer_shows(page, zoom="1")
    page.get_by_role("button", name="Measure").click()
    scale = min(box["width"], box["height"]) / 64  # CSS pixels per image pixel when the image fits the canvas
    page.mouse.move(middle[0] - 100, middle[1])
    page.mouse.down()
    page.mouse.move(middle[0], middle[1], steps=4)
    page.mouse.move(middle[0] + 100, middle[1], steps=4)
    page.mouse.up()
    measured = page.locator("#viewer").get_attribute("data-measure") or ""
    assert measured.endswith(" mm"), measured
    assert abs(float(measured.split()[0]) - 200 / scale * SPACING_MM) < 0.3, (measured, scale)
    expect(page.locator("#viewer-measure")).to_have_text(f"Distance: {measured}")

    # The de-identified header: the CPMS ID stands for the patient; nothing of the original identity is left.
    page.get_by_role("button", name="Show header").click()
    expect(page.get_by_role("button", name="Hide header")).to_have_attribute("aria-expanded", "true")
    header = page.get_by_role("complementary", name="De-identified header")
    table = header.get_by_role("table")
    expect(table).to_be_visible()
    patient_name = table.get_by_role("row").filter(has=page.get_by_role("cell", name="Patient's Name", exact=True))
    expect(patient_name).to_contain_text(CPMS_ID)
    identity_removed = table.get_by_role("row").filter(has=page.get_by_role("cell", name="Patient Identity Removed", exact=True))
    expect(identity_removed.get_by_role("cell").last).to_have_text("YES")
    shown = header.inner_text()
    for original in IDENTIFYING:
        assert original not in shown, original
    assert_accessible(page, "viewer with the header open")

    # A frame the server cannot decode: its message in the status line, and the next slice shows again.
    last_id = page.evaluate("() => JSON.parse(document.getElementById('viewer-data').textContent).images.at(-1).id")
    undecodable = re.compile(rf"/documents/{last_id}/frames/0\.png")
    problem = {"error": "This image cannot be shown: this image's compression cannot be decoded here."}
    page.route(undecodable, lambda route: route.fulfill(status=422, json=problem))
    canvas.press("End")
    viewer_shows(page, slice=str(SLICES), error=f"Slice {SLICES} cannot be shown: {problem['error']}")
    expect(page.locator("#viewer-status")).to_contain_text("compression cannot be decoded here")
    page.unroute(undecodable)
    canvas.press("ArrowUp")
    viewer_shows(page, slice=str(SLICES - 1), loaded_slice=str(SLICES - 1))
    expect(page.locator("#viewer")).not_to_have_attribute("data-error", re.compile("."))
    assert script_errors == []
    sign_out(page)

    # ---- Hanna, of another centre and a member of the panel, sees the series and opens it, in a browser that
    # enforces the Content-Security-Policy (the page fixture bypasses it for axe-core). ----
    context = chromium.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(5_000)
    member = context.new_page()
    refused: list[str] = []
    member.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    member.on("pageerror", lambda error: script_errors.append(str(error)))
    try:
        sign_in(member, MEMBER, "Hanna Peeters")
        go_to_panel(member)
        expect(ct_series(member)).to_have_count(1)
        ct_series(member).get_by_role("link").click()
        viewer_shows(member, slice="1", loaded_slice="1")
        assert member.url == viewer_url
        member.get_by_role("application", name=re.compile("Image")).press("PageDown")
        viewer_shows(member, slice="11", loaded_slice="11")
        member.get_by_role("navigation", name="Series").get_by_role("link", name=re.compile(r"\(1\)")).click()
        viewer_shows(member, slice="1", slices="1", loaded_slice="1")  # the MR image: no CT presets
        expect(member.get_by_label("Preset")).to_have_count(0)
        frame_url = member.evaluate("() => JSON.parse(document.getElementById('viewer-data').textContent).frameUrl")
        assert refused == [] and script_errors == []
    finally:
        context.close()
    first_id = re.search(r"/documents/(\d+)/viewer", viewer_url)
    assert first_id is not None

    # ---- Marco, neither invited nor of the patient's centre, finds nothing. ----
    sign_in(page, OUTSIDER, "Marco Rossi")
    assert page.request.get(viewer_url).status == 404
    frame = frame_url.replace("{id}", first_id.group(1)).replace("{frame}", "0")
    assert page.request.get(frame).status == 404
    assert page.request.get(frame, headers={"Accept": "application/json"}).json()["error"] == "No such document."
