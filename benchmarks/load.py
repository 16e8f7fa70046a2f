"""Load benchmark: simulated users of 24 ERNs through gunicorn on PostgreSQL, with 1 and then 2 workers.

A fresh PostgreSQL database (created here, dropped afterwards) is migrated and seeded by benchmarks/load_seed.py in
its own process: 24 ERNs, each with 3 centres and 2 member experts (training accounts) at each, 8 patients per
centre and ERN, 10 panels per ERN with a lead and two members. Then, for each worker count, gunicorn is started
with gunicorn.conf.py on a free loopback port (demo mode, so that training accounts sign in with their password;
CSRF off, as the simulated users do not read forms), left ``--settle`` seconds to load (each worker builds its
terminology index in the background), and locust runs headless, as a library, for ``--seconds``: ``--users``
users, each signed in as a seeded account and choosing, between short pauses, among

- ``dashboard``: ``GET /`` (weight 3);
- ``panel_list``: ``GET /panels/?ern=<code>``, their ERN's panels (weight 3);
- ``panel_page``: ``GET /panels/<id>``, a panel they are a member of (weight 3);
- ``patient_page``: ``GET /patients/<id>``, a patient of their centre (weight 2);
- ``complete_task``: enrol a patient: ``POST /patients/enrol`` opens the enrolment task, ``POST`` of its form
  completes it (weight 1; the two requests are timed as one action);
- ``upload``: ``POST /patients/<id>/documents``, a 1 kB PNG (weight 1).

Per phase: requests, throughput, errors, and p50/p95/p99 per action; at the end ``scale_ratio=N.NN`` (throughput
with 2 workers over 1) and ``errors=N`` (over both phases). Loopback only; locust and the server share the machine's
cores, so the ratio is what this machine gives, not what two dedicated cores would. The users pause 0.1-0.5 s between
actions: 24 of them cannot keep even one worker busy (the ratio then measures their pauses: 1.20 here), hence 96 by
default, which saturate one worker (1.89 on the 2-core development machine).

locust patches the standard library with gevent when imported: it is imported first, and the app is never
imported into this process (the seeding runs in a subprocess).

Run from the repository root:  python benchmarks/load.py [--seconds 30] [--users 96]
    [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/consilium_load]
"""

from __future__ import annotations

# isort: off
import locust  # first: it patches the standard library with gevent, which must precede every other import of it
import gevent

# isort: on
import argparse
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from locust import HttpUser
from locust import between
from locust import task
from locust.env import Environment

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "bench password, not secret"  # noqa: S105 - load_seed.PASSWORD (not imported: it would load the app)
ACCOUNTS: list[dict[str, Any]] = []


def tiny_png() -> bytes:
    """A valid 16×16 grey PNG with random pixels, so that every upload is a new file (storage is by content)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + os.urandom(16) for _ in range(16))
    header = struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


ENROLMENT = {
    "enrolled_on": "01/03/2026",
    "consent_care": "yes",
    "consent_care_date": "01/03/2026",
    "consent_registry": "no",
    "registry_name": "",
    "consent_registry_date": "01/03/2026",
    "consent_research": "",
    "consent_research_date": "",
    "gender": "female",
    "date_of_birth": "12/05/1990",
    "record_label": "",
}


class Clinician(HttpUser):
    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        self.account = ACCOUNTS[random.randrange(len(ACCOUNTS))]
        self.client.post("/login", data={"email": self.account["email"], "password": PASSWORD}, name="sign_in")

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/", name="dashboard")

    @task(3)
    def panel_list(self) -> None:
        self.client.get(f"/panels/?ern={self.account['ern']}", name="panel_list")

    @task(3)
    def panel_page(self) -> None:
        if self.account["panels"]:
            self.client.get(f"/panels/{random.choice(self.account['panels'])}", name="panel_page")

    @task(2)
    def patient_page(self) -> None:
        self.client.get(f"/patients/{random.choice(self.account['patients'])}", name="patient_page")

    @task(1)
    def complete_task(self) -> None:
        started = time.perf_counter()
        opened = self.client.post(
            "/patients/enrol",
            data={"centre_id": self.account["centre_id"], "ern_id": self.account["ern_id"]},
            allow_redirects=False,
            name="complete_task:open",
        )
        error: Exception | None = None
        if opened.status_code != 302:
            error = RuntimeError(f"enrol answered {opened.status_code}")
        else:
            answers = {**ENROLMENT, "first_name": "Load", "last_name": f"Test{random.randrange(10**6)}"}
            done = self.client.post(opened.headers["Location"], data=answers, allow_redirects=False, name="complete_task:submit")
            if done.status_code != 302:
                error = RuntimeError(f"enrolment form answered {done.status_code}")
        self.environment.events.request.fire(
            request_type="FLOW",
            name="complete_task",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )

    @task(1)
    def upload(self) -> None:
        patient = random.choice(self.account["patients"])
        files = {"file": ("scan.png", tiny_png(), "image/png")}
        with self.client.post(
            f"/patients/{patient}/documents", files=files, allow_redirects=False, name="upload", catch_response=True
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"upload answered {answer.status_code}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgresql(url: str) -> Iterator[str]:
    """The named database, created (after dropping any leftover) and dropped afterwards, with psql."""
    name = url.rsplit("/", 1)[1]
    if not name or name == "postgres":
        raise SystemExit("--database-url must name a database other than 'postgres'; the run creates and drops it")
    server = url.split("//", 1)[1].rsplit("/", 1)[0]
    user, host = server.split("@") if "@" in server else ("postgres", server)
    host, _, port = host.partition(":")
    admin = ["psql", "-q", "-h", host, "-p", port or "5432", "-U", user, "-d", "postgres", "-c"]
    subprocess.run([*admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True, capture_output=True)
    subprocess.run([*admin, f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    try:
        yield url
    finally:
        subprocess.run([*admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True, capture_output=True)


@contextmanager
def gunicorn(database: str, storage: str, workers: int) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "CONSILIUM_DATABASE_URL": database,
        "SECRET_KEY": "load-bench-secret",
        "CONSILIUM_DEMO_MODE": "true",
        "CONSILIUM_WTF_CSRF_ENABLED": "false",
        "CONSILIUM_STORAGE_DIR": storage,
        "CONSILIUM_BIND": f"127.0.0.1:{port}",
        "CONSILIUM_WORKERS": str(workers),
        "CONSILIUM_LOGIN_FAILURES_PER_ADDRESS": "100000",
    }
    with tempfile.TemporaryDirectory(prefix="consilium-load-") as logs:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(Path(logs) / "metrics")
        with open(Path(logs) / "server.log", "wb") as log:
            server = subprocess.Popen(
                [BIN / "gunicorn", "--config", "gunicorn.conf.py", "--access-logfile", "/dev/null", "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )
            try:
                url = f"http://127.0.0.1:{port}"
                for _ in range(600):
                    try:
                        if requests.get(f"{url}/healthz", timeout=60).status_code == 200:
                            break
                    except requests.ConnectionError:
                        gevent.sleep(0.1)
                else:
                    raise SystemExit("gunicorn did not start:\n" + (Path(logs) / "server.log").read_text()[-3000:])
                yield url
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=60)


def run_phase(url: str, users: int, seconds: float) -> dict[str, Any]:
    """locust, headless, for ``seconds``; the figures of every action."""
    environment = Environment(user_classes=[Clinician], host=url, events=locust.events)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(2)  # every user has signed in: count from here
    environment.stats.reset_all()
    started = time.perf_counter()
    gevent.sleep(seconds)
    elapsed = time.perf_counter() - started
    runner.quit()
    stats = environment.stats
    actions = {}
    for (name, _method), entry in sorted(stats.entries.items()):
        if name.startswith("complete_task:") or name == "sign_in":
            continue  # the flow's two requests are counted as one complete_task
        actions[name] = {
            "n": entry.num_requests,
            "errors": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
        }
    requests_total = stats.total.num_requests - sum(e.num_requests for (n, _m), e in stats.entries.items() if n == "complete_task")
    return {
        "requests": requests_total,
        "throughput": requests_total / elapsed,
        "errors": stats.total.num_failures,
        "actions": actions,
        "seconds": elapsed,
    }


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--seconds", type=float, default=30, help="measured time per phase")
    arguments.add_argument("--users", type=int, default=96, help="simulated users (enough to keep the workers busy)")
    arguments.add_argument("--settle", type=float, default=20, help="seconds for the workers to load before a phase")
    arguments.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/consilium_load")
    options = arguments.parse_args()

    with postgresql(options.database_url) as database, tempfile.TemporaryDirectory(prefix="consilium-load-storage-") as storage:
        seeded = subprocess.run(
            [sys.executable, "-m", "benchmarks.load_seed", database, storage], cwd=ROOT, check=True, capture_output=True, text=True
        )
        ACCOUNTS.extend(json.loads(seeded.stdout))
        erns = len({account["ern"] for account in ACCOUNTS})
        print(f"seeded: ern={erns} accounts={len(ACCOUNTS)} panels={len({p for a in ACCOUNTS for p in a['panels']})}")
        results = {}
        for workers in (1, 2):
            with gunicorn(database, storage, workers) as url:
                gevent.sleep(options.settle)
                result = results[workers] = run_phase(url, options.users, options.seconds)
            print(
                f"workers={workers} users={options.users} seconds={result['seconds']:.0f} requests={result['requests']} "
                f"throughput={result['throughput']:.1f}/s errors={result['errors']}"
            )
            for name, action in result["actions"].items():
                print(
                    f"  {name:14} n={action['n']:5} p50_ms={action['p50']:6.0f} p95_ms={action['p95']:6.0f} "
                    f"p99_ms={action['p99']:6.0f} errors={action['errors']}"
                )
    print(f"scale_ratio={results[2]['throughput'] / results[1]['throughput']:.2f}")
    print(f"errors={results[1]['errors'] + results[2]['errors']}")


if __name__ == "__main__":
    main()
