"""Reads of accounts, filtered in SQL by who may manage them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts import roles
from app.accounts.models import EXPERT_ROLES
from app.accounts.models import Membership
from app.accounts.models import Role
from app.accounts.models import SignIn
from app.accounts.models import User
from app.database import as_id
from app.database import db
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.organisations.models import ThematicArea
from app.pagination import Page
from app.pagination import paginate

NO_AREA = "none"  # the thematic-area filter's value for experts who chose none (they cannot be invited)


@dataclass(frozen=True)
class PeopleFilter:
    centre_id: int | None = None
    role: Role | None = None
    area: str = ""  # a thematic area's id, NO_AREA, or "" for any


def people(actor: User, wanted: PeopleFilter, *, page: int, per_page: int) -> Page:
    """The accounts on the actor's members' page (``roles.sees_person``), filtered by centre, role and thematic area."""
    query = (
        select(User)
        .where(roles.people_filter(actor, User))
        .options(
            selectinload(User.memberships).joinedload(Membership.centre),
            selectinload(User.memberships).joinedload(Membership.ern),
            selectinload(User.thematic_areas),
        )
        .order_by(User.last_name, User.first_name, User.id)
    )
    if wanted.centre_id is not None or wanted.role is not None:
        held = select(Membership.user_id)
        if wanted.centre_id is not None:
            held = held.where(Membership.centre_id == wanted.centre_id)
        if wanted.role is not None:
            held = held.where(Membership.role == wanted.role)
        query = query.where(User.id.in_(held))
    if wanted.area == NO_AREA:  # the experts nobody can invite
        query = query.where(~User.thematic_areas.any(), User.memberships.any(Membership.role.in_(EXPERT_ROLES)))
    elif (area_id := as_id(wanted.area)) is not None:
        query = query.where(User.thematic_areas.any(ThematicArea.id == area_id))
    return paginate(query, page=page, per_page=per_page)


def last_sign_ins(user_ids: list[int]) -> dict[int, datetime]:
    """When each of these people last signed in (people who never did are left out)."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(SignIn.user_id, func.max(SignIn.started_at)).where(SignIn.user_id.in_(user_ids)).group_by(SignIn.user_id)
    )
    return {user_id: at for user_id, at in rows}


def filter_choices(actor: User) -> tuple[list[Centre], list[ThematicArea]]:
    """The centres and thematic areas of the ERNs whose members the actor sees (every one for an administrator)."""
    erns = (
        list(db.session.scalars(select(Ern).order_by(Ern.code)))
        if actor.is_admin
        else sorted({m.ern for m in actor.memberships if m.role in (Role.COORDINATOR, Role.ERN_MANAGER)}, key=lambda ern: ern.code)
    )
    centres = sorted({centre for ern in erns for centre in ern.centres}, key=lambda centre: centre.code)
    return centres, [area for ern in erns for area in ern.thematic_areas]


def appoint_choices(actor: User) -> tuple[list[Role], list[tuple[Ern, Centre | None]]]:
    """The roles the actor may appoint, and where (an ERN as a whole, or one of its centres), for the appointment form."""
    pairs = [
        (role, ern, centre)
        for ern in db.session.scalars(select(Ern).order_by(Ern.code))
        for role in roles.APPOINTED_ROLES
        if roles.may_appoint(actor, role, ern.id)
        for centre in [None, *ern.centres]
        if roles.fits_scope(role, ern.id, centre)
    ]
    scopes = list(dict.fromkeys((ern, centre) for _role, ern, centre in pairs))
    return [role for role in roles.APPOINTED_ROLES if any(r == role for r, _e, _c in pairs)], scopes


def person(actor: User, user_id: int) -> User | None:
    """An account the actor sees on the members' page, or None."""
    user = db.session.get(User, user_id)
    return user if user is not None and roles.sees_person(actor, user) else None


_SIGNED_IN_USER = (
    select(User)
    .options(selectinload(User.memberships).joinedload(Membership.ern), selectinload(User.memberships).joinedload(Membership.centre))
    .join(SignIn, SignIn.user_id == User.id)
    .where(User.id == bindparam("user_id"), SignIn.token_hash == bindparam("token_hash"), SignIn.ended_at.is_(None))
)


def signed_in_user(user_id: int, token: str) -> User | None:
    """The user of a request whose sign-in has not ended, with the memberships every access decision and the
    navigation use (two queries)."""
    return db.session.scalar(_SIGNED_IN_USER, {"user_id": user_id, "token_hash": sign_in_token_hash(token)})


def sign_in_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
