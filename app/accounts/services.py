"""Account use cases: signing in and setting preferences."""

from __future__ import annotations

import zoneinfo

from flask_babel import gettext as _
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


def time_zones() -> list[str]:
    """The time zones a user may choose: Europe's, and UTC."""
    return ["UTC", *sorted(zone for zone in zoneinfo.available_timezones() if zone.startswith("Europe/"))]


def set_preferences(actor: User, thematic_area_ids: list[int], timezone: str, origin: RequestInfo) -> None:
    """Choose the thematic areas the actor wishes to be invited for (of their own ERNs) and their time zone."""
    with transaction():
        member_erns = {m.ern_id for m in actor.memberships}
        areas = list(db.session.scalars(select(ThematicArea).where(ThematicArea.id.in_(thematic_area_ids)))) if thematic_area_ids else []
        errors: dict[str, list[str]] = {}
        if len(areas) != len(set(thematic_area_ids)) or any(area.ern_id not in member_erns for area in areas):
            errors["thematic_area"] = [_("Choose thematic areas of your own ERNs.")]
        if timezone not in time_zones():
            errors["timezone"] = [_("Choose a time zone from the list.")]
        if errors:
            raise InvalidInput(_("Your preferences were not saved."), errors)
        actor.thematic_areas = areas
        actor.timezone = timezone
        audit.record(actor, "preferences.updated", "user", actor.id, origin, thematic_areas=sorted(a.id for a in areas), timezone=timezone)
