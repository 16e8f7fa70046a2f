"""A document whose file is gone from storage (deleted, or a database restored without its storage folder), or whose
storage does not answer: every way of reading it answers a page that says so, with one log line, never a 500 or a
dropped connection."""

from io import BytesIO
from pathlib import Path

import pytest
from pydicom.data import get_testdata_file
from sqlalchemy import select

from app.database import db
from app.documents.models import Document
from app.documents.storage import LocalStorage
from tests import factories
from tests.s3 import free_ports

MISSING = "This file is missing from storage; tell your administrator."
UNREADABLE = "This file cannot be read from storage just now"


@pytest.fixture
def documents(world, as_user, case):
    """A PDF, a PNG and a CT image on the panel, as Brno's member sees them."""
    _patient, panel_id = case
    client = as_user(world.brno_clinician)
    ct = Path(get_testdata_file("CT_small.dcm")).read_bytes()
    for data, name in ((factories.pdf(), "report.pdf"), (factories.png(), "photo.png"), (ct, "ct.dcm")):
        response = client.post(f"/panels/{panel_id}/documents", data={"file": (BytesIO(data), name)}, content_type="multipart/form-data")
        assert response.status_code == 302
    rows = {d.media_type.split("/")[1]: d for d in db.session.scalars(select(Document))}
    return client, rows


def _readers(rows):
    pdf, png, dicom = rows["pdf"].id, rows["png"].id, rows["dicom"].id
    return [
        f"/documents/{pdf}/download",
        f"/documents/{pdf}/preview",
        f"/documents/{pdf}/pages/0.png",
        f"/documents/{png}/preview",
        f"/documents/{png}/download",
        f"/documents/{dicom}/download",
        f"/documents/{dicom}/thumbnail.png",
        f"/documents/{dicom}/frames/0.png",
        f"/documents/{dicom}/header",
        f"/documents/{dicom}/viewer",
    ]


def test_every_reader_of_a_file_missing_from_storage_answers_a_clear_page_and_logs_one_line(app, documents, caplog):
    client, rows = documents
    store = LocalStorage(app.config["STORAGE_DIR"])
    for document in rows.values():
        store.delete(document.content_hash)
    for url in _readers(rows):
        caplog.clear()
        response = client.get(url)
        assert response.status_code == 404, url
        assert MISSING in response.text and response.mimetype == "text/html", url
        lines = [record.getMessage() for record in caplog.records]
        assert lines == [f"document {url.split('/')[2]}: its file is missing from storage"], url
    script = client.get(f"/documents/{rows['dicom'].id}/frames/0.png", headers={"Accept": "application/json"})
    assert script.status_code == 404 and script.json == {"error": MISSING}  # the viewer's script shows it


def test_every_reader_answers_503_while_the_object_store_does_not_answer(app, documents, caplog, monkeypatch):
    client, rows = documents
    (port,) = free_ports(1)  # nothing listens there
    monkeypatch.setitem(app.config, "OBJECT_STORAGE_BUCKET", "consilium")
    monkeypatch.setitem(app.config, "OBJECT_STORAGE_URL", f"http://127.0.0.1:{port}")
    for url in _readers(rows):
        caplog.clear()
        response = client.get(url)
        assert response.status_code == 503 and UNREADABLE in response.text, url
        assert len(caplog.records) == 1 and "the file storage does not answer" in caplog.records[0].getMessage(), url
    panel_id = rows["pdf"].panel_id
    upload = client.post(
        f"/panels/{panel_id}/documents", data={"file": (BytesIO(factories.png(9)), "x.png")}, content_type="multipart/form-data"
    )
    assert upload.status_code == 503 and "nothing was stored" in upload.text
