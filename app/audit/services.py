"""Writing the audit log. Called from inside services' transactions; only flushes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.database import db
from app.database import transaction


@dataclass(frozen=True)
class RequestInfo:
    """Where an action came from."""

    remote_addr: str = ""
    user_agent: str = ""
    api_token_id: int | None = None  # the personal access token of an API request


SYSTEM = RequestInfo("", "consilium")


def record(actor: User | None, action: str, target_type: str, target_id: object, origin: RequestInfo, **details: Any) -> None:
    """Add an audit entry: who, what, when (now), from where. Never pass identifying values in details."""
    db.session.add(
        AuditEntry(
            actor_id=actor.id if actor else None,
            action=action,
            target_type=target_type,
            target_id=str(target_id or ""),
            remote_addr=origin.remote_addr[:64],
            user_agent=origin.user_agent[:300],
            details=details if origin.api_token_id is None else {**details, "api_token": origin.api_token_id},
        )
    )


def record_export(actor: User, action: str, origin: RequestInfo) -> None:
    """The export of the audit log is itself audited."""
    with transaction():
        record(actor, "audit.exported", "audit", "", origin, filtered_by=action)
