"""Documents as users meet them: images held for review, patient records, the viewer's frames, previews, the uploader."""

import io
import json
from io import BytesIO
from pathlib import Path

from PIL import Image
from pydicom import dcmread
from pydicom.data import get_testdata_file
from sqlalchemy import select

from app.accounts.models import Role
from app.database import db
from app.demo.imaging import study_files
from app.documents.models import Document
from tests import factories

PDF = factories.pdf()


def _upload(client, url, data, name, json_answer=False):
    headers = {"Accept": "application/json"} if json_answer else {}
    return client.post(url, data={"file": (BytesIO(data), name)}, content_type="multipart/form-data", headers=headers)


def _file(name):
    return Path(get_testdata_file(name)).read_bytes()


def test_a_screen_capture_is_held_for_the_centre_to_review_before_the_panel_sees_it(world, as_user, case):
    _patient, panel_id = case
    assert _upload(as_user(world.clinician), f"/panels/{panel_id}/documents", _file("SC_rgb_rle.dcm"), "capture.dcm").status_code == 302
    held = db.session.scalar(select(Document))
    assert held.held and "names and dates in the picture" in held.hold_reason
    page = as_user(world.clinician).get(f"/panels/{panel_id}?tab=contributions").text
    assert "held for review" in page and "Reviewed: share with the panel" in page
    assert "dicom-series" not in as_user(world.brno_clinician).get(f"/panels/{panel_id}?tab=contributions").text
    for url in (f"/documents/{held.id}/viewer", f"/documents/{held.id}/frames/0.png", f"/documents/{held.id}/download"):
        assert as_user(world.brno_clinician).get(url).status_code == 404, url
    assert as_user(world.brno_clinician).post(f"/documents/{held.id}/share").status_code == 404  # only the patient's centre reviews
    assert as_user(world.clinician).get(f"/documents/{held.id}/viewer").status_code == 200  # the reviewer looks first
    assert as_user(world.clinician).post(f"/documents/{held.id}/share").status_code == 302
    assert not db.session.get(Document, held.id).held and db.session.get(Document, held.id).reviewed_by_id == world.clinician.id
    assert as_user(world.brno_clinician).get(f"/documents/{held.id}/viewer").status_code == 200
    assert "reviewed and shared 1 image(s)" in as_user(world.brno_clinician).get(f"/panels/{panel_id}").text


def test_a_held_series_can_be_removed_unseen(world, as_user, case):
    _patient, panel_id = case
    _upload(as_user(world.clinician), f"/panels/{panel_id}/documents", _file("SC_rgb_rle.dcm"), "capture.dcm")
    held = db.session.scalar(select(Document))
    assert as_user(world.clinician).post(f"/documents/{held.id}/discard").status_code == 302
    assert db.session.scalar(select(Document)) is None


def test_a_ct_image_is_shared_at_once_and_a_member_of_another_centre_views_it(world, as_user, case):
    _patient, panel_id = case
    _upload(as_user(world.clinician), f"/panels/{panel_id}/documents", _file("CT_small.dcm"), "ct.dcm")
    document = db.session.scalar(select(Document))
    assert not document.held and document.image["rows"] == 128 and document.image["spacing"] == [0.661468, 0.661468]
    viewer = as_user(world.brno_clinician).get(f"/documents/{document.id}/viewer")
    assert viewer.status_code == 200 and 'id="viewer-data"' in viewer.text and '"brain"' in viewer.text
    lung = as_user(world.brno_clinician).get(f"/documents/{document.id}/frames/0.png?center=-600&width=1500")
    bone = as_user(world.brno_clinician).get(f"/documents/{document.id}/frames/0.png?center=400&width=1800")
    assert Image.open(io.BytesIO(lung.data)).size == (128, 128) and lung.data != bone.data
    assert Image.open(io.BytesIO(as_user(world.brno_clinician).get(f"/documents/{document.id}/thumbnail.png").data)).size == (128, 128)
    missing = as_user(world.brno_clinician).get(f"/documents/{document.id}/frames/3.png", headers={"Accept": "application/json"})
    assert missing.status_code == 422 and "there is no frame 4" in missing.json["error"]
    rows = as_user(world.brno_clinician).get(f"/documents/{document.id}/header").json["rows"]
    values = {row["name"]: row["value"] for row in rows}
    assert values["Patient's Name"] == case[0].cpms_id and values["Patient Identity Removed"] == "YES"
    assert "CompressedSamples" not in json.dumps(rows)  # the original name of pydicom's test patient
    assert as_user(world.researcher).get(f"/documents/{document.id}/viewer").status_code == 404


def test_frames_of_compressed_and_multi_frame_images_decode(world, as_user, case):
    _patient, panel_id = case
    client = as_user(world.clinician)
    for name in ("MR_small_jp2klossless.dcm", "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm", "SC_rgb_rle_2frame.dcm"):
        _upload(client, f"/panels/{panel_id}/documents", _file(name), name)
    for document in db.session.scalars(select(Document)):
        for frame in range(document.image["frames"]):
            response = client.get(f"/documents/{document.id}/frames/{frame}.png")
            assert response.status_code == 200 and response.data.startswith(b"\x89PNG"), document.title


def test_an_image_no_codec_here_decodes_gets_a_message_not_an_error(world, as_user, case):
    _patient, panel_id = case
    client = as_user(world.clinician)
    _upload(client, f"/panels/{panel_id}/documents", _file("JPGExtended.dcm"), "extended.dcm")
    document = db.session.scalar(select(Document))
    response = client.get(f"/documents/{document.id}/frames/0.png")
    assert response.status_code == 422 and "cannot be decoded here" in response.text


def test_images_preview_in_the_browser_pdfs_as_pictures_of_their_pages_and_both_download_as_attachments(world, as_user, case):
    _patient, panel_id = case
    client = as_user(world.brno_clinician)
    _upload(client, f"/panels/{panel_id}/documents", PDF, "report.pdf")
    _upload(client, f"/panels/{panel_id}/documents", factories.png(), "photo.png")
    pdf, png = sorted(db.session.scalars(select(Document)), key=lambda d: d.media_type)
    preview = client.get(f"/documents/{pdf.id}/preview")
    assert preview.mimetype == "text/html" and f"/documents/{pdf.id}/pages/0.png" in preview.text
    image = client.get(f"/documents/{png.id}/preview")
    assert image.mimetype == "image/png" and "sandbox" in image.headers["Content-Security-Policy"]
    assert client.get(f"/documents/{pdf.id}/download").headers["Content-Disposition"].startswith("attachment")
    page = client.get(f"/panels/{panel_id}?tab=contributions").text
    assert f"/documents/{pdf.id}/preview" in page and f"/documents/{png.id}/download" in page


def test_documents_of_a_patient_stay_at_the_centre(world, as_user, case):
    patient, panel_id = case
    response = _upload(as_user(world.clinician), f"/patients/{patient.id}/documents", _file("CT_small.dcm"), "ct.dcm")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/patients/{patient.id}#documents")
    document = db.session.scalar(select(Document))
    assert document.panel_id is None and document.patient_id == patient.id
    assert "1 image" in as_user(world.clinician).get(f"/patients/{patient.id}").text
    assert "dicom-series" not in as_user(world.clinician).get(f"/panels/{panel_id}?tab=contributions").text
    assert as_user(world.brno_clinician).get(f"/documents/{document.id}/viewer").status_code == 404
    assert _upload(as_user(world.brno_clinician), f"/patients/{patient.id}/documents", PDF, "report.pdf").status_code == 404


def test_the_uploader_gets_json_answers_with_each_refused_file_named(world, as_user, case):
    _patient, panel_id = case
    client = as_user(world.clinician)
    ok = _upload(client, f"/panels/{panel_id}/documents", PDF, "report.pdf", json_answer=True)
    assert ok.status_code == 200 and ok.json == {"attached": 1, "held": 0, "skipped": [], "cleaned": []}
    refused = _upload(client, f"/panels/{panel_id}/documents", b"MZ\x90\x00" + b"\x00" * 100, "setup.dcm", json_answer=True)
    assert refused.status_code == 422 and "This file is not accepted" in refused.json["error"]
    dicomdir = _upload(client, f"/panels/{panel_id}/documents", _file("DICOMDIR"), "DICOMDIR", json_answer=True)
    assert dicomdir.status_code == 422 and "a DICOMDIR only lists files" in dicomdir.json["error"]


def test_an_upload_over_the_request_limit_gets_a_clear_message(app, world, as_user, case, monkeypatch):
    _patient, panel_id = case
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 500)
    client = as_user(world.clinician)
    response = _upload(client, f"/panels/{panel_id}/documents", PDF + b"x" * 1000, "big.pdf", json_answer=True)
    assert response.status_code == 413 and "larger than the server accepts" in response.json["error"]
    assert "larger than the server accepts" in _upload(client, f"/panels/{panel_id}/documents", PDF + b"x" * 1000, "big.pdf").text
    assert db.session.scalar(select(Document)) is None


def test_the_profile_page_shows_what_is_done_to_each_attribute(world, as_user):
    page = as_user(world.researcher).get("/documents/de-identification").text
    assert "edition 2026d" in page and "Patient&#39;s Birth Date" in page and "(0010,0030)" in page
    assert "Retain Longitudinal Temporal Information with Modified Dates" in page


def test_documents_import_attaches_a_folder_to_a_patient(app, world, tmp_path):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    (tmp_path / "study" / "series").mkdir(parents=True)
    (tmp_path / "study" / "series" / "ct.dcm").write_bytes(_file("CT_small.dcm"))
    (tmp_path / "study" / "report.pdf").write_bytes(PDF)
    (tmp_path / "study" / "notes.txt").write_text("hello")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["documents", "import", str(tmp_path / "study"), "--patient", patient.cpms_id, "--by", world.clinician.email]
    )
    assert result.exit_code == 0, result.output
    assert "2 files attached" in result.output and "skipped notes.txt: This file is not accepted" in result.output
    assert sorted(d.media_type for d in db.session.scalars(select(Document).where(Document.patient_id == patient.id))) == [
        "application/dicom",
        "application/pdf",
    ]
    refused = runner.invoke(
        args=["documents", "import", str(tmp_path / "study"), "--patient", patient.cpms_id, "--by", world.brno_clinician.email]
    )
    assert refused.exit_code != 0 and "No such patient" in refused.output


def test_an_ern_manager_chooses_to_retain_patient_characteristics_for_later_uploads(world, as_user, case):
    patient, panel_id = case
    manager = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    db.session.commit()
    assert as_user(world.clinician).get("/erns/EuroBloodNet/de-identification").status_code == 403
    _upload(as_user(world.clinician), f"/panels/{panel_id}/documents", _file("CT_small.dcm"), "before.dcm")
    page = as_user(manager).get("/erns/EuroBloodNet/de-identification").text
    assert "Retain Patient Characteristics" in page and "checked" not in page
    response = as_user(manager).post("/erns/EuroBloodNet/de-identification", data={"retain_patient_characteristics": "1"})
    assert response.status_code == 302
    assert (
        'id="retain-characteristics" aria-describedby="retain-characteristics-help" checked' in as_user(manager).get(response.location).text
    )
    _upload(as_user(world.clinician), f"/panels/{panel_id}/documents", _file("CT_small.dcm"), "after.dcm")
    before, after = (
        dcmread(BytesIO(as_user(world.clinician).get(f"/documents/{d.id}/download").data)) for d in _by_title("before.dcm", "after.dcm")
    )
    assert dcmread(get_testdata_file("CT_small.dcm")).PatientSex == "O"
    assert before.PatientSex == "" and after.PatientSex == "O"


def _by_title(*titles):
    documents = {d.title: d for d in db.session.scalars(select(Document))}
    return [documents[title] for title in titles]


def test_a_study_is_one_line_on_the_timeline_not_one_per_image(world, as_user, case):
    _patient, panel_id = case
    client = as_user(world.clinician)
    slices = [BytesIO(data) for _name, data in study_files()[:5]]
    for number, data in enumerate(slices):
        _upload(client, f"/panels/{panel_id}/documents", data.getvalue(), f"IM{number}.dcm")
    page = client.get(f"/panels/{panel_id}").text
    assert page.count("attached images: CT chest series 1") == 1 and "5 images" in page


def test_a_file_with_odd_values_is_refused_with_a_message_not_an_error(world, as_user, case):
    _patient, panel_id = case
    response = _upload(as_user(world.clinician), f"/panels/{panel_id}/documents", _file("badVR.dcm"), "odd.dcm")
    assert response.status_code == 422 and "cannot be read (damaged or incomplete); nothing was stored" in response.text
    assert db.session.scalar(select(Document)) is None


def test_an_ern_manager_may_choose_to_clean_descriptors_after_a_warning(world, as_user, case):
    _patient, panel_id = case
    manager = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    db.session.commit()
    ct = dcmread(get_testdata_file("CT_small.dcm"))
    ct.SeriesDescription, ct.ImageComments = "AX chest soft tissue", "patient born 13/07/1931, lives in Kesselhoven"
    data = BytesIO()
    ct.save_as(data, enforce_file_format=True)
    _upload(as_user(world.clinician), f"/panels/{panel_id}/documents", data.getvalue(), "basic.dcm")
    page = as_user(manager).get("/erns/EuroBloodNet/de-identification").text
    assert "Clean Descriptors" in page and "Warning: free text is written by people" in page
    assert as_user(manager).post("/erns/EuroBloodNet/de-identification", data={"clean_descriptors": "1"}).status_code == 302
    _upload(as_user(world.clinician), f"/panels/{panel_id}/documents", data.getvalue(), "cleaned.dcm")
    basic, cleaned = (
        dcmread(BytesIO(as_user(world.clinician).get(f"/documents/{d.id}/download").data)) for d in _by_title("basic.dcm", "cleaned.dcm")
    )
    assert "SeriesDescription" not in basic and "ImageComments" not in basic
    assert cleaned.SeriesDescription == "AX chest soft tissue" and not cleaned.get("ImageComments")
    assert [d.series_label for d in _by_title("basic.dcm", "cleaned.dcm")] == ["CT series 1", "CT AX chest soft tissue"]


def test_the_profile_page_lists_consiliums_additions_beyond_the_table(world, as_user):
    page = as_user(world.researcher).get("/documents/de-identification").text
    assert "Issuer of Accession Number Sequence" in page and "names the institution that issued an identifier" in page
    assert "Descriptions and comments are removed, as the basic profile says." in page
