"""Research: released panels searched by code, sex, age at onset, country, period; datasets to download."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("research", __name__)
