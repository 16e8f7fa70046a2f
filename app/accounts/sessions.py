"""Signed-in sessions: rotation at login, ended on the server at sign-out, idle and absolute time-outs, the
half-finished login."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user

from app.accounts import services
from app.accounts.models import User
from app.requests import origin
from app.security import by_token

_PENDING = "pending_login"
_SIGN_IN = "sign_in"
_SIGNED_IN_AT = "signed_in_at"
_LAST_SEEN = "last_seen"
PENDING_SECONDS = 300  # time to enter the second factor after the password


def start_pending_login(user: User, next_url: str) -> None:
    """The password was right; the second factor is still to come."""
    session.clear()
    session[_PENDING] = {"user_id": user.id, "since": time.time(), "next": next_url}


def pending_login() -> dict[str, Any] | None:
    pending = session.get(_PENDING)
    if not pending or time.time() - float(pending.get("since", 0)) > PENDING_SECONDS:
        session.pop(_PENDING, None)
        return None
    return dict(pending)


def finish_login(user: User) -> None:
    """Sign the user in with a fresh session (no fixation: nothing from before survives)."""
    session.clear()
    login_user(user)
    session.permanent = True
    session[_SIGN_IN] = services.start_sign_in(user, origin())
    session[_SIGNED_IN_AT] = session[_LAST_SEEN] = time.time()


def sign_in_token() -> str:
    return str(session.get(_SIGN_IN, ""))


def end_session(reason: str) -> None:
    """Sign out here and on the server: a copy of this cookie (or a late response that sets it again) is worthless."""
    if current_user.is_authenticated and session.get(_SIGN_IN):
        services.end_sign_in(current_user, sign_in_token(), origin(), reason=reason)
    logout_user()
    session.clear()


def enforce_time_outs() -> Any:
    """before_request: end sessions idle too long or older than the absolute limit."""
    if not current_user.is_authenticated or by_token():  # an API request has no session: its token has its own life
        return None
    now = time.time()
    idle = float(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    absolute = float(current_app.config["SESSION_ABSOLUTE_HOURS"]) * 3600
    signed_in_at = float(session.get(_SIGNED_IN_AT, 0))
    last_seen = float(session.get(_LAST_SEEN, 0))
    # A disabled or expired account loses its open sessions too, not only future sign-ins.
    if now - last_seen > idle or now - signed_in_at > absolute or not current_user.is_active:
        end_session("timed out" if current_user.is_active else "account closed")
        flash(_("Your session ended; please sign in again."), "info")
        return redirect(url_for("accounts.login", next=request.full_path if request.method == "GET" else None))
    session[_LAST_SEEN] = now
    return None
