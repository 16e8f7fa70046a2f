"""Reports of an ERN, a centre or a thematic area over a period: pages with charts and tables, CSV and XLSX, the yearly
report as a PDF."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__)
