"""Personal access tokens: created by their owner after a fresh second-factor code, shown once, stored as a SHA-256
hash, read or write, expiring, revocable; each request is counted against a per-minute limit in the shared database."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import case
from sqlalchemy import select
from sqlalchemy import update

from app.accounts import services as account_services
from app.accounts import throttling
from app.accounts.models import User
from app.api.models import READ
from app.api.models import WRITE
from app.api.models import ApiToken
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.errors import InvalidInput
from app.errors import NotFound

PREFIX = "csm_"  # tells a Consilium token apart in a secret scanner or a log
SCOPES = (READ, WRITE)


def hash_of(secret: str) -> str:
    # A token carries 256 random bits: a plain hash suffices and lets the database find it.
    return hashlib.sha256(secret.encode()).hexdigest()


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked and expired ones included (with their state)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def create(
    actor: User, name: str, scope: str, days: int, code: str, origin: RequestInfo, limits: throttling.Limits, max_days: int
) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once). The actor confirms with a fresh code from their authenticator app:
    a token must not outlive the purpose of the second factor (someone at an unlocked screen cannot mint one)."""
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 100:
        errors["name"] = [_("Name the token (up to 100 characters): what uses it, for example the hospital's record system.")]
    if scope not in SCOPES:
        errors["scope"] = [_("Choose read, or read and write.")]
    if not 1 <= days <= max_days:
        errors["days"] = [_("A token lives from 1 to %(days)d days.", days=max_days)]
    if errors:
        raise InvalidInput(_("The token was not created: see the fields marked."), errors)
    if not actor.totp_secret:
        raise InvalidInput(
            _("Set up a second factor (an authenticator app) for your account before creating an API token."),
            {"code": [_("Your account has no second factor yet.")]},
        )
    account_services.verify_second_factor(actor.id, code, origin, limits, succeeded="second_factor.confirmed")
    secret = PREFIX + secrets.token_urlsafe(32)
    with transaction():
        token = ApiToken(
            user_id=actor.id,
            name=name,
            token_hash=hash_of(secret),
            prefix=secret[: len(PREFIX) + 4],
            scope=scope,
            expires_at=utcnow() + timedelta(days=days),
        )
        db.session.add(token)
        db.session.flush()
        audit.record(actor, "api_token.created", "api_token", token.id, origin, scope=scope, days=days)
    return token, secret


def revoke(actor: User, token_id: int, origin: RequestInfo) -> ApiToken:
    """The owner ends a token at once; revoking it again changes nothing."""
    with transaction():
        token = db.session.get(ApiToken, token_id)
        if token is None or token.user_id != actor.id:
            raise NotFound(_("No such token."))
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            audit.record(actor, "api_token.revoked", "api_token", token.id, origin)
    return token


def live(secret: str) -> ApiToken | None:
    """The token this secret belongs to, if it is neither revoked nor expired and its owner may still sign in."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_of(secret)))
    if token is None or token.revoked_at is not None or token.expires_at <= utcnow() or not token.user.is_active:
        return None
    return token


def count_request(token_id: int, per_minute: int) -> int | None:
    """Count one request in the token's current minute and note its use; the seconds to wait when over the limit.

    One UPDATE … RETURNING: the count is the database's, so that several app processes share one limit."""
    now = time.time()
    minute = int(now // 60)
    with transaction():
        count = db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id)
            .values(
                window_count=case((ApiToken.window_start == minute, ApiToken.window_count + 1), else_=1),
                window_start=minute,
                last_used_at=utcnow(),
            )
            .returning(ApiToken.window_count)
        ).scalar_one()
    return None if count <= per_minute else max(1, 60 - int(now % 60))
