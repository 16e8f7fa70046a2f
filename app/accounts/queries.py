"""Reads of accounts, filtered in SQL by who may manage them."""

from __future__ import annotations

import hashlib

from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import security
from app.accounts.models import Membership
from app.accounts.models import SignIn
from app.accounts.models import User
from app.database import db


def managed_accounts(actor: User) -> list[User]:
    query = (
        select(User)
        .where(security.managed_accounts_filter(actor, User))
        .options(selectinload(User.memberships).joinedload(Membership.centre), selectinload(User.memberships).joinedload(Membership.ern))
        .order_by(User.last_name, User.first_name)
    )
    return list(db.session.scalars(query))


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
