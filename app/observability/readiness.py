"""Whether this process can serve: the database answers, its schema is at the migrations' head, files can be stored."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import text

from app.database import db
from app.documents.stores import storage_for
from app.logsafe import describe

OK = "ok"
FAILING = "failing"


def checks(app: Flask) -> dict[str, str]:
    """Each check's name → "ok" or "failing". Why one fails goes to the log, never into the answer."""
    return {
        "database": _run(app, "database", _database_answers),
        "migrations": _run(app, "migrations", _migrations_at_head),
        "storage": _run(app, "storage", _storage_writable),
    }


def _run(app: Flask, name: str, check: Callable[[Flask], bool]) -> str:
    try:
        passed = check(app)
    except Exception as error:  # noqa: BLE001 - a failing check is an answer, not an error page
        db.session.rollback()  # on PostgreSQL a failed statement spoils the transaction for the next check
        app.logger.warning("readiness check %s failed: %s", name, describe(error, message=False))
        return FAILING
    if not passed:
        app.logger.warning("readiness check %s failed", name)
    return OK if passed else FAILING


def _database_answers(_app: Flask) -> bool:
    return bool(db.session.execute(text("SELECT 1")).scalar() == 1)


def _migrations_at_head(app: Flask) -> bool:
    migrate = app.extensions["migrate"]
    heads = set(ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory)).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == heads


def _storage_writable(app: Flask) -> bool:
    if app.config["OBJECT_STORAGE_BUCKET"]:
        storage_for(app.config).exists("0" * 64)  # the bucket answers (Unreachable otherwise)
        return True
    folder = Path(app.config["STORAGE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".ready-"):
        return True
