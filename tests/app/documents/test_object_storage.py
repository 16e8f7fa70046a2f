"""Files on S3-compatible object storage, against a real SeaweedFS server on loopback: the same interface as the local
folder, and the whole app (uploads, downloads, previews, thumbnails, deletion) unaware of which one it uses."""

import hashlib
import io
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from pydicom.data import get_testdata_file
from sqlalchemy import select

from app.database import db
from app.documents.models import Document
from app.documents.object_storage import ObjectStorage
from app.documents.storage import LocalStorage
from app.documents.storage import Missing
from app.documents.storage import TooLarge
from app.documents.storage import Unreachable
from app.documents.stores import storage_for
from app.patients import rights
from tests import factories
from tests.factories import ORIGIN
from tests.s3 import bucket  # noqa: F401 - fixtures
from tests.s3 import free_ports
from tests.s3 import seaweedfs  # noqa: F401

PDF = factories.pdf(pages=2)


def _store(seaweedfs, bucket):  # noqa: F811
    return storage_for(seaweedfs.config(bucket))


@pytest.mark.no_database
def test_contents_are_stored_under_their_hash_read_back_whole_or_in_chunks_and_deleted(seaweedfs, bucket):  # noqa: F811
    store = _store(seaweedfs, bucket)
    assert isinstance(store, ObjectStorage)
    content = b"%PDF-1.4\n" + bytes(range(256)) * 5000  # over one chunk
    stored = store.put(BytesIO(content), len(content))
    assert stored.content_hash == hashlib.sha256(content).hexdigest() and stored.size == len(content)
    assert stored.head == content[:512]
    assert store.exists(stored.content_hash) and list(store.hashes()) == [stored.content_hash]
    with store.open(stored.content_hash) as opened:
        assert opened.read() == content and opened.fileno() >= 0  # a real file: PDF pages are rendered by a child process
    assert b"".join(store.chunks(stored.content_hash)) == content
    store.delete(stored.content_hash)
    store.delete(stored.content_hash)  # gone already: nothing happens
    assert not store.exists(stored.content_hash) and list(store.hashes()) == []
    with pytest.raises(Missing):
        store.open(stored.content_hash)
    with pytest.raises(Missing):
        store.chunks(stored.content_hash)  # before the first chunk: a download can still answer with a page


@pytest.mark.no_database
def test_a_content_over_the_limit_is_refused_and_nothing_is_kept(seaweedfs, bucket):  # noqa: F811
    store = _store(seaweedfs, bucket)
    with pytest.raises(TooLarge):
        store.put(BytesIO(b"x" * 1001), 1000)
    assert list(store.hashes()) == []
    assert list(seaweedfs.client().list_objects_v2(Bucket=bucket).get("Contents", [])) == []


@pytest.mark.no_database
def test_a_store_that_does_not_answer_or_refuses_the_credentials_is_unreachable(seaweedfs, bucket):  # noqa: F811
    (port,) = free_ports(1)
    down = storage_for(seaweedfs.config(bucket) | {"OBJECT_STORAGE_URL": f"http://127.0.0.1:{port}"})
    wrong = storage_for(seaweedfs.config(bucket) | {"OBJECT_STORAGE_SECRET_KEY": "wrong"})
    for store in (down, wrong):
        with pytest.raises(Unreachable):
            store.open("0" * 64)
        with pytest.raises(Unreachable):
            store.put(BytesIO(b"data"), 100)


@pytest.mark.no_database
def test_the_backend_is_chosen_by_the_configuration(seaweedfs, bucket, tmp_path):  # noqa: F811
    assert isinstance(storage_for({"STORAGE_DIR": str(tmp_path), "OBJECT_STORAGE_BUCKET": ""}), LocalStorage)
    assert storage_for(seaweedfs.config(bucket) | {"STORAGE_DIR": str(tmp_path)}) is _store(seaweedfs, bucket)  # one client
    with pytest.raises(ValueError, match="not a content hash"):
        _store(seaweedfs, bucket).open("../../etc/passwd")


@pytest.fixture
def on_s3(app, seaweedfs, bucket, monkeypatch):  # noqa: F811
    """The app's files on the S3 server for one test."""
    for key, value in seaweedfs.config(bucket).items():
        monkeypatch.setitem(app.config, key, value)
    return _store(seaweedfs, bucket)


def test_uploads_downloads_previews_and_thumbnails_go_through_the_object_store(world, as_user, case, on_s3, app):
    _patient, panel_id = case
    client = as_user(world.brno_clinician)
    ct = Path(get_testdata_file("CT_small.dcm")).read_bytes()
    folder = Path(app.config["STORAGE_DIR"])
    in_folder_before = set(folder.rglob("*"))  # earlier tests may have stored the same contents there
    for data, name in ((PDF, "report.pdf"), (factories.png(), "photo.png"), (ct, "ct.dcm")):
        response = client.post(f"/panels/{panel_id}/documents", data={"file": (BytesIO(data), name)}, content_type="multipart/form-data")
        assert response.status_code == 302
    documents = {d.media_type: d for d in db.session.scalars(select(Document))}
    assert sorted(on_s3.hashes()) == sorted(d.content_hash for d in documents.values())
    assert set(folder.rglob("*")) == in_folder_before  # nothing went into the folder

    pdf, png, dicom = documents["application/pdf"], documents["image/png"], documents["application/dicom"]
    download = client.get(f"/documents/{pdf.id}/download")
    assert download.status_code == 200 and hashlib.sha256(download.data).hexdigest() == pdf.content_hash
    assert "/pages/1.png" in client.get(f"/documents/{pdf.id}/preview").text
    assert Image.open(io.BytesIO(client.get(f"/documents/{pdf.id}/pages/1.png").data)).format == "PNG"
    assert client.get(f"/documents/{png.id}/preview").data == b"".join(on_s3.chunks(png.content_hash))
    assert Image.open(io.BytesIO(client.get(f"/documents/{dicom.id}/thumbnail.png").data)).size == (128, 128)
    assert Image.open(io.BytesIO(client.get(f"/documents/{dicom.id}/frames/0.png").data)).size == (128, 128)
    assert client.get(f"/documents/{dicom.id}/viewer").status_code == 200
    assert client.get(f"/documents/{dicom.id}/header").json["rows"]

    on_s3.delete(png.content_hash)
    gone = client.get(f"/documents/{png.id}/download")
    assert gone.status_code == 404 and "This file is missing from storage; tell your administrator." in gone.text


def test_erasing_a_patients_record_deletes_its_files_from_the_object_store(world, as_user, case, on_s3):
    patient, _panel_id = case
    client = as_user(world.clinician)
    response = client.post(
        f"/patients/{patient.id}/documents", data={"file": (BytesIO(PDF), "letter.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    (content_hash,) = on_s3.hashes()
    rights.erase_identifying_data(world.clinician, patient.id, patient.cpms_id, "Written request.", on_s3, ORIGIN)
    assert not on_s3.exists(content_hash) and list(on_s3.hashes()) == []
