"""Fuzzing the REST API with schemathesis against its own OpenAPI document, on a real server process.

A copy of the session's migrated database seeded with the demo data (tests/conftest.py ``seeded_demo``) and of its
storage is served by `flask run` in a process of its own, a write token is put straight into the database for a demo
clinician who leads panels and has open tasks, and schemathesis' CLI runs its phases (coverage, fuzzing, stateful)
over every operation, offered the clinician's real panels, tasks and patients besides made-up ids. Its report is printed
at the end of the run (from whichever pytest-xdist worker ran it), so that CI shows it; the test passes only when
schemathesis exits 0: no server error, and no response that departs from the document (status code, content type,
headers, body schema), nor any of the other checks listed in CHECKS. The document itself must be valid OpenAPI 3.1.

It runs in the SQLite pass only (no_database): the server has a database of its own whichever pass runs, and the
PostgreSQL pass would fuzz the same code again at the price of a minute or two.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import schemathesis
from flask import Flask
from sqlalchemy import select

from app.accounts.models import User
from app.api import tokens
from app.api.models import WRITE
from app.api.models import ApiToken
from app.database import db
from app.database import utcnow
from tests.conftest import PRINTED
from tests.conftest import SeededDemo
from tests.conftest import copy_of_demo
from tests.conftest import drop_database_url

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# A demo clinician who leads panels (in creation and in expert selection), is a member of others, and has open tasks.
CLINICIAN = "hp1@demo.consilium.eu"
# Examples per operation and phase: enough to reach the error paths, little enough for ~a minute on two slow cores.
MAX_EXAMPLES = 30
SEED = 20261207
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",  # invalid input is refused with a 4xx
    "missing_required_header",  # a write without If-Match is refused (428, configured below)
    "unsupported_method",  # a method an address does not take: 405 with an Allow header
    "ignored_auth",  # an operation that declares the token refuses a request without one, or with a wrong one
    "use_after_free",
    "ensure_resource_availability",
    # Left out, positive_data_acceptance: it expects every schema-valid request to succeed, but a cursor is opaque and
    # signed (a made-up one is refused with 400), an If-Match that is not the ETag read answers 412 by design, and an
    # upload's content is checked (a GIF is refused with 422): none of that can be said in JSON Schema.
)
MISSING_HEADER_STATUSES = [400, 401, 403, 406, 415, 422, 428]


@dataclass(frozen=True)
class Server:
    base_url: str
    token: str
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped (exit {process.returncode}):\n{log.read_text(errors='replace')}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    pytest.fail(f"the server did not answer {url} within {seconds:.0f} s:\n{log.read_text(errors='replace')}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """The server and anything it started (its own process group) end, politely first."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def _write_token(app: Flask) -> str:
    """A write token for the clinician, put into the server's database; its secret."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == CLINICIAN))
        secret = tokens.PREFIX + secrets.token_urlsafe(32)
        prefix = secret[: len(tokens.PREFIX) + 4]
        expires = utcnow() + timedelta(days=1)
        db.session.add(
            ApiToken(
                user_id=user.id, name="schemathesis", token_hash=tokens.hash_of(secret), prefix=prefix, scope=WRITE, expires_at=expires
            )
        )
        db.session.commit()
        db.engine.dispose()
    return secret


@pytest.fixture(scope="module")
def server(seeded_demo: SeededDemo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("api-server")
    app, database_url = copy_of_demo(seeded_demo, home, "api")
    token = _write_token(app)
    port = _free_port()
    # The caller's own settings (an object store, a database…) stay out: the server gets only these.
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("CONSILIUM_")},
        "CONSILIUM_DEMO_MODE": "true",
        "CONSILIUM_DATABASE_URL": database_url,
        "CONSILIUM_STORAGE_DIR": str(home / "storage"),
        "CONSILIUM_SECRET_KEY": "test",
        "CONSILIUM_API_RATE_LIMIT_PER_MINUTE": "100000",
        "CONSILIUM_SCHEDULER_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("DATABASE_URL", "SECRET_KEY", "FLASK_APP", "FLASK_DEBUG"):
        env.pop(name, None)
    log = home / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload", "--no-debugger"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_ready(f"{base_url}/healthz", process, log)
        yield Server(base_url, token, log)
    finally:
        _stop(process)
        drop_database_url(database_url)
        shutil.rmtree(home, ignore_errors=True)


def _ids(server: Server, path: str, key: str = "id") -> list[object]:
    """The ids of a list the clinician sees (first page), to give the fuzzer real resources besides made-up ones."""
    answer = requests.get(f"{server.base_url}{path}", headers={"Authorization": f"Bearer {server.token}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return [item[key] for item in answer.json()["items"]]


def _config(server: Server) -> str:
    """schemathesis.toml: real ids offered half of the time, and what the If-Match check expects of a missing header."""
    panels = _ids(server, "/api/v1/panels")
    tasks = _ids(server, "/api/v1/tasks")
    patients = _ids(server, "/api/v1/patients")
    assert panels and tasks and patients, "the demo data gives the clinician panels, tasks and patients"
    dictionaries = {
        "panels": panels,
        "tasks": tasks,
        "patients": patients,
        "erns": ["EuroBloodNet", "VASCERN"],
        "centres": ["BE10", "CZ08", "FR08", "IT10"],
    }
    parameters = {
        "path.panel_id": "panels",
        "path.task_id": "tasks",
        "path.patient_id": "patients",
        "path.ern_code": "erns",
        "query.centre": "centres",
    }
    lines = []
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    lines += [f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}' for key, name in parameters.items()]
    # A write without If-Match answers 428 Precondition Required (RFC 6585), the status made for it.
    lines += ["", "[checks.missing_required_header]", f"expected-statuses = {json.dumps(MISSING_HEADER_STATUSES)}"]
    return "\n".join(lines) + "\n"


def test_the_openapi_document_is_valid_openapi_3_1(server: Server) -> None:
    """The document every check below relies on is itself valid against the OpenAPI 3.1 meta-schema."""
    schemathesis.openapi.from_url(f"{server.base_url}/api/v1/openapi.json").validate()


def test_the_api_answers_as_its_openapi_document_says(server: Server, tmp_path: Path, record_property: Callable[[str, str], None]) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(server))
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{server.base_url}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {server.token}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        # One worker: with two, schemathesis 4.32 once stopped an operation's coverage phase on an internal error
        # ("AST constructor recursion depth mismatch", in hypothesis' lambda sources); one keeps the run reproducible.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / "report"),
        "--no-color",
    ]
    # Run from the temporary folder: schemathesis looks for a schemathesis.toml in its working directory and those
    # above it, and writes nothing into the repository.
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    # Printed at the end of the run (tests/conftest.py), whichever process ran the test.
    record_property(PRINTED, "schemathesis:\n" + done.stdout + done.stderr)
    server_errors = "" if done.returncode == 0 else "\nserver log, errors only:\n" + _errors_in(server.log)
    assert done.returncode == 0, (
        "schemathesis found server errors or responses that depart from the OpenAPI document"
        " (its report is printed at the end of the run)" + server_errors
    )


def _errors_in(log: Path) -> str:
    """The server's tracebacks (the lines of the access log left out)."""
    lines = log.read_text(errors="replace").splitlines()
    kept = [line for line in lines if not line.startswith("127.0.0.1 - - ")]
    return "\n".join(kept[-200:])
