"""`make serve`: gunicorn, as configured by gunicorn.conf.py, serves Consilium from a real process on a loopback port."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask_migrate import upgrade
from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app import create_app
from app.database import db
from tests.conftest import POSTGRESQL_URL
from tests.conftest import drop_database_url
from tests.conftest import make_database_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Where the SQLite run finds PostgreSQL (the machine's own, as in CI): the server is meant for it.
LOCAL_POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GUNICORN = "$(BIN)/gunicorn --config gunicorn.conf.py wsgi:app"
TOKEN = "scrape-secret"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    """A new PostgreSQL database: next to the test one, or on the local server; a SQLite file only if there is none."""
    if POSTGRESQL_URL:
        url = make_database_url(tmp_path, "serving")
        yield url
        drop_database_url(url)
        return
    admin = create_engine(LOCAL_POSTGRESQL, isolation_level="AUTOCOMMIT")
    name = f"consilium_serving_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        yield f"sqlite:///{tmp_path / 'serving.sqlite'}"
        return
    try:
        yield make_url(LOCAL_POSTGRESQL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate(database: str) -> None:
    """What `flask db upgrade` does before gunicorn starts, in this process (which has the app loaded already)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "s", "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):  # a request waits in the socket until a worker has loaded the app: a minute at most
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited with {server.returncode}")
        try:
            if requests.get(f"{url}/healthz", timeout=60).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError("gunicorn did not answer /healthz")


@pytest.mark.no_database
def test_make_serve_runs_gunicorn_with_its_config():
    recipe = (ROOT / "Makefile").read_text().split("\nserve:", 1)[1].split("\n\n", 1)[0]
    assert "db upgrade" in recipe and GUNICORN in recipe


def test_gunicorn_serves_pages_health_metrics_and_static_files(database: str, tmp_path: Path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CONSILIUM_DATABASE_URL": database,
        "SECRET_KEY": "serving-test-secret",
        "CONSILIUM_STORAGE_DIR": str(tmp_path / "storage"),
        "CONSILIUM_METRICS_TOKEN": TOKEN,
        "CONSILIUM_BIND": f"127.0.0.1:{port}",
        "CONSILIUM_WORKERS": "1",
    }
    migrate(database)
    command = GUNICORN.replace("$(BIN)", str(BIN)).split()
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "metrics")  # for gunicorn only: it makes and empties the folder
    with open(tmp_path / "out.log", "wb") as out, open(tmp_path / "err.log", "wb") as err:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        try:
            wait_until_up(url, server)
            ready = requests.get(f"{url}/readyz", timeout=30)
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "storage": "ok"}

            page = requests.get(f"{url}/login?next=/patients/%3Fq%3DZyxwvut", timeout=30)
            assert page.status_code == 200 and "<form" in page.text
            assert re.fullmatch(r"[0-9a-f]{32}", page.headers["X-Request-ID"])
            stylesheet = re.search(r'href="(/static/[^"]+\?v=[^"]+)"', page.text)
            assert stylesheet, page.text
            static = requests.get(url + stylesheet.group(1).replace("&amp;", "&"), timeout=30)
            assert static.status_code == 200
            assert "max-age=31536000" in static.headers["Cache-Control"] and "immutable" in static.headers["Cache-Control"]

            for _ in range(6):
                requests.get(f"{url}/readyz", timeout=30)
            assert requests.get(f"{url}/metrics", timeout=30).status_code == 401
            metrics = requests.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
            assert metrics.status_code == 200
            # The multiprocess files read and summed (several workers add theirs): seven /readyz.
            assert 'consilium_request_duration_seconds_count{endpoint="observability.readyz",method="GET",status="200"} 7.0' in metrics.text
            assert "consilium_outbox_queued 0.0" in metrics.text
        finally:
            server.send_signal(signal.SIGINT)  # gunicorn's quick stop; TERM waits for the workers' graceful end
            server.wait(timeout=60)
    access_log, app_log = (tmp_path / "out.log").read_text(), (tmp_path / "err.log").read_text()
    assert '"GET /login HTTP/1.1" 200' in access_log
    assert "Zyxwvut" not in access_log + app_log  # no query string reaches a log
    assert '"logger": "consilium.request"' in app_log and '"endpoint": "accounts.login"' in app_log
