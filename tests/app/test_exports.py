"""app.exports through a real server (werkzeug in a thread: the body is sent after the request's contexts end):
10,000 rows read on the export's own connection come back whole, as CSV and as XLSX."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
import requests
from flask import Flask
from flask import Response
from flask_migrate import upgrade
from openpyxl import load_workbook
from sqlalchemy import insert
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.audit.models import AuditEntry
from app.database import db
from app.exports import Sheet
from app.exports import csv_response
from app.exports import rows_of
from app.exports import xlsx_response
from app.security import PUBLIC
from app.security import requires
from tests.conftest import drop_database_url
from tests.conftest import make_database_url

ROWS = 10_000
START = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
HEADER = ("at (UTC)", "action", "target id", "note")
STATEMENT = select(AuditEntry.at, AuditEntry.action, AuditEntry.target_id, AuditEntry.remote_addr).order_by(AuditEntry.id)


def note(n: int) -> str:
    # Text that a spreadsheet would take for a formula, and a control character XML refuses.
    return '=HYPERLINK("http://evil.example")' if n % 1000 == 0 else f"row\x01{n}"


def add_export_routes(app: Flask) -> None:
    @requires(PUBLIC)
    def as_csv() -> Response:
        return csv_response("rows.csv", HEADER, rows_of(STATEMENT, lambda row: (row.at.isoformat(), *row[1:])))

    @requires(PUBLIC)
    def as_xlsx() -> Response:
        return xlsx_response("rows.xlsx", [Sheet("Rows", HEADER, rows_of(STATEMENT)), Sheet("Small", ("n",), [(1,), (2,)])])

    app.add_url_rule("/_test/rows.csv", "test_rows_csv", as_csv)
    app.add_url_rule("/_test/rows.xlsx", "test_rows_xlsx", as_xlsx)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = make_database_url(tmp_path_factory.mktemp("exports"), "exports")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "s", "TESTING": True, "SERVER_NAME": None})
    add_export_routes(app)
    with app.app_context():
        upgrade()
        rows = [
            {"at": START + timedelta(minutes=n), "action": "export.row", "target_type": "row", "target_id": str(n), "remote_addr": note(n)}
            for n in range(ROWS)
        ]
        db.session.execute(insert(AuditEntry), rows)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_database_url(database)


def test_a_csv_export_streams_every_row_from_a_real_server(served):
    response = requests.get(f"{served}/_test/rows.csv", timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Disposition"] == 'attachment; filename="rows.csv"'
    assert response.headers["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == list(HEADER)
    # Text a spreadsheet would run as a formula arrives with an apostrophe before it: data, not a formula.
    inert = ["'" + note(n) if note(n).startswith("=") else note(n) for n in range(ROWS)]
    assert rows[1:] == [[(START + timedelta(minutes=n)).isoformat(), "export.row", str(n), inert[n]] for n in range(ROWS)]


def test_an_xlsx_export_streams_every_row_with_times_in_utc_and_text_kept_as_text(served):
    response = requests.get(f"{served}/_test/rows.xlsx", timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["Rows", "Small"]
    rows = list(workbook["Rows"].iter_rows(values_only=True))
    assert rows[0] == HEADER
    expected = [
        ((START + timedelta(minutes=n)).replace(tzinfo=None), "export.row", str(n), note(n).replace("\x01", "")) for n in range(ROWS)
    ]
    assert rows[1:] == expected
    formulas = load_workbook(io.BytesIO(response.content))["Rows"]
    assert formulas["D2"].data_type == "s" and formulas["D2"].value.startswith("=HYPERLINK")
    assert list(workbook["Small"].iter_rows(values_only=True)) == [("n",), (1,), (2,)]
