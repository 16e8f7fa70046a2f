"""The database: declarative base, the session, and the one way services commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC
from datetime import datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime
from sqlalchemy import MetaData
from sqlalchemy import event
from sqlalchemy import types
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Ids are INTEGER columns, 32-bit on PostgreSQL: a larger number is no row's id, and binding it is an error there
# (SQLite overflows beyond 64 bits). Ids a client sends are checked against this before any query.
MAX_ID = 2**31 - 1


def as_id(text: str) -> int | None:
    """``text`` as a row id, or None when it is not one: ASCII digits, from 1 to MAX_ID."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID))):
        return None
    return number if 0 < (number := int(text)) <= MAX_ID else None


_IN_TRANSACTION = "consilium_in_transaction"
_WRITING: ContextVar[bool] = ContextVar("consilium_writing", default=False)


class UtcDateTime(types.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class NestedTransaction(RuntimeError):
    """A service opened a transaction inside another: one user action is one transaction."""


@contextmanager
def transaction() -> Iterator[None]:
    """Commit on success, roll back on any error. Only services use this; nesting is a bug."""
    session = db.session()
    if session.info.get(_IN_TRANSACTION):
        raise NestedTransaction("transaction() called inside another transaction()")
    if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        # End the page's read transaction: on SQLite a write must start as one (BEGIN IMMEDIATE);
        # a read transaction that turns into a write fails outright if another writer came first.
        session.commit()
    session.info[_IN_TRANSACTION] = True
    token = _WRITING.set(True)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _WRITING.reset(token)
        session.info[_IN_TRANSACTION] = False


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection: object, connection_record: object) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and defers locks until the first write,
    # which turns concurrent writers into "database is locked" errors. We begin transactions
    # ourselves (see _sqlite_begin) and wait for the lock instead.
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: the database stays consistent
    # after a crash (a power cut may lose the last commits). Production runs on PostgreSQL.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: object) -> None:
    if connection.dialect.name == "sqlite":  # type: ignore[attr-defined]
        # Services' transactions take the write lock at the start (IMMEDIATE), so two writers queue
        # instead of failing; reads (rendering a page) begin deferred and never block anyone.
        # Sent straight to the driver: this runs once per transaction, on the hot path.
        statement = "BEGIN IMMEDIATE" if _WRITING.get() else "BEGIN"
        connection.connection.dbapi_connection.execute(statement)  # type: ignore[attr-defined]
