"""Backups through the CLI: a database with documents and open tasks (files on the S3 server) is backed up, restored
into a fresh database and a local folder, and found whole; verify finds a damaged file; a full target is refused.
On SQLite in the SQLite pass, on PostgreSQL (pg_dump, pg_restore) in the PostgreSQL pass."""

import hashlib
import json
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from pydicom.data import get_testdata_file
from sqlalchemy import select

from app import create_app
from app.database import db
from app.documents import services as document_services
from app.documents.models import Document
from app.documents.stores import storage_for
from app.panels import services as panel_services
from app.tasks.models import OpenTask
from tests import factories
from tests.conftest import build_app
from tests.conftest import drop_database_url
from tests.conftest import make_database_url
from tests.factories import ORIGIN
from tests.s3 import bucket  # noqa: F401 - fixtures
from tests.s3 import seaweedfs  # noqa: F401


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two new databases: the source (migrated when its app is built) and an empty target."""
    urls = make_database_url(tmp_path, "backup_source"), make_database_url(tmp_path, "backup_target")
    yield urls
    for url in urls:
        drop_database_url(url)


def _fill(app: Flask) -> None:
    """A patient with a letter in their record, and a panel with images and a PDF, an expert invited (open tasks)."""
    storage = storage_for(app.config)
    with app.app_context():
        world = factories.make_world()
        patient = factories.enrol(world.clinician, world.leuven, world.ern)
        factories.give_areas(world.brno_clinician, world.ern)
        panel_id = factories.open_panel(world.clinician, patient)
        panel_services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id], ORIGIN)
        files = [
            (document_services.Where(patient_id=patient.id), factories.pdf(), "letter.pdf"),
            (document_services.Where(panel_id=panel_id), factories.pdf(pages=2), "report.pdf"),
            (document_services.Where(panel_id=panel_id), Path(get_testdata_file("CT_small.dcm")).read_bytes(), "ct.dcm"),
            (document_services.Where(panel_id=panel_id), factories.png(), "photo.png"),
        ]
        for where, data, name in files:
            document_services.attach(world.clinician, where, BytesIO(data), name, "document", storage, 50 * 1024 * 1024, ORIGIN)
        db.session.remove()


def _state(app: Flask) -> tuple[dict[int, str], list[tuple]]:
    """Every document's hash as read back from storage, and the open-task queue."""
    storage = storage_for(app.config)
    with app.app_context():
        read = {}
        for document in db.session.scalars(select(Document).order_by(Document.id)):
            with storage.open(document.content_hash) as stream:
                read[document.id] = hashlib.sha256(stream.read()).hexdigest()
            assert read[document.id] == document.content_hash
        queue = [tuple(row) for row in db.session.execute(select(OpenTask.__table__).order_by(OpenTask.id))]
        db.session.remove()
    return read, queue


def test_a_backup_restores_into_a_fresh_database_and_storage_with_every_document_and_open_task(
    databases,
    tmp_path,
    seaweedfs,  # noqa: F811
    bucket,  # noqa: F811
):
    source_url, target_url = databases
    source = build_app(source_url)
    source.config.update(seaweedfs.config(bucket))
    _fill(source)
    before = _state(source)
    assert len(before[0]) == 4 and before[1], "documents and open tasks to back up"

    folder = tmp_path / "backup"
    created = source.test_cli_runner().invoke(args=["backup", "create", str(folder)])
    assert created.exit_code == 0, created.output
    assert "backed up the database and 4 file(s)" in created.output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["database_kind"] == source_url.split(":")[0].split("+")[0]
    assert manifest["alembic_revision"] and manifest["app_version"] and manifest["created_at"]
    assert sorted(Path(f["path"]).name for f in manifest["files"]) == sorted(set(before[0].values()))
    verified = source.test_cli_runner().invoke(args=["backup", "verify", str(folder)])
    assert verified.exit_code == 0 and "every file matches the manifest" in verified.output

    target = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": target_url, "STORAGE_DIR": str(tmp_path / "restored")}
    )
    restored = target.test_cli_runner().invoke(args=["backup", "restore", str(folder)])
    assert restored.exit_code == 0, restored.output
    assert _state(target) == before
    again = target.test_cli_runner().invoke(args=["backup", "restore", str(folder)])
    assert again.exit_code == 1 and "there is data in the database and the storage" in again.output
    forced = target.test_cli_runner().invoke(args=["backup", "restore", "--force", str(folder)])
    assert forced.exit_code == 0, forced.output
    assert _state(target) == before

    damaged = folder / manifest["files"][0]["path"]
    damaged.write_bytes(b"?" + damaged.read_bytes()[1:])
    checked = source.test_cli_runner().invoke(args=["backup", "verify", str(folder)])
    assert checked.exit_code == 1 and f"{manifest['files'][0]['path']}: damaged" in checked.output
    refused = target.test_cli_runner().invoke(args=["backup", "restore", "--force", str(folder)])
    assert refused.exit_code == 1 and "does not verify" in refused.output
    for app in (source, target):
        with app.app_context():
            db.engine.dispose()
