"""What the web benchmarks share: a throw-away database, the app built on it, a trivial route to compare
with, bulk inserts, statement recording and query counts, interleaved timing, and the report lines."""

from __future__ import annotations

import enum
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.engine import make_url


@contextmanager
def database(url: str | None, name: str) -> Iterator[str]:
    """A new, empty database: a SQLite file in a temp dir, or the named PostgreSQL database, created
    here (after dropping any leftover of the same name) and dropped afterwards."""
    if not url:
        with tempfile.TemporaryDirectory(prefix=f"consilium-{name}-bench-") as directory:
            yield f"sqlite:///{Path(directory) / 'bench.sqlite'}"
        return
    parsed = make_url(url)
    name = parsed.database
    if not name or name == "postgres" or not parsed.drivername.startswith("postgresql"):
        raise SystemExit("--database-url must name a PostgreSQL database other than 'postgres'; the run creates and drops it")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build_app(url: str, storage: str) -> Flask:
    """The same steps as tests.conftest.build_app: migrations, then the shipped definitions; demo mode
    so that training accounts sign in with a password only."""
    from flask_migrate import upgrade

    from app import create_app
    from app.workflows.services import deploy_shipped_definitions

    app = create_app(
        {
            "SECRET_KEY": "bench-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "SCHEDULER_ENABLED": False,
            "DEMO_MODE": True,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "consilium.bench",
            "STORAGE_DIR": storage,
        }
    )
    with app.app_context():
        upgrade()
        deploy_shipped_definitions(app.config["BPMN_DIR"], app.config["FORMS_DIR"])
    return app


def add_trivial_route(app: Flask) -> None:
    """A login-required route that does nothing: the floor every page pays (must precede the first request)."""
    from app.security import LOGIN
    from app.security import requires

    @requires(LOGIN)
    def trivial() -> str:
        return "ok"

    app.add_url_rule("/_bench/trivial", "bench_trivial", trivial)


def insert_rows(connection: Connection, model: Any, rows: list[dict[str, Any]], chunk: int = 20_000) -> None:
    """Core executemany on SQLite; COPY on PostgreSQL (executemany there is several times slower)."""
    table = model if hasattr(model, "insert") and not hasattr(model, "__table__") else model.__table__
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        columns = list(rows[0])
        names = ", ".join(f'"{column}"' for column in columns)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([plain_value(row[column]) for column in columns])
        cursor.close()
        return
    for start in range(0, len(rows), chunk):
        connection.execute(table.insert(), rows[start : start + chunk])


def plain_value(value: Any) -> Any:
    """A value as COPY takes it: enums by their stored value, JSON as text."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def get(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code} {response.headers.get('Location', '')}")


@dataclass
class Statement:
    sql: str
    parameters: Any
    seconds: float = 0.0


@contextmanager
def recording(app: Flask) -> Iterator[list[Statement]]:
    """Every statement sent through the app's engine while inside, with its parameters and driver time."""
    from app.database import db

    statements: list[Statement] = []
    clock = time.perf_counter
    started = [0.0]

    def before(connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append(Statement(statement, parameters))
        started[0] = clock()

    def after(*_: Any) -> None:
        statements[-1].seconds = clock() - started[0]

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def count_queries(app: Flask, client: FlaskClient, pages: dict[str, str], repeat: int = 3) -> dict[str, list[int]]:
    """SQL statements per request of each page, ``repeat`` times (warm: after the timed or warm-up requests)."""
    counts: dict[str, list[int]] = {}
    for name, url in pages.items():
        counts[name] = []
        for _ in range(repeat):
            with recording(app) as statements:
                get(client, url)
            counts[name].append(len(statements))
    return counts


def breakdown(app: Flask, client: FlaskClient, pages: dict[str, str], requests: int = 50) -> dict[str, tuple[float, float, float, float]]:
    """Median seconds per request of each page: total, in the database driver, rendering templates
    (lazy loads included) and in the driver while rendering; measured in a separate, untimed pass."""
    from flask import before_render_template
    from flask import template_rendered

    from app.database import db

    with app.app_context():
        engine = db.engine
    clock = time.perf_counter
    marks: dict[str, float] = {}
    totals = {"sql": 0.0, "render": 0.0, "sql_in_render": 0.0}
    rendering = [False]

    def before_execute(*_: Any) -> None:
        marks["sql"] = clock()

    def after_execute(*_: Any) -> None:
        elapsed = clock() - marks["sql"]
        totals["sql"] += elapsed
        if rendering[0]:
            totals["sql_in_render"] += elapsed

    def before_render(*_: Any, **__: Any) -> None:
        rendering[0] = True
        marks["render"] = clock()

    def rendered(*_: Any, **__: Any) -> None:
        rendering[0] = False
        totals["render"] += clock() - marks["render"]

    event.listen(engine, "before_cursor_execute", before_execute)
    event.listen(engine, "after_cursor_execute", after_execute)
    before_render_template.connect(before_render, app)
    template_rendered.connect(rendered, app)
    samples: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in pages}
    try:
        for _ in range(requests):
            for name, url in pages.items():
                for key in totals:
                    totals[key] = 0.0
                start = clock()
                get(client, url)
                samples[name].append((clock() - start, totals["sql"], totals["render"], totals["sql_in_render"]))
    finally:
        event.remove(engine, "before_cursor_execute", before_execute)
        event.remove(engine, "after_cursor_execute", after_execute)
        before_render_template.disconnect(before_render, app)
        template_rendered.disconnect(rendered, app)
    return {name: tuple(statistics.median(sample[i] for sample in rows) for i in range(4)) for name, rows in samples.items()}  # type: ignore[misc]


def statements_of(app: Flask, client: FlaskClient, url: str, repeat: int = 15) -> list[Statement]:
    """The statements of one request of the page, each with its median driver time over ``repeat`` requests."""
    runs = []
    for _ in range(repeat):
        with recording(app) as statements:
            get(client, url)
        runs.append(statements)
    last = runs[-1]
    for position, statement in enumerate(last):
        statement.seconds = statistics.median(run[position].seconds for run in runs if len(run) > position)
    return last


def print_statements(app: Flask, statements: list[Statement], *, plans: bool) -> None:
    """Each statement with its median driver time; with ``plans``, the plan of every SELECT as the database would run it."""
    from app.database import db

    with app.app_context(), db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        for number, statement in enumerate(statements, 1):
            print(f"  [{number}] {statement.seconds * 1000:.3f}ms  {' '.join(statement.sql.split())[:400]}")
            if not plans or not statement.sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement.sql, statement.parameters)
            for row in cursor.fetchall():
                print(f"        {row[-1] if sqlite else row[0]}")
            cursor.close()
        connection.rollback()


def time_pages(client: FlaskClient, pages: dict[str, str], rounds: int) -> dict[str, list[float]]:
    """``rounds`` requests per page, round-robin with a rotating start, timed one by one (seconds)."""
    names = list(pages)
    times: dict[str, list[float]] = {name: [] for name in names}
    clock = time.perf_counter
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            url = pages[name]
            start = clock()
            response = client.get(url)
            elapsed = clock() - start
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")
            times[name].append(elapsed)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(times: dict[str, list[float]], counts: dict[str, list[int]], floor: str = "trivial", width: int = 18) -> None:
    base = statistics.median(times[floor])
    for name, values in times.items():
        median = statistics.median(values)
        low, high = min(counts[name]), max(counts[name])
        queries = str(low) if low == high else f"{low}-{high}"
        print(f"{name:<{width}} median={median * 1000:.2f}ms p95={p95(values) * 1000:.2f}ms queries={queries} ratio={median / base:.2f}")


def profile(client: FlaskClient, url: str, requests: int, top: int = 60) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        get(client, url)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
