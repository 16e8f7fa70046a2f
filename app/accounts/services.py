"""Account use cases: signing in and setting preferences."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.passwords import verify_password
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.errors import InvalidInput
from app.organisations.models import ThematicArea


def authenticate(email: str, password: str, origin: RequestInfo) -> User | None:
    """The active user with that e-mail and password, or None; every attempt is audited."""
    with transaction():
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        valid = verify_password(user.password_hash if user else None, password)
        ok = valid and user is not None and user.active
        audit.record(user if ok else None, "login.succeeded" if ok else "login.failed", "user", user.id if user else "", origin)
    return user if ok else None


def set_thematic_areas(actor: User, thematic_area_ids: list[int], origin: RequestInfo) -> None:
    """Choose the thematic areas the actor wishes to be invited for (only areas of the actor's ERNs)."""
    with transaction():
        member_erns = {m.ern_id for m in actor.memberships}
        areas = list(db.session.scalars(select(ThematicArea).where(ThematicArea.id.in_(thematic_area_ids)))) if thematic_area_ids else []
        if len(areas) != len(set(thematic_area_ids)) or any(area.ern_id not in member_erns for area in areas):
            raise InvalidInput("Choose thematic areas of your own ERNs.")
        actor.thematic_areas = areas
        audit.record(actor, "preferences.updated", "user", actor.id, origin, thematic_areas=sorted(a.id for a in areas))
