"""Files attached to panels: the content is sniffed, stored under its hash, and read only by those who see the panel."""

import hashlib
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from sqlalchemy import select

from app.database import db
from app.documents.models import Document
from app.panels import services as panel_services
from app.panels.models import Panel
from tests import factories
from tests.factories import ORIGIN
from tests.factories import task_of

PDF = factories.pdf(padding=2000)
PNG = factories.png()


@pytest.fixture
def panel_id(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.give_areas(world.brno_clinician, world.ern)
    return factories.open_panel(world.clinician, patient)


def upload(client, panel_id, content, name="report.pdf", **form):
    return client.post(f"/panels/{panel_id}/documents", data={"file": (BytesIO(content), name), **form}, content_type="multipart/form-data")


def test_a_member_attaches_a_pdf_stored_under_its_hash_and_only_panel_viewers_download_it(app, world, login, panel_id):
    client = login(world.clinician)
    assert upload(client, panel_id, PDF, "Addel scan.pdf", title="Echo report").status_code == 302
    document = db.session.scalar(select(Document))
    assert (document.title, document.media_type, document.size) == ("Echo report", "application/pdf", len(PDF))
    digest = hashlib.sha256(PDF).hexdigest()
    assert document.content_hash == digest
    stored = Path(app.config["STORAGE_DIR"]) / digest[:2] / digest[2:4] / digest
    assert stored.read_bytes() == PDF  # the original file name is never on disk
    page = client.get(f"/panels/{panel_id}?tab=contributions").text
    assert "Echo report" in page and "attached a document" in page
    download = client.get(f"/documents/{document.id}/download")
    assert download.data == PDF and download.mimetype == "application/pdf" and "attachment" in download.headers["Content-Disposition"]
    client.post("/logout")
    assert login(world.brno_clinician).get(f"/documents/{document.id}/download").status_code == 404


@pytest.mark.parametrize(
    "content",
    [b"MZ\x90\x00" + b"\x00" * 100, b"#!/bin/sh\nrm -rf /\n", b"<script>alert(1)</script>", b"\x7fELF" + b"\x00" * 50, b""],
    ids=["windows executable", "shell script", "html", "elf", "empty"],
)
def test_executables_scripts_and_unknown_files_are_refused_with_a_message_and_nothing_is_kept(world, login, panel_id, content):
    response = upload(login(world.clinician), panel_id, content, "innocent.pdf")
    assert response.status_code == 422 and "This file is not accepted" in response.text
    assert db.session.scalar(select(Document)) is None


def test_the_type_comes_from_the_content_not_the_name(world, login, panel_id):
    upload(login(world.clinician), panel_id, PNG, "photo.pdf")
    assert db.session.scalar(select(Document)).media_type == "image/png"


def test_files_over_the_limit_get_a_clear_message(app, world, login, panel_id, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_FILE_BYTES", 1000)
    response = upload(login(world.clinician), panel_id, PDF)
    assert response.status_code == 422 and "larger than" in response.text
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 500)
    assert upload(login(world.clinician), panel_id, PDF).status_code == 413
    assert db.session.scalar(select(Document)) is None


def test_a_case_summary_can_stand_in_for_the_sections_from_the_consultation_form(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient, submit=False)
    task_id = task_of(world.clinician, "fill_consultation")
    client = login(world.clinician)
    assert "Instead of filling every section" in client.get(f"/tasks/{task_id}").text
    response = upload(client, panel_id, PDF, kind="summary", return_to=f"/tasks/{task_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{task_id}")
    assert db.session.scalar(select(Document)).kind == "summary"


def test_a_closed_panel_takes_no_more_files(world, login, panel_id):
    panel_services.close_now(world.clinician, panel_id, "withdrawn", "", ORIGIN)
    response = upload(login(world.clinician), panel_id, PDF)
    assert response.status_code == 409 and "closed" in response.text


def test_a_dicom_file_is_stored_only_de_identified_and_listed_by_series(app, world, login, panel_id):
    original = Path(get_testdata_file("CT_small.dcm")).read_bytes()
    client = login(world.clinician)
    assert upload(client, panel_id, original, "CT_small.dcm").status_code == 302
    document = db.session.scalar(select(Document))
    assert document.media_type == "application/dicom" and document.series_uid and document.series_label.startswith("CT")
    stored = Path(app.config["STORAGE_DIR"]) / document.content_hash[:2] / document.content_hash[2:4] / document.content_hash
    data = stored.read_bytes()
    assert b"CompressedSamples" not in data and hashlib.sha256(original).hexdigest() != document.content_hash
    downloaded = dcmread(BytesIO(client.get(f"/documents/{document.id}/download").data))
    patient = db.session.get(Panel, panel_id).patient
    assert str(downloaded.PatientName) == patient.cpms_id and downloaded.PatientIdentityRemoved == "YES"
    assert "1 image" in client.get(f"/panels/{panel_id}?tab=contributions").text


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00" + b"\x00" * 200, "scan.dcm", "This file is not accepted"),
        (b"\x00" * 128 + b"DICM" + b"\x02\x00\x00\x00garbage", "broken.dcm", "cannot be read"),
        (None, "MR_truncated.dcm", "incomplete"),
    ],
    ids=["executable renamed .dcm", "damaged", "truncated"],
)
def test_bad_dicom_gets_a_clear_message_and_nothing_is_stored(world, login, panel_id, content, name, message):
    data = content if content is not None else Path(get_testdata_file(name)).read_bytes()
    response = upload(login(world.clinician), panel_id, data, name)
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(select(Document)) is None


def _zip(members):
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zipped_study_is_attached_file_by_file_and_refused_files_are_listed(world, login, panel_id):
    study = _zip(
        {
            "study/series1/CT_small.dcm": Path(get_testdata_file("CT_small.dcm")).read_bytes(),
            "study/series2/MR_small.dcm": Path(get_testdata_file("MR_small.dcm")).read_bytes(),
            "study/DICOMDIR": b"\x00" * 200,
            "study/readme.exe": b"MZ\x90\x00" + b"\x00" * 100,
        }
    )
    client = login(world.clinician)
    response = client.post(
        f"/panels/{panel_id}/documents", data={"file": (BytesIO(study), "study.zip")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    page = client.get(f"/panels/{panel_id}").text
    assert "2 files attached." in page and "Not attached: readme.exe" in page and "Not attached: DICOMDIR" in page
    documents = db.session.scalars(select(Document)).all()
    assert sorted(d.media_type for d in documents) == ["application/dicom", "application/dicom"]
    assert len({d.series_uid for d in documents}) == 2


def test_a_damaged_zip_file_is_refused_with_a_message(world, login, panel_id):
    response = upload(login(world.clinician), panel_id, b"PK\x03\x04" + b"\x00" * 100, "study.zip")
    assert response.status_code == 422 and "zip file cannot be read" in response.text
