"""ETags of what a client may change, and the If-Match a write must carry: a write based on an older read answers
412 and changes nothing, so that nobody's work is overwritten unseen."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _

from app.errors import PreconditionRequired

IF_MATCH = {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}, "description": "The ETag you read"}


def tag(kind: str, number: int) -> str:
    """A strong entity tag for a counter: ``r3`` (the draft's revision), ``v7`` (the case's engine version)."""
    return f"{kind}{number}"


def expected(kind: str) -> int:
    """The counter the client's If-Match names; 428 without one (or with *), and -1 (matching nothing: 412) for a
    foreign tag or several."""
    if not request.headers.get("If-Match") or request.if_match.star_tag:  # "*" would match whatever someone saved
        raise PreconditionRequired(_("Send If-Match with the ETag you read, so that no one's change is lost."))
    named = [
        int(value[len(kind) :])
        for value in filter(None, request.if_match.as_set())  # `If-Match: ""` parses to None
        if value.startswith(kind) and value[len(kind) :].isascii() and value[len(kind) :].isdigit() and len(value) < 20
    ]
    return named[0] if len(named) == 1 else -1  # several versions named: none of them is surely the one read


def with_etag(response: Any, kind: str, number: int) -> Any:
    response.set_etag(tag(kind, number))
    return response
