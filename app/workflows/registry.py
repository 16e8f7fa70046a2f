"""Tables the feature packages fill when the app is created (app/wiring.py): effect handlers, form submissions,
checks and loaders by kind of subject. Registering is idempotent, since every app created registers again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

Entry = TypeVar("Entry")


def register(table: dict[str, Entry], entries: Mapping[str, Entry], what: str) -> None:
    """Add ``entries`` to ``table``; the same name twice must be the same entry."""
    for name, entry in entries.items():
        if table.setdefault(name, entry) is not entry:
            raise ValueError(f"two entries for the {what} '{name}'")
