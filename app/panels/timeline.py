"""Writing a panel's timeline and telling people about it. Called inside services' transactions; only flush."""

from __future__ import annotations

from collections.abc import Iterable

from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.notifications.services import notify
from app.panels.models import Panel
from app.panels.models import TimelineEntry


def add(panel: Panel, kind: str, text: str, actor: User | None) -> None:
    """One line on the panel's timeline; the panel counts as active now."""
    db.session.add(TimelineEntry(panel_id=panel.id, kind=kind, text=text, actor_id=actor.id if actor else None))
    panel.updated_at = utcnow()
    db.session.flush()


def link(panel: Panel) -> str:
    return panel_link(panel.id)


def panel_link(panel_id: int) -> str:
    """Where notifications about a panel point (the panel page)."""
    return f"/panels/{panel_id}"


def tell(users: Iterable[User | None], panel: Panel, text: str) -> None:
    """Notify people about a panel, naming it only by number and nickname (never the patient)."""
    notify(users, f"Panel {panel.title}: {text}", link(panel))


def members_except(panel: Panel, actor: User | None) -> list[User]:
    """Everyone on the panel (lead and accepted members) other than ``actor``."""
    people = [m.user for m in panel.accepted_members()]
    if panel.lead is not None:
        people.append(panel.lead)
    return [p for p in people if actor is None or p.id != actor.id]
