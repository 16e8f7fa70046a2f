"""Text helpers shared by features: case- and accent-insensitive matching, and markup in texts managers define."""

from __future__ import annotations

import re
import unicodedata

# What a browser would read as the start of a tag, comment or declaration ("Age < 18" is text).
_MARKUP = re.compile(r"<[A-Za-z!/?][^<>]{0,60}>?")


def fold(text: str) -> str:
    """Lower-case text without accents, for searching: 'Hélène' → 'helene', 'Zoë Ångström' → 'zoe angstrom'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def markup_in(text: str) -> str:
    """The first piece of HTML markup in a label or name ('<img src=x>'), or '' when it is plain text."""
    found = _MARKUP.search(text)
    return found.group() if found else ""
