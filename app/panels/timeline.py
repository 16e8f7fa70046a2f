"""Writing a panel's timeline and telling people about it. Called inside services' transactions; only flush."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.i18n import N_
from app.notifications.models import Message
from app.notifications.models import english
from app.notifications.models import stored
from app.notifications.services import notify
from app.panels.models import Panel
from app.panels.models import TimelineEntry


def add(panel: Panel, kind: str, message: str, actor: User | None, /, **params: Any) -> None:
    """A line the app writes on the panel's timeline: ``message`` is an ``N_()`` msgid naming ``params`` (plain text,
    or ``Message`` to be translated too), shown in the reader's language; the panel counts as active now."""
    _add(panel, kind, actor, text=english(message, params), message=message, params=stored(params))


def add_text(panel: Panel, kind: str, text: str, actor: User | None) -> None:
    """A line of free text a person wrote (a comment): shown as written, in no one's language in particular."""
    _add(panel, kind, actor, text=text, message="", params=None)


def _add(panel: Panel, kind: str, actor: User | None, *, text: str, message: str, params: dict[str, Any] | None) -> None:
    entry = TimelineEntry(panel_id=panel.id, kind=kind, text=text, message=message, params=params, actor_id=actor.id if actor else None)
    db.session.add(entry)
    panel.updated_at = utcnow()
    db.session.flush()


def link(panel: Panel) -> str:
    return panel_link(panel.id)


def panel_link(panel_id: int) -> str:
    """Where notifications about a panel point (the panel page)."""
    return f"/panels/{panel_id}"


def tell(users: Iterable[User | None], panel: Panel, message: str, /, **params: Any) -> None:
    """Notify people about a panel, naming it only by number and nickname (never the patient): "Panel #12 (nick): "
    and ``message`` (an ``N_()`` msgid, lower case, naming ``params``), each in the reader's language."""
    notify(users, N_("Panel %(panel)s: %(event)s"), link(panel), panel=panel.title, event=Message(message, params))


def members_except(panel: Panel, actor: User | None) -> list[User]:
    """Everyone on the panel (lead and accepted members) other than ``actor``."""
    people = [m.user for m in panel.accepted_members()]
    if panel.lead is not None:
        people.append(panel.lead)
    return [p for p in people if actor is None or p.id != actor.id]
