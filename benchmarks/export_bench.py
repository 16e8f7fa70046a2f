"""Audit export benchmark: does the CSV export stream with flat memory?

A throw-away database (SQLite in a temp dir, or ``--database-url`` PostgreSQL, created and dropped) holds 200,000
audit entries: 20,000 of action ``bench.small``, the rest ``bench.large``. gunicorn serves it (gunicorn.conf.py, one
worker, demo mode so that the administrator signs in with a password); an administrator downloads
``/audit/export.csv?action=bench.small`` (20,000 rows), then ``/audit/export.csv`` (every row). The worker's RSS
(/proc/PID/status VmRSS) is sampled every 5 ms during each download, after two warm-up downloads and once the
worker's RSS holds still; the growth is the
peak sample minus the RSS just before. Flat memory: both growths about equal. MB are 10^6 bytes.

    python benchmarks/export_bench.py [--rows 200000] [--database-url postgresql+psycopg://…/consilium_bench]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sqlalchemy import insert  # noqa: E402
from web_harness import build_app  # noqa: E402
from web_harness import database  # noqa: E402

from app.accounts.models import User  # noqa: E402
from app.accounts.passwords import hash_password  # noqa: E402
from app.audit.models import AuditEntry  # noqa: E402
from app.database import db  # noqa: E402

ADMIN = "admin@bench.example"
PASSWORD = "export-bench-password"  # noqa: S105 - a throw-away database
SMALL = 20_000


def fill(url: str, storage: str, rows: int) -> None:
    app = build_app(url, storage)
    with app.app_context():
        admin = User(
            email=ADMIN, first_name="Ada", last_name="Admin", password_hash=hash_password(PASSWORD), is_admin=True, training_account=True
        )
        db.session.add(admin)
        db.session.flush()
        start = datetime(2025, 1, 1, tzinfo=UTC)
        for first in range(0, rows, 20_000):
            batch = [
                {
                    "at": start + timedelta(seconds=n),
                    "actor_id": admin.id,
                    "action": "bench.small" if n < SMALL else "bench.large",
                    "target_type": "panel",
                    "target_id": str(n),
                    "remote_addr": "192.0.2.10",
                    "user_agent": "bench",
                    "details": {"n": n, "note": "an audit entry of a typical size"},
                }
                for n in range(first, min(first + 20_000, rows))
            ]
            db.session.execute(insert(AuditEntry), batch)
        db.session.commit()
        db.engine.dispose()


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    assert match, status
    return int(match.group(1))


def worker_of(master: int) -> int:
    for _ in range(600):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise SystemExit("gunicorn started no worker")


def settle(worker: int) -> None:
    """Wait until the worker's RSS holds still (its background start-up work, such as the terminology index, done)."""
    last = rss_kb(worker)
    for _ in range(120):
        time.sleep(2)
        now = rss_kb(worker)
        if abs(now - last) < 1024:
            return
        last = now


def download(client: requests.Session, url: str, worker: int) -> tuple[float, float, int]:
    """(RSS growth in MB, seconds, CSV lines) of one download, the worker's RSS sampled while it runs."""
    before = rss_kb(worker)
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_kb(worker))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    lines = 0
    with client.get(url, stream=True, timeout=600) as response:
        assert response.status_code == 200, response.text[:500]
        for chunk in response.iter_content(64 * 1024):
            lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    return (peak - before) * 1024 / 1e6, elapsed, lines


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--rows", type=int, default=200_000)
    arguments.add_argument("--database-url", default="")
    options = arguments.parse_args()

    with database(options.database_url, "export") as url, tempfile.TemporaryDirectory(prefix="consilium-export-bench-") as storage:
        started = time.perf_counter()
        fill(url, storage, options.rows)
        print(f"filled {options.rows} audit rows in {time.perf_counter() - started:.1f} s ({url.split(':', 1)[0]})")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {
            **os.environ,
            "CONSILIUM_DATABASE_URL": url,
            "SECRET_KEY": "export-bench-secret",
            "CONSILIUM_DEMO_MODE": "true",
            "CONSILIUM_STORAGE_DIR": storage,
            "CONSILIUM_BIND": f"127.0.0.1:{port}",
            "CONSILIUM_WORKERS": "1",
            "CONSILIUM_LOG_FORMAT": "json",
            "PROMETHEUS_MULTIPROC_DIR": str(Path(storage) / "metrics"),
        }
        command = [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py", "wsgi:app"]
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if requests.get(f"{base}/healthz", timeout=60).status_code == 200:
                        break
                except requests.ConnectionError:
                    time.sleep(0.1)
            worker = worker_of(server.pid)
            client = requests.Session()
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(f"{base}/login", timeout=30).text)
            assert token
            form = {"email": ADMIN, "password": PASSWORD, "csrf_token": token.group(1)}
            assert client.post(f"{base}/login", data=form, allow_redirects=False, timeout=30).status_code == 302

            for _ in range(2):  # warm-up: the worker's first exports
                download(client, f"{base}/audit/export.csv?action=bench.small", worker)
            settle(worker)
            print(f"worker rss settled={rss_kb(worker) * 1024 / 1e6:.1f} MB")
            small_growth, small_time, small_lines = download(client, f"{base}/audit/export.csv?action=bench.small", worker)
            large_growth, large_time, large_lines = download(client, f"{base}/audit/export.csv", worker)
            print(f"worker rss after={rss_kb(worker) * 1024 / 1e6:.1f} MB high_water={rss_kb(worker, 'VmHWM') * 1024 / 1e6:.1f} MB")
            print(f"rows_20k={small_lines - 1} time_20k={small_time:.2f} s rows_200k={large_lines - 1} time_200k={large_time:.2f} s")
            print(f"rows_per_second={(large_lines - 1) / large_time:.0f}")
            print(f"rss_growth_200k={large_growth:.1f} MB rss_growth_20k={small_growth:.1f} MB")
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
