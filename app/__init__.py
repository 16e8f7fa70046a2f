"""Consilium: a Flask application for the virtual expert panels of European Reference Networks."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app (app/factory.py). Imported when called: every module of the package imports ``app.…``, so
    loading the whole application whenever one of them is imported would make each import load all the others."""
    from app.factory import build

    return build(overrides)
