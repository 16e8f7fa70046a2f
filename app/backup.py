"""Backups: the database and every stored file in one folder, with a manifest to check them against; restore into an
empty database and storage.

A backup folder holds ``manifest.json`` (written last: a folder without one is an unfinished backup), the database
(``database.dump``, PostgreSQL's custom format, or ``database.sqlite``) and ``files/ab/cd/<sha256>``. The database is
copied first, then the files: a file is stored before its row is committed, so every row of the copy finds its file
(unless it was deleted meanwhile; the summary counts those). No Flask here: the CLI passes the engine and storage.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from typing import BinaryIO
from typing import Protocol

from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.engine import Engine

from app.documents.models import Document

MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
FORMAT = 1
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite"}


class BackupError(Exception):
    """The backup cannot be made, read or restored; the message says why."""


class Files(Protocol):
    """What a backup needs of the file storage (either backend of app.documents.storage)."""

    def hashes(self) -> Iterator[str]: ...
    def chunks(self, content_hash: str) -> Iterator[bytes]: ...
    def put(self, stream: BinaryIO, limit: int) -> Any: ...


@dataclass
class Summary:
    files: int = 0
    bytes: int = 0
    unfiled: int = 0  # documents whose file was not in storage when the backup was made


@dataclass
class Entry:
    path: str
    sha256: str
    size: int


def _kind(engine: Engine) -> str:
    kind = engine.url.get_backend_name()
    if kind not in DATABASE_FILES:
        raise BackupError(f"Backups know PostgreSQL and SQLite databases, not {kind}.")
    return kind


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The database address for pg_dump and pg_restore, the password passed in the environment (never the command line)."""
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), environment


def _run(program: str, *arguments: str, environment: dict[str, str]) -> None:
    path = shutil.which(program)
    if path is None:
        raise BackupError(f"{program} is not installed: install the PostgreSQL client of the server's version.")
    done = subprocess.run([path, *arguments], env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        raise BackupError(f"{program} failed: {done.stderr.strip()[-2000:]}")


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database or ""
    if database in ("", ":memory:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """sqlite3's backup API: a consistent copy even while the app writes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as reading, closing(sqlite3.connect(target)) as writing:
        reading.backup(writing)


def _entry(path: Path, folder: Path) -> Entry:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return Entry(path.relative_to(folder).as_posix(), digest.hexdigest(), size)


def _file_path(content_hash: str) -> str:
    return f"files/{content_hash[:2]}/{content_hash[2:4]}/{content_hash}"


def _revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar() or "")


def create_backup(engine: Engine, storage: Files, folder: Path) -> Summary:
    """Copy the database, then every stored file, into an empty folder, and write the manifest last."""
    kind = _kind(engine)
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: back up into a new folder.")
    folder.mkdir(parents=True, exist_ok=True)
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    revision = _revision(engine)
    database = folder / DATABASE_FILES[kind]
    if kind == "postgresql":
        address, environment = _libpq(engine.url)
        _run("pg_dump", "--format=custom", f"--file={database}", address, environment=environment)
    else:
        _sqlite_copy(_sqlite_path(engine), database)
    summary, files, stored = Summary(), [], set()
    for content_hash in storage.hashes():
        target = folder / _file_path(content_hash)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            for chunk in storage.chunks(content_hash):
                out.write(chunk)
        files.append(_entry(target, folder))
        stored.add(content_hash)
        summary.files, summary.bytes = summary.files + 1, summary.bytes + files[-1].size
    with engine.connect() as connection:
        used = set(connection.scalars(select(Document.content_hash).distinct()))
    summary.unfiled = len(used - stored)
    manifest = {
        "format": FORMAT,
        "created_at": created_at,
        "app_version": version("consilium"),
        "alembic_revision": revision,
        "database_kind": kind,
        "database": asdict(_entry(database, folder)),
        "files": [asdict(entry) for entry in files],
    }
    (folder / (MANIFEST + ".part")).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    (folder / (MANIFEST + ".part")).replace(folder / MANIFEST)
    return summary


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} has no {MANIFEST}: not a backup, or an unfinished one.") from None
    except (OSError, ValueError) as error:
        raise BackupError(f"{folder / MANIFEST} cannot be read: {error}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder / MANIFEST} is of an unknown format.")
    return dict(manifest)


def verify_backup(folder: Path) -> list[str]:
    """Every file the manifest lists, checked for its size and SHA-256 (stored files are named by it): the problems."""
    manifest = read_manifest(folder)
    problems = []
    for listed in [manifest["database"], *manifest["files"]]:
        path = folder / listed["path"]
        if not path.is_file():
            problems.append(f"{listed['path']}: missing")
            continue
        found = _entry(path, folder)
        if found.size != listed["size"] or found.sha256 != listed["sha256"]:
            problems.append(f"{listed['path']}: damaged (its size or SHA-256 differs from the manifest's)")
        elif listed["path"].startswith("files/") and path.name != found.sha256:
            problems.append(f"{listed['path']}: its content does not match its name")
    return problems


def restore_backup(engine: Engine, storage: Files, folder: Path, force: bool = False) -> Summary:
    """Restore a verified backup into this database and storage, which must be empty unless ``force``."""
    kind = _kind(engine)
    manifest = read_manifest(folder)
    if manifest["database_kind"] != kind:
        raise BackupError(f"This backup holds a {manifest['database_kind']} database; the configured database is {kind}.")
    if problems := verify_backup(folder):
        raise BackupError("The backup does not verify:\n" + "\n".join(problems))
    has_tables = bool(inspect(engine).get_table_names())
    has_files = next(iter(storage.hashes()), None) is not None
    if (has_tables or has_files) and not force:
        where = " and ".join(w for w, full in (("the database", has_tables), ("the storage", has_files)) if full)
        raise BackupError(f"Not restored: there is data in {where}. Restore into an empty database and storage, or use --force.")
    database = folder / manifest["database"]["path"]
    if kind == "postgresql":
        address, environment = _libpq(engine.url)
        clean = ["--clean", "--if-exists"] if has_tables else []
        options = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", *clean]
        _run("pg_restore", *options, f"--dbname={address}", str(database), environment=environment)
    else:
        engine.dispose()  # no pooled connection may hold the file being replaced
        _sqlite_copy(database, _sqlite_path(engine))
    summary = Summary()
    for listed in manifest["files"]:
        with (folder / listed["path"]).open("rb") as stream:
            stored = storage.put(stream, listed["size"])
        if stored.content_hash != Path(listed["path"]).name:
            raise BackupError(f"{listed['path']} changed while it was restored.")
        summary.files, summary.bytes = summary.files + 1, summary.bytes + stored.size
    return summary
