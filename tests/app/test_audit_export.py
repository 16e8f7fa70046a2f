"""The audit log's CSV export, downloaded from gunicorn in a process of its own: the body is sent after the request's
contexts and session have ended, which the test client never does."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
from collections.abc import Iterator

import pytest
import requests
from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.database import db
from tests import factories
from tests.app.test_serving import BIN
from tests.app.test_serving import GUNICORN
from tests.app.test_serving import ROOT
from tests.app.test_serving import free_port
from tests.app.test_serving import wait_until_up
from tests.conftest import drop_database_url
from tests.conftest import make_database_url

ADMIN = "admin@export.example"
ENTRIES = 2000
HEADER = ["at (UTC)", "actor", "action", "target type", "target id", "address", "details"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(the server's address, its database): gunicorn with one worker on a migrated database holding an
    administrator and 2,000 audit entries, demo mode on so that the administrator signs in with a password. One server
    for the module (it takes seconds to start); each test's export adds its own audit entries."""
    tmp_path = tmp_path_factory.mktemp("audit-export")
    database = make_database_url(tmp_path, "export")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "s", "TESTING": True})
    with app.app_context():
        upgrade()
        admin = factories.make_user(ADMIN, [], "Ada", "Admin")
        admin.is_admin = True
        db.session.add_all(
            AuditEntry(actor_id=admin.id, action="export.probe", target_type="probe", target_id=str(n), details={"n": n})
            for n in range(ENTRIES)
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "CONSILIUM_DATABASE_URL": database,
        "SECRET_KEY": "export-test-secret",
        "CONSILIUM_DEMO_MODE": "true",
        "CONSILIUM_STORAGE_DIR": str(tmp_path / "storage"),
        "CONSILIUM_BIND": f"127.0.0.1:{port}",
        "CONSILIUM_WORKERS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    with open(tmp_path / "out.log", "wb") as out, open(tmp_path / "err.log", "wb") as err:
        server = subprocess.Popen(GUNICORN.replace("$(BIN)", str(BIN)).split(), cwd=ROOT, env=env, stdout=out, stderr=err)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(url, server)
            yield url, database
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
            drop_database_url(database)


def signed_in(url: str, email: str) -> requests.Session:
    client = requests.Session()
    page = client.get(f"{url}/login", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert token, page.text
    form = {"email": email, "password": factories.PASSWORD, "csrf_token": token.group(1)}
    assert client.post(f"{url}/login", data=form, allow_redirects=False, timeout=30).status_code == 302
    return client


def test_an_administrator_downloads_the_whole_audit_export_from_gunicorn(served):
    url, database = served
    response = signed_in(url, ADMIN).get(f"{url}/audit/export.csv", timeout=120)

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="consilium-audit.csv"'
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == HEADER
    probes = [row for row in rows[1:] if row[2] == "export.probe"]
    assert [int(row[4]) for row in probes] == list(range(ENTRIES))
    assert rows[-1][1:3] == [ADMIN, "audit.exported"]  # recorded in the request, before the rows are read

    # Every entry of the database, in order, with the same values: the sign-in's, the probes, the export's own.
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "s", "TESTING": True})
    with app.app_context():
        entries = db.session.execute(
            select(AuditEntry, User.email).outerjoin(User, AuditEntry.actor_id == User.id).order_by(AuditEntry.at, AuditEntry.id)
        ).all()
        expected = [
            [e.at.isoformat(), email or "", e.action, e.target_type, e.target_id, e.remote_addr, str(e.details)] for e, email in entries
        ]
        db.session.remove()  # the session's connection back to the pool first: dispose() closes only idle ones
        db.engine.dispose()
    assert len(expected) > ENTRIES
    assert rows[1:] == expected


def test_a_filtered_export_from_gunicorn_holds_only_that_action(served):
    url, _database = served
    response = signed_in(url, ADMIN).get(f"{url}/audit/export.csv", params={"action": "export.probe"}, timeout=120)
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == HEADER
    assert len(rows) == ENTRIES + 1 and {row[2] for row in rows[1:]} == {"export.probe"}
