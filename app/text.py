"""Text normalisation shared by every search: case- and accent-insensitive matching."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case text without accents, for searching: 'Hélène' → 'helene', 'Zoë Ångström' → 'zoe angstrom'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
