"""Passkeys (WebAuthn): register several per account, name and remove them; sign in with one, as the second factor
after the password or without a password (a discoverable credential names its user).

The relying party is the site of PUBLIC_URL: its origin (scheme://host[:port]) is the only origin accepted, and its
host is the RP ID, so a passkey answering another site (phishing) is refused. A ceremony's challenge is kept in the
Flask session, used once (taken out when the answer comes) and valid for CHALLENGE_SECONDS. Key material is never
logged nor audited: the audit log names passkeys by their row id.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import webauthn
from flask import session
from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy import select
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse
from webauthn.helpers.exceptions import InvalidRegistrationResponse
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import AuthenticatorSelectionCriteria
from webauthn.helpers.structs import AuthenticatorTransport
from webauthn.helpers.structs import PublicKeyCredentialDescriptor
from webauthn.helpers.structs import ResidentKeyRequirement
from webauthn.helpers.structs import UserVerificationRequirement

from app.accounts import throttling
from app.accounts.models import Passkey
from app.accounts.models import UsedPasskeyChallenge
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound

CHALLENGE_SECONDS = 300
MAX_PASSKEYS = 20
_CHALLENGE = "passkey_challenge"
REGISTER = "register"
SECOND_FACTOR = "second_factor"
PASSWORDLESS = "passwordless"
_TRANSPORTS = {transport.value: transport for transport in AuthenticatorTransport}


@dataclass(frozen=True)
class RelyingParty:
    id: str  # the host: example.org
    origin: str  # https://example.org[:port]
    name: str = "Consilium"


def relying_party(public_url: str) -> RelyingParty:
    """The relying party of the site at ``public_url`` (PUBLIC_URL): its host is the RP ID, scheme://host[:port] the origin."""
    parts = urlsplit(public_url.strip())
    if not parts.scheme or not parts.hostname:
        raise ValueError(f"PUBLIC_URL {public_url!r} is not an absolute URL")
    default_port = {"https": 443, "http": 80}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return RelyingParty(id=parts.hostname, origin=f"{parts.scheme}://{parts.hostname}{port}")


# The challenge: in the Flask session, single use, expiring ------------------------------------------------------


def _remember(purpose: str, challenge: bytes, **state: Any) -> None:
    session[_CHALLENGE] = {"purpose": purpose, "challenge": bytes_to_base64url(challenge), "at": time.time(), **state}


def _take(purpose: str) -> dict[str, Any]:
    """The challenge of the ceremony under way for ``purpose``, removed from the session (it serves once)."""
    state = session.pop(_CHALLENGE, None)
    if not isinstance(state, dict) or state.get("purpose") != purpose:
        raise InvalidInput(_("No passkey request is under way here. Try again."))
    if time.time() - float(state.get("at", 0)) > CHALLENGE_SECONDS:
        raise InvalidInput(_("The passkey request expired. Try again."))
    return state


def _descriptors(passkeys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(passkey.credential_id),
            transports=[_TRANSPORTS[t] for t in passkey.transports.split(",") if t in _TRANSPORTS] or None,
        )
        for passkey in passkeys
    ]


def passkeys_of(user_id: int) -> list[Passkey]:
    return list(db.session.scalars(select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.created_at, Passkey.id)))


def has_passkeys(user_id: int) -> bool:
    return db.session.scalar(select(Passkey.id).where(Passkey.user_id == user_id).limit(1)) is not None


# Registration ----------------------------------------------------------------------------------------------------


def registration_options(user: User, rp: RelyingParty) -> str:
    """Options for navigator.credentials.create() (JSON); the challenge waits in the session."""
    existing = passkeys_of(user.id)
    # One user handle per account: every passkey of the account names the same user (random: no personal data).
    handle = base64url_to_bytes(existing[0].user_handle) if existing else secrets.token_bytes(32)
    options = webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user.email,
        user_id=handle,
        user_display_name=user.full_name,
        exclude_credentials=_descriptors(existing),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
    )
    _remember(REGISTER, options.challenge, user_id=user.id, user_handle=bytes_to_base64url(handle))
    return webauthn.options_to_json(options)


def register(user: User, name: str, credential: dict[str, Any] | str, rp: RelyingParty, origin: RequestInfo) -> Passkey:
    """Keep the passkey the browser just created (named by the user), once its answer checks out."""
    state = _take(REGISTER)
    name = " ".join(name.split())
    if not 0 < len(name) <= 100:
        raise InvalidInput(_("Name your passkey."), {"name": [_("Give the passkey a name of at most 100 characters.")]})
    if int(state.get("user_id", 0)) != user.id:
        raise InvalidInput(_("No passkey request is under way here. Try again."))
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(str(state["challenge"])),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except (InvalidRegistrationResponse, WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise InvalidInput(_refusal(str(error), registering=True)) from None
    credential_id = bytes_to_base64url(verified.credential_id)
    response = credential.get("response") if isinstance(credential, dict) else None
    transports = response.get("transports") if isinstance(response, dict) else None
    if not isinstance(transports, list):
        transports = []
    with transaction():
        user = _active_user(user.id)
        if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)) is not None:
            raise InvalidInput(_("This passkey is registered already."))
        if len(passkeys_of(user.id)) >= MAX_PASSKEYS:
            raise InvalidInput(_("An account has at most %(n)d passkeys: remove one first.", n=MAX_PASSKEYS))
        passkey = Passkey(
            user_id=user.id,
            credential_id=credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            user_handle=str(state["user_handle"]),
            name=name,
            transports=",".join(t for t in (transports or []) if isinstance(t, str) and t in _TRANSPORTS)[:200],
        )
        db.session.add(passkey)
        db.session.flush()
        audit.record(user, "passkey.registered", "user", user.id, origin, passkey=passkey.id)
    return passkey


# Authentication --------------------------------------------------------------------------------------------------


def authentication_options(rp: RelyingParty, user_id: int | None = None) -> str:
    """Options for navigator.credentials.get() (JSON): for the second factor of ``user_id`` (their passkeys), or
    password-less (None: any discoverable passkey of this site, which names its user)."""
    allowed = _descriptors(passkeys_of(user_id)) if user_id is not None else []
    options = webauthn.generate_authentication_options(
        rp_id=rp.id,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED if user_id is not None else UserVerificationRequirement.REQUIRED,
    )
    _remember(SECOND_FACTOR if user_id is not None else PASSWORDLESS, options.challenge, user_id=user_id)
    return webauthn.options_to_json(options)


def authenticate(
    credential: dict[str, Any] | str, rp: RelyingParty, origin: RequestInfo, limits: throttling.Limits, *, user_id: int | None = None
) -> User:
    """The user a passkey's answer signs in: as the second factor of ``user_id`` (whose password was right), or
    password-less (None: the passkey names its user, and must have verified them: PIN or biometrics). Failures are
    audited as failed sign-ins and count in the sign-in throttle (TooManyAttempts)."""
    state = _take(SECOND_FACTOR if user_id is not None else PASSWORDLESS)
    if user_id is not None and state.get("user_id") != user_id:
        raise InvalidInput(_("No passkey request is under way here. Try again."))
    parsed = credential if isinstance(credential, dict) else _json(credential)
    credential_id = str(parsed.get("rawId") or parsed.get("id") or "")[:1400]
    problem = ""
    with transaction():
        throttling.check(origin.remote_addr, user_id, limits)
        passkey = db.session.scalar(select(Passkey).where(Passkey.credential_id == credential_id)) if credential_id else None
        user = db.session.get(User, passkey.user_id if passkey else user_id) if (passkey or user_id) else None
        if user is not None and user_id is None:
            throttling.check(origin.remote_addr, user.id, limits)
        if passkey is None or user is None or (user_id is not None and passkey.user_id != user_id):
            problem = _("This passkey is not registered for your account (it may have been removed). Use another, or your code.")
        elif not user.is_active:
            problem = _("This account cannot sign in.")
        elif user_id is None and not _same_handle(parsed, passkey):
            problem = _("This passkey is not registered for your account (it may have been removed). Use another, or your code.")
        else:
            try:
                verified = webauthn.verify_authentication_response(
                    credential=parsed,
                    expected_challenge=base64url_to_bytes(str(state["challenge"])),
                    expected_rp_id=rp.id,
                    expected_origin=rp.origin,
                    credential_public_key=passkey.public_key,
                    credential_current_sign_count=passkey.sign_count,
                    require_user_verification=user_id is None,
                )
            except (InvalidAuthenticationResponse, WebAuthnException, ValueError, KeyError, TypeError) as error:
                problem = _refusal(str(error), registering=False)
            else:
                if _served_before(str(state["challenge"])):
                    raise NotAllowed(_("This passkey answer was used already. Sign in again."))
                passkey.sign_count = verified.new_sign_count
                passkey.last_used_at = utcnow()
                factor = {"factor": "passkey", "passkey": passkey.id, "passwordless": user_id is None}
                audit.record(user, "login.succeeded", "user", user.id, origin, **factor)
                return user
        if user is None:
            audit.record(None, "login.failed", "user", "", origin, reason="unknown passkey")
        else:
            audit.record(user, "second_factor.failed", "user", user.id, origin, factor="passkey", passkey=passkey.id if passkey else None)
    # Outside the transaction: the failure is recorded, then the user hears why.
    raise NotAllowed(problem)


def _served_before(challenge: str) -> bool:
    """Whether this challenge already served a sign-in (an old copy of the session cookie replayed); records it if not.
    Called inside the sign-in's transaction: a replay racing the first use fails on the primary key."""
    digest = hashlib.sha256(challenge.encode()).hexdigest()
    if db.session.get(UsedPasskeyChallenge, digest) is not None:
        return True
    expired = utcnow() - timedelta(seconds=2 * CHALLENGE_SECONDS)
    db.session.execute(delete(UsedPasskeyChallenge).where(UsedPasskeyChallenge.used_at < expired))
    db.session.add(UsedPasskeyChallenge(challenge_hash=digest))
    return False


def _same_handle(parsed: dict[str, Any], passkey: Passkey) -> bool:
    """A discoverable passkey names its user (userHandle): it must be the account the passkey was registered for."""
    response = parsed.get("response")
    if not isinstance(response, dict):
        return False
    handle = response.get("userHandle")
    return handle is None or handle == "" or (isinstance(handle, str) and handle == passkey.user_handle)


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _refusal(reason: str, *, registering: bool) -> str:
    """What the user hears when the library refuses an answer (its reason itself goes nowhere: no key material)."""
    lowered = reason.lower()
    if "origin" in lowered:
        return _("The passkey answered for another site than this one: use Consilium at its own address, never through a link.")
    if "rp id" in lowered:
        return _("The passkey belongs to another site than this one.")
    if "sign count" in lowered:
        return _("This passkey's counter went backwards: it may have been copied. It was refused; tell your coordinator.")
    if "user verification" in lowered or "user was not verified" in lowered:
        return _("The passkey did not check that it is you (PIN or fingerprint). Try again, or sign in with your password.")
    if "challenge" in lowered:
        return _("The passkey answered another request. Try again.")
    if registering:
        return _("The passkey could not be registered. Try again.")
    return _("The passkey could not be checked. Try again, or use your code.")


# Managing one's own passkeys ----------------------------------------------------------------------------------------


def rename(user: User, passkey_id: int, name: str, origin: RequestInfo) -> None:
    name = " ".join(name.split())
    with transaction():
        passkey = _own(user, passkey_id)
        if not 0 < len(name) <= 100:
            raise InvalidInput(_("The passkey was not renamed."), {"name": [_("Give the passkey a name of at most 100 characters.")]})
        passkey.name = name
        audit.record(user, "passkey.renamed", "user", user.id, origin, passkey=passkey.id)


def remove(user: User, passkey_id: int, origin: RequestInfo) -> str:
    """Remove one of the user's own passkeys; returns its name."""
    with transaction():
        passkey = _own(user, passkey_id)
        name = passkey.name
        db.session.delete(passkey)
        audit.record(user, "passkey.removed", "user", user.id, origin, passkey=passkey_id)
    return name


def _own(user: User, passkey_id: int) -> Passkey:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise NotFound(_("No such passkey."))
    return passkey


def _active_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotAllowed(_("This account cannot sign in."))
    return user
