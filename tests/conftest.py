"""Fixtures: one database per test session (SQLite, or PostgreSQL when CONSILIUM_TEST_DATABASE_URL is set),
built by the real migrations, and a savepoint per test that is rolled back afterwards."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask import session
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import make_server

from app import create_app
from app.accounts import sessions
from app.database import db
from app.demo.data import DEMO_PASSWORD
from tests import factories

POSTGRESQL_URL = os.environ.get("CONSILIUM_TEST_DATABASE_URL", "")


PRINTED = "printed at the end of the run"  # a test's record_property(PRINTED, text): shown after the results
_printed: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Reports reach this process from pytest-xdist's workers too, with what their tests recorded."""
    if report.when == "call":
        _printed.extend(str(value) for name, value in report.user_properties if name == PRINTED)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for printed in _printed:
        title, _, body = printed.partition("\n")
        terminalreporter.write_sep("-", title)
        terminalreporter.write_line(body)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, the tests that touch no database are left out: the SQLite pass ran them, and they would give
    the same result again (the engine, the layer and code checks, de-identification units)."""
    if not POSTGRESQL_URL:
        return
    left_out = [item for item in items if item.get_closest_marker("no_database")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        dropped = {id(item) for item in left_out}
        items[:] = [item for item in items if id(item) not in dropped]


def make_database_url(tmp_dir: Path, name: str) -> str:
    """A new, empty database: a SQLite file, or a fresh PostgreSQL database next to the test one."""
    if not POSTGRESQL_URL:
        return f"sqlite:///{tmp_dir / (name + '.sqlite')}"
    url = make_url(POSTGRESQL_URL)
    database = _new_database_name(name)
    _admin(f'CREATE DATABASE "{database}"')
    return url.set(database=database).render_as_string(hide_password=False)


def _new_database_name(name: str) -> str:
    return f"{make_url(POSTGRESQL_URL).database}_{name}_{uuid.uuid4().hex[:8]}"


def drop_database_url(url: str) -> None:
    if url.startswith("postgresql"):
        _admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _admin(statement: str) -> None:
    admin = create_engine(make_url(POSTGRESQL_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(statement))
    admin.dispose()


def app_config(database_url: str, storage: str) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SCHEDULER_ENABLED": False,
        "DEMO_MODE": True,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "consilium.test",
        "STORAGE_DIR": storage,
    }


def build_app(database_url: str) -> Flask:
    """An app on ``database_url`` with the schema migrated and the shipped definitions deployed."""
    from flask_migrate import upgrade

    from app.workflows.services import deploy_shipped_definitions

    app = create_app(app_config(database_url, tempfile.mkdtemp(prefix="consilium-storage-")))
    with app.app_context():
        upgrade()
        deploy_shipped_definitions(app.config["BPMN_DIR"], app.config["FORMS_DIR"])
        factories.deploy_test_definition(app, "reminder")
    return app


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if POSTGRESQL_URL and worker:
        # Each pytest-xdist worker (make test runs two) has a database of its own beside the one named.
        url = make_url(POSTGRESQL_URL).set(database=f"{make_url(POSTGRESQL_URL).database}_{worker}").render_as_string(hide_password=False)
        drop_database_url(url)
        _admin(f'CREATE DATABASE "{make_url(url).database}"')
    elif POSTGRESQL_URL:
        url = POSTGRESQL_URL
        _reset_postgresql(url)
    application = build_app(url)
    try:
        yield application
    finally:
        with application.app_context():
            db.engine.dispose()
        if POSTGRESQL_URL and worker:
            drop_database_url(url)


def _reset_postgresql(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def database(app: Flask) -> Iterator[None]:
    """Every test runs inside one outer transaction; services' commits are savepoints; all is rolled back."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        try:
            with _session_on(connection):
                yield
        finally:
            outer.rollback()
            connection.close()


@contextmanager
def _session_on(connection: Connection) -> Iterator[None]:
    original = db.session
    # A plain Session: Flask-SQLAlchemy's own would route queries to its engine, around this connection.
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    db.session = scoped_session(factory, scopefunc=_app_ctx_id)
    try:
        yield
    finally:
        db.session.remove()
        db.session = original


@pytest.fixture(scope="module")
def demo_connection(app: Flask) -> Iterator[Connection]:
    """The demo data of 21/Nov/2026 seeded once for a module, in a transaction rolled back when the module ends.
    A module uses it by defining ``database`` as ``database_on_demo`` (each test in a savepoint of its own)."""
    from app.demo.services import seed_demo

    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        with _session_on(connection):
            seed_demo(factories.forms(), date(2026, 11, 21))
    try:
        yield connection
    finally:
        with app.app_context():
            outer.rollback()
            connection.close()


def database_on_demo(app: Flask, demo_connection: Connection) -> Iterator[None]:
    """``database`` for a module on the demo data: what a test writes is rolled back to the seeded state."""
    with app.app_context():
        savepoint = demo_connection.begin_nested()
        try:
            with _session_on(demo_connection):
                yield
        finally:
            savepoint.rollback()


@pytest.fixture
def client(app: Flask, database: None) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def world(database: None) -> factories.World:
    """Two ERNs, centres, and users of each kind (see factories.make_world)."""
    return factories.make_world()


@pytest.fixture
def login(client: FlaskClient):
    """Sign the test client in as ``user`` the way a finished login does (a server-side sign-in, a fresh session),
    without the password form: each check of an argon2 hash costs 0.1 s, and the sign-in pages have tests of their
    own (tests/app/accounts/test_login.py and the browser journeys)."""

    def log_in(user) -> FlaskClient:
        assert user.is_active, f"{user.email} cannot sign in"
        with client.application.test_request_context(environ_base=client.environ_base):
            sessions.finish_login(user)
            signed_in = dict(session)
        with client.session_transaction() as cookie:
            cookie.clear()
            cookie.update(signed_in)
            cookie.permanent = True
        return client

    return log_in


class LiveServer:
    def __init__(self, app: Flask, url: str) -> None:
        self.app = app
        self.url = url

    def signed_in(self, email: str, password: str = DEMO_PASSWORD) -> requests.Session:
        """A real HTTP client signed in as a training account (the password alone, in demo mode)."""
        client = requests.Session()
        page = client.get(f"{self.url}/login", timeout=30)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert token, page.text
        form = {"email": email, "password": password, "csrf_token": token.group(1)}
        response = client.post(f"{self.url}/login", data=form, allow_redirects=False, timeout=30)
        assert response.status_code == 302, response.text
        return client


@dataclass(frozen=True)
class SeededDemo:
    """A migrated database seeded with the demo data, and the storage its documents are in: copied for each server."""

    database_url: str
    storage: Path
    day: date  # the day it was seeded as


@pytest.fixture(scope="session")
def seeded_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededDemo]:
    """Seeded once per session (migrating and seeding take seconds; copying them, a fraction of one)."""
    from app.demo.services import seed_demo
    from app.tasks.form_definitions import load_form_definitions

    database_url = make_database_url(tmp_path_factory.mktemp("demo-db"), "demo")
    day = date.today()
    try:
        app = build_app(database_url)
        with app.app_context():
            seed_demo(load_form_definitions(app.config["FORMS_DIR"]), day)
            db.engine.dispose()  # PostgreSQL copies a database only while no one is connected to it
        yield SeededDemo(database_url, Path(app.config["STORAGE_DIR"]), day)
    finally:
        drop_database_url(database_url)


def copy_database(url: str, tmp_dir: Path, name: str) -> str:
    """A new database holding what ``url`` holds: a copy of the SQLite file, or a PostgreSQL database made from it
    as a template."""
    if not url.startswith("postgresql"):
        target = tmp_dir / (name + ".sqlite")
        shutil.copyfile(make_url(url).database or "", target)
        return f"sqlite:///{target}"
    database = _new_database_name(name)
    _admin(f'CREATE DATABASE "{database}" TEMPLATE "{make_url(url).database}"')
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def copy_of_demo(seeded: SeededDemo, home: Path, name: str) -> tuple[Flask, str]:
    """An app on a copy of the seeded demo database and of its storage (in ``home``), and that database's URL."""
    shutil.copytree(seeded.storage, home / "storage")
    database_url = copy_database(seeded.database_url, home, name)  # last: the caller drops it
    return create_app(app_config(database_url, str(home / "storage"))), database_url


@pytest.fixture(scope="module")
def live_server(seeded_demo: SeededDemo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Consilium served on 127.0.0.1 (random port) from a fresh copy of the seeded demo database and its storage.

    A real server (werkzeug, in a thread): each request pushes and pops its own contexts and the response is sent
    after they end, as in production. The savepoint fixtures above are not used: their data is never committed.
    """
    from app.terminology.catalogue import start_building

    app, database_url = copy_of_demo(seeded_demo, tmp_path_factory.mktemp("live"), "live")
    try:
        # A real client goes through CSRF like a user, and the app answers on whatever host:port it binds to.
        app.config["WTF_CSRF_ENABLED"] = True
        app.config["SERVER_NAME"] = None
        start_building()  # as a real server does at start-up: the pickers' first search finds the index built

        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="consilium-live-server", daemon=True)
        thread.start()
        try:
            yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
            with app.app_context():
                db.engine.dispose()
    finally:
        drop_database_url(database_url)


from tests.smtp import inbox  # noqa: E402,F401 - a shared fixture: a real SMTP server on loopback
