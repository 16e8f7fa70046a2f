"""Reads of ERNs and centres."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app import security
from app.accounts.models import CLINICAL_ROLES
from app.accounts.models import User
from app.database import db
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.patients.models import Patient


def all_erns() -> list[Ern]:
    return list(db.session.scalars(select(Ern).order_by(Ern.code)))


def ern_by_code(code: str, viewer: User | None = None) -> Ern | None:
    """The ERN with this code; one of the viewer's own is found in the memberships loaded with them (no query)."""
    if viewer is not None:
        for membership in viewer.memberships:
            if membership.ern.code == code:
                return membership.ern
    return db.session.scalar(select(Ern).where(Ern.code == code))


def centre_by_code(code: str) -> Centre | None:
    return db.session.scalar(select(Centre).where(Centre.code == code))


def erns_of(user: User) -> list[Ern]:
    """The user's ERNs, from the memberships already loaded with the user."""
    return sorted({m.ern for m in user.memberships}, key=lambda ern: ern.code)


def clinical_centres_of(user: User) -> list[Centre]:
    """The centres where the user works as a health professional (from the loaded memberships)."""
    return sorted({m.centre for m in user.memberships if m.role in CLINICAL_ROLES and m.centre is not None}, key=lambda c: c.code)


def enrolment_erns(user: User, centre: Centre) -> list[Ern]:
    """ERNs the user may enrol patients in at this centre."""
    return [ern for ern in centre.erns if security.can_enrol(user, centre.id, ern.id)]


def recent_enrolments(centre_id: int, since: datetime, limit: int = 10) -> list[tuple[str, datetime]]:
    """Pseudonymised recent activity of a centre: CPMS IDs enrolled since a time."""
    rows = db.session.execute(
        select(Patient.cpms_id, Patient.created_at)
        .where(Patient.centre_id == centre_id, Patient.created_at >= since, Patient.cpms_id.is_not(None))
        .order_by(Patient.created_at.desc())
        .limit(limit)
    )
    return [(str(cpms_id), created_at) for cpms_id, created_at in rows]


def all_centres() -> list[Centre]:
    return list(db.session.scalars(select(Centre).order_by(Centre.is_guest, Centre.code)))
