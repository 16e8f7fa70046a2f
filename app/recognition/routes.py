"""Each person's contributions per year, and a certificate of them for a period."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("recognition", __name__)
