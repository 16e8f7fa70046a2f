"""Account use cases: signing in and setting preferences."""

from __future__ import annotations

import enum
import secrets
import zoneinfo
from dataclasses import asdict
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from app import security
from app.accounts import queries as account_queries
from app.accounts import second_factor
from app.accounts import steps
from app.accounts import throttling
from app.accounts.models import AccountRequest
from app.accounts.models import Passkey
from app.accounts.models import PasswordToken
from app.accounts.models import RecoveryCode
from app.accounts.models import Role
from app.accounts.models import SignIn
from app.accounts.models import User
from app.accounts.passwords import UNUSABLE_PASSWORD
from app.accounts.passwords import hash_password
from app.accounts.passwords import needs_rehash
from app.accounts.passwords import verify_password
from app.api.models import ApiToken
from app.audit import services as audit
from app.audit.services import SYSTEM as SYSTEM_ORIGIN
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.i18n import LANGUAGES
from app.i18n import language_of
from app.mail import services as mail
from app.notifications.models import writing_in
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.organisations.models import ThematicArea
from app.workflows import store


class LoginStep(enum.StrEnum):
    """What a correct password leads to."""

    SIGNED_IN = "signed_in"  # training account in demo mode: no second factor
    VERIFY = "verify"  # enter a code from the authenticator app (or a recovery code)
    SET_UP = "set_up"  # first login: enrol an authenticator app


def check_password(
    email: str, password: str, origin: RequestInfo, *, training_mode: bool, limits: throttling.Limits
) -> tuple[User, LoginStep] | None:
    """The active user with that e-mail and password and their next login step, or None; audited
    and throttled (TooManyAttempts)."""
    with transaction():
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        throttling.check(origin.remote_addr, user.id if user else None, limits)
        valid = verify_password(user.password_hash if user else None, password)
        ok = valid and user is not None and user.is_active
        if ok and user is not None and needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)  # made with older parameters: bring it up to today's
        audit.record(user if ok else None, "login.password_accepted" if ok else "login.failed", "user", user.id if user else "", origin)
    if not ok or user is None:
        return None
    return user, _next_step(user, training_mode)


def start_sign_in(user: User, origin: RequestInfo) -> str:
    """A new signed-in session for the user; the token goes into the browser's cookie."""
    token = secrets.token_urlsafe(32)
    with transaction():
        db.session.add(SignIn(user_id=user.id, token_hash=account_queries.sign_in_token_hash(token)))
        audit.record(user, "login.started", "user", user.id, origin)
    return token


def end_sign_in(user: User, token: str, origin: RequestInfo, *, reason: str) -> None:
    """End a signed-in session on the server: its cookie, wherever it turns up again, no longer signs anyone in."""
    with transaction():
        db.session.execute(
            update(SignIn)
            .where(SignIn.user_id == user.id, SignIn.token_hash == account_queries.sign_in_token_hash(token), SignIn.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
        audit.record(user, "login.ended", "user", user.id, origin, reason=reason)


def check_identity_provider(claims: dict[str, Any], origin: RequestInfo, *, training_mode: bool) -> tuple[User, LoginStep]:
    """An identity provider vouched for someone: link them to the account with that verified e-mail."""
    email = str(claims.get("email") or "").strip().lower()
    with transaction():
        user = db.session.scalar(select(User).where(func.lower(User.email) == email)) if email else None
        verified = claims.get("email_verified") is True
        ok = user is not None and user.is_active and verified
        audit.record(user if ok else None, "login.identity_provider" if ok else "login.failed", "user", user.id if user else "", origin)
    if not ok or user is None:
        raise NotAllowed(
            _("No active Consilium account uses the verified e-mail address your identity provider gave. Request an account first.")
        )
    return user, _next_step(user, training_mode)


def _next_step(user: User, training_mode: bool) -> LoginStep:
    if training_mode and user.training_account:
        return LoginStep.SIGNED_IN
    return LoginStep.VERIFY if user.totp_secret else LoginStep.SET_UP


def confirm_second_factor(user_id: int, secret: str, code: str, origin: RequestInfo, limits: throttling.Limits) -> list[str]:
    """Enrol the authenticator app the user just scanned; returns ten recovery codes, shown once."""
    with transaction():
        user = _active_user(user_id)
        throttling.check(origin.remote_addr, user.id, limits)
        if user.totp_secret:
            raise Conflict(_("A second factor is already set up for this account."))
        step = second_factor.matching_step(secret, code)
        if step is None:
            audit.record(user, "second_factor.setup_failed", "user", user.id, origin)
            raise InvalidInput(
                _("That code is not right."), {"code": [_("That code is not right: enter the 6-digit code your app shows now.")]}
            )
        user.totp_secret, user.totp_last_step = secret, step
        codes = second_factor.new_recovery_codes()
        db.session.add_all(RecoveryCode(user_id=user.id, code_hash=second_factor.hash_recovery_code(c)) for c in codes)
        audit.record(user, "second_factor.enrolled", "user", user.id, origin)
    return codes


def verify_second_factor(
    user_id: int, code: str, origin: RequestInfo, limits: throttling.Limits, succeeded: str = "login.succeeded"
) -> User:
    """Check a code from the authenticator app (each usable once) or an unused recovery code: to finish a sign-in, or
    (``succeeded`` naming the step) to confirm a step that needs a second factor now, such as creating an API token."""
    with transaction():
        user = _active_user(user_id)
        throttling.check(origin.remote_addr, user.id, limits)
        if not user.totp_secret:
            raise NotAllowed(_("Set up your second factor first."))
        step = second_factor.matching_step(user.totp_secret, code)
        if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
            user.totp_last_step = step
            audit.record(user, succeeded, "user", user.id, origin, factor="totp")
            return user
        recovery = db.session.scalar(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == second_factor.hash_recovery_code(code),
                RecoveryCode.used_at.is_(None),
            )
        )
        if recovery is not None:
            recovery.used_at = utcnow()
            audit.record(user, succeeded, "user", user.id, origin, factor="recovery_code")
            return user
        audit.record(user, "second_factor.failed", "user", user.id, origin, replayed=step is not None)
    # Outside the transaction: the failure is recorded, then the user hears why.
    if step is not None:
        raise InvalidInput(
            _("That code was already used."), {"code": [_("That code was already used: wait for the next code in your app.")]}
        )
    raise InvalidInput(
        _("That code is not right."),
        {"code": [_("That code is not right: enter the 6-digit code your app shows now, or a recovery code.")]},
    )


def _active_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotAllowed(_("This account cannot sign in."))
    return user


@cache
def time_zones() -> tuple[str, ...]:
    """The time zones a user may choose: Europe's, and UTC (read once: listing them opens every file of the
    time-zone database, ≈ 600, which cost the preferences page three quarters of its time)."""
    return ("UTC", *sorted(zone for zone in zoneinfo.available_timezones() if zone.startswith("Europe/")))


def set_preferences(
    actor: User,
    thematic_area_ids: list[int],
    timezone: str,
    origin: RequestInfo,
    specialisation: str | None = None,
    language: str | None = None,
) -> None:
    """Choose the thematic areas the actor wishes to be invited for (of their own ERNs), their time
    zone, their professional role / specialisation and their language ("" for the browser's)."""
    with transaction():
        member_erns = {m.ern_id for m in actor.memberships}
        areas = list(db.session.scalars(select(ThematicArea).where(ThematicArea.id.in_(thematic_area_ids)))) if thematic_area_ids else []
        errors: dict[str, list[str]] = {}
        if len(areas) != len(set(thematic_area_ids)) or any(area.ern_id not in member_erns for area in areas):
            errors["thematic_area"] = [_("Choose thematic areas of your own ERNs.")]
        if timezone not in time_zones():
            errors["timezone"] = [_("Choose a time zone from the list.")]
        if specialisation is not None and not (0 < len(specialisation.strip()) <= 100 and specialisation.isprintable()):
            errors["specialisation"] = [_("Give your professional role in at most 100 characters.")]
        if language is not None and language not in ("", *LANGUAGES):
            errors["language"] = [_("Choose a language from the list.")]
        if errors:
            raise InvalidInput(_("Your preferences were not saved."), errors)
        actor.thematic_areas = areas
        actor.timezone = timezone
        if language is not None:
            actor.language = language
        if specialisation is not None:
            actor.specialisation = specialisation.strip()
        audit.record(
            actor,
            "preferences.updated",
            "user",
            actor.id,
            origin,
            thematic_areas=sorted(a.id for a in areas),
            timezone=timezone,
            language=actor.language,
        )


REQUESTABLE_ROLES = (Role.MEMBER_EXPERT, Role.GUEST_EXPERT, Role.RESEARCHER)
MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True)
class AccountApplication:
    email: str
    first_name: str
    last_name: str
    ern_id: int
    centre_id: int
    role: str
    specialisation: str
    reason: str


def request_account(application: AccountApplication, origin: RequestInfo) -> int:
    """Ask for access to an ERN at a centre (or its guest centre); a coordinator of the ERN decides."""
    with transaction():
        ern = db.session.get(Ern, application.ern_id)
        centre = db.session.get(Centre, application.centre_id)
        errors: dict[str, list[str]] = {}
        if ern is None:
            errors["ern"] = [_("Choose a network.")]
        if centre is None or ern is None or ern not in centre.erns:
            errors["centre"] = [_("Choose a centre of that network, or its guest centre.")]
        if application.role not in {role.value for role in REQUESTABLE_ROLES}:
            errors["role"] = [_("Choose a role from the list.")]
        elif centre is not None and (application.role == Role.GUEST_EXPERT) != centre.is_guest:
            errors["role"] = [_("Guest experts join the guest centre; members join their own centre.")]
        if errors:
            raise InvalidInput(_("Your request was not sent."), errors)
        request = AccountRequest(**asdict(application))
        db.session.add(request)
        db.session.flush()
        store.start(
            "account_request",
            subject_type="account_request",
            subject_id=request.id,
            ern_id=application.ern_id,
            centre_id=None,
            data={"account_request_id": request.id},
            actor=None,
        )
        audit.record(None, "account.requested", "account_request", request.id, origin, ern=ern.code if ern else "")
    return request.id


def set_password(token: str, password: str, origin: RequestInfo) -> User:
    """Set a password through a single-use, unexpired link."""
    with transaction():
        link = db.session.scalar(select(PasswordToken).where(PasswordToken.token_hash == steps.token_hash(token)).with_for_update())
        if link is None or link.used_at is not None or link.expires_at < utcnow():
            raise NotAllowed(_("This link is no longer valid. Ask for a new one from the sign-in page."))
        if len(password) < MIN_PASSWORD_LENGTH or len(password) > 500:
            raise InvalidInput(_("Choose another password."), {"password": [_("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)]})
        link.used_at = utcnow()
        link.user.password_hash = hash_password(password)
        audit.record(link.user, "password.set", "user", link.user.id, origin)
        return link.user


def request_password_reset(email: str, origin: RequestInfo, limits: throttling.Limits) -> None:
    """E-mail a password link if the account exists (the answer is the same either way)."""
    with transaction():
        throttling.check(origin.remote_addr, None, limits)
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower(), User.active))
        # Counted as a failure so that one address cannot mail-bomb users with reset links.
        audit.record(None, "login.failed", "user", "", origin, reason="password_reset_requested")
        if user is not None:
            link = steps.new_password_link(user)
            with writing_in(language_of(user)):
                subject = _("Reset your Consilium password")
                body = _(
                    "Someone asked to reset the password of your Consilium account.\n\n"
                    "Set a new password (the link works once):\n%(link)s\n\n"
                    "If it was not you, ignore this mail; your password has not changed.",
                    link=link,
                )
            mail.queue(user.email, subject, body + "\n")


def reset_second_factor(actor: User, user_id: int, origin: RequestInfo) -> None:
    """A coordinator (of one of the user's ERNs) or an administrator clears a lost second factor (the authenticator
    app, the recovery codes, the passkeys, and the user's API tokens); the user enrols a new one at their next sign-in."""
    with transaction():
        user = db.session.get(User, user_id)
        if user is None or not security.can_manage_account(actor, user):
            raise NotFound(_("No such account."))
        user.totp_secret, user.totp_last_step = None, None
        for code in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
            db.session.delete(code)
        # Passkeys are second factors too: a lost or stolen device may hold one.
        for passkey in db.session.scalars(select(Passkey).where(Passkey.user_id == user.id)):
            db.session.delete(passkey)
        # API tokens were made on the strength of that second factor (a lost or stolen phone): they end with it.
        for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
            token.revoked_at = utcnow()
            audit.record(actor, "api_token.revoked", "api_token", token.id, origin, reason="second factor reset")
        audit.record(actor, "second_factor.reset", "user", user.id, origin)


def extend_guest_account(actor: User, user_id: int, days: int, origin: RequestInfo) -> None:
    """A coordinator gives a guest account more time (from today, or from its expiry if later)."""
    with transaction():
        user = db.session.get(User, user_id)
        if user is None or not security.can_manage_account(actor, user):
            raise NotFound(_("No such account."))
        if user.expires_at is None:
            raise Conflict(_("This account does not expire."))
        user.expires_at = max(user.expires_at, utcnow()) + timedelta(days=days)
        user.expiry_warned_at = None  # a new end: a new warning a week before it
        audit.record(actor, "account.extended", "user", user.id, origin, days=days)


def create_administrator(email: str, first_name: str, last_name: str) -> str:
    """Create the first system administrator (command line only); returns the link to set a password."""
    with transaction():
        if db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower())) is not None:
            raise Conflict(_("An account with that e-mail exists already."))
        user = User(
            email=email.strip().lower(),
            first_name=first_name,
            last_name=last_name,
            specialisation="System administrator",
            password_hash=UNUSABLE_PASSWORD,
            is_admin=True,
        )
        db.session.add(user)
        db.session.flush()
        link = steps.new_password_link(user)
        audit.record(None, "account.administrator_created", "user", user.id, SYSTEM_ORIGIN)
    return link
