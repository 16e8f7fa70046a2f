"""Downloads of tables (CSV, XLSX) that stream: rows are read in batches on a connection of their own, opened when the
response starts and closed when it ends, so that no export holds the request's session past its life or all its rows
in memory. Callers check access first, then hand over a statement (read on the export's own connection) or rows."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import Executable

from app.database import db

BATCH = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Cell = Any


def rows_of(statement: Executable, shape: Callable[[Any], Sequence[Cell]] = tuple) -> Iterator[Sequence[Cell]]:
    """The statement's rows, shaped for a table, read in batches on a connection opened for the export when the first
    row is asked for (nothing is read until the response is sent). Call it in the request: where to read is decided
    now, since a real server sends the body after the request's application context has ended."""
    return _read(db.session.get_bind(), statement, shape)


def _read(bind: Engine | Connection, statement: Executable, shape: Callable[[Any], Sequence[Cell]]) -> Iterator[Sequence[Cell]]:
    # The session's bind is the engine, except in tests that run each test in one transaction on one connection:
    # there the export reads on that connection, which outlives the request, and sees what the test wrote.
    with bind.connect() if isinstance(bind, Engine) else nullcontext(bind) as connection:
        result = connection.execute(statement, execution_options={"stream_results": True, "yield_per": BATCH})
        for row in result:
            yield shape(row)


@dataclass(frozen=True)
class Sheet:
    """One table of an export: a title (the XLSX sheet's name), the column names, the rows."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Cell]]


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Response:
    """A CSV download written row by row as it is sent."""

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in _with_header(header, rows):
            writer.writerow([_inert(value) for value in row])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return _download(Response(lines(), mimetype="text/csv"), filename)


def xlsx_response(filename: str, sheets: Sequence[Sheet]) -> Response:
    """An XLSX workbook, one sheet per table, written in openpyxl's write-only mode to a temporary file (an XLSX is a
    zip: it is whole only at its end), then sent from that file in chunks."""

    def chunks() -> Iterator[bytes]:
        workbook = Workbook(write_only=True)
        for sheet in sheets:
            worksheet = workbook.create_sheet(sheet.title[:31])
            for row in _with_header(sheet.header, sheet.rows):
                worksheet.append([_xlsx_cell(worksheet, value) for value in row])
        with tempfile.TemporaryFile() as file:
            workbook.save(file)
            file.seek(0)
            while chunk := file.read(64 * 1024):
                yield chunk

    return _download(Response(chunks(), mimetype=XLSX), filename)


def _xlsx_cell(worksheet: Any, value: Cell) -> Cell:
    """A value as Excel can hold it: text always as text (openpyxl would make "=..." a live formula), without the
    control characters XML refuses; a UTC time without its zone (Excel has none; headers say "UTC")."""
    if isinstance(value, str):
        cell = WriteOnlyCell(worksheet, ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"
        return cell
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


# A text cell starting with one of these is a formula to a spreadsheet opening the CSV (a nickname "=HYPERLINK(…)").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Cell) -> Cell:
    """A CSV cell as data: nothing for None, text that a spreadsheet would run as a formula prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _with_header(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[Sequence[Cell]]:
    yield header
    yield from rows


def _download(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
