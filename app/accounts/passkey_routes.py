"""Pages: passkeys (WebAuthn) — register, name, remove; sign in with one.

The ceremonies are JSON (app/static/passkeys.js calls navigator.credentials and posts the answer, with the CSRF token
in the X-CSRFToken header); the list, renaming and removing are plain forms."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts import passkeys
from app.accounts import sessions
from app.accounts import throttling
from app.errors import ConsiliumError
from app.errors import InvalidInput
from app.requests import origin
from app.security import LOGIN
from app.security import public
from app.security import requires

bp = Blueprint("passkeys", __name__)


def _rp() -> passkeys.RelyingParty:
    return passkeys.relying_party(str(current_app.config["PUBLIC_URL"]))


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _refused(error: ConsiliumError) -> tuple[Response, int]:
    return jsonify(error=error.message or _("The passkey could not be checked. Try again.")), error.status


@bp.route("/preferences/passkeys")
@requires(LOGIN)
def index() -> str:
    return render_template("accounts/passkeys.html", passkeys=passkeys.passkeys_of(current_user.id))


@bp.route("/preferences/passkeys/options", methods=["POST"])
@requires(LOGIN)
def registration_options() -> Response:
    return Response(passkeys.registration_options(current_user, _rp()), mimetype="application/json")


@bp.route("/preferences/passkeys", methods=["POST"])
@requires(LOGIN)
def register() -> Response | tuple[Response, int]:
    body = _body()
    credential = body.get("credential")
    if not isinstance(credential, dict):
        return jsonify(error=_("The browser sent no passkey. Try again.")), 400
    try:
        passkey = passkeys.register(current_user, str(body.get("name") or ""), credential, _rp(), origin())
    except ConsiliumError as error:
        if isinstance(error, InvalidInput) and error.field_errors.get("name"):
            return jsonify(error=error.field_errors["name"][0]), error.status
        return _refused(error)
    flash(_("The passkey “%(name)s” is registered. You can sign in with it.", name=passkey.name), "success")
    return jsonify(redirect=url_for("passkeys.index"))


@bp.route("/preferences/passkeys/<int:passkey_id>/rename", methods=["POST"])
@requires(LOGIN)
def rename(passkey_id: int) -> Response:
    try:
        passkeys.rename(current_user, passkey_id, request.form.get("name", ""), origin())
    except InvalidInput as error:
        flash(error.field_errors.get("name", [error.message])[0], "danger")
    else:
        flash(_("The passkey was renamed."), "success")
    return redirect(url_for("passkeys.index"))


@bp.route("/preferences/passkeys/<int:passkey_id>/remove", methods=["POST"])
@requires(LOGIN)
def remove(passkey_id: int) -> Response:
    name = passkeys.remove(current_user, passkey_id, origin())
    flash(_("The passkey “%(name)s” was removed: it no longer signs you in.", name=name), "success")
    return redirect(url_for("passkeys.index"))


@bp.route("/login/passkey/options", methods=["POST"])
@public
def sign_in_options() -> Response | tuple[Response, int]:
    """Options to sign in with a passkey: the second factor of the half-finished login, or password-less."""
    if _body().get("mode") == passkeys.SECOND_FACTOR:
        pending = sessions.pending_login()
        if pending is None:
            return jsonify(error=_("Please sign in again."), redirect=url_for("accounts.login")), 400
        return Response(passkeys.authentication_options(_rp(), int(pending["user_id"])), mimetype="application/json")
    return Response(passkeys.authentication_options(_rp()), mimetype="application/json")


@bp.route("/login/passkey", methods=["POST"])
@public
def sign_in() -> Response | tuple[Response, int]:
    body = _body()
    credential = body.get("credential")
    if not isinstance(credential, dict):
        return jsonify(error=_("The browser sent no passkey. Try again.")), 400
    second_factor = body.get("mode") == passkeys.SECOND_FACTOR
    pending = sessions.pending_login() if second_factor else None
    if second_factor and pending is None:
        return jsonify(error=_("Please sign in again."), redirect=url_for("accounts.login")), 400
    limits = throttling.limits_of(current_app.config)
    try:
        user = passkeys.authenticate(credential, _rp(), origin(), limits, user_id=int(pending["user_id"]) if pending else None)
    except ConsiliumError as error:
        return _refused(error)
    next_url = pending["next"] if pending else _safe_next(str(body.get("next") or ""))
    sessions.finish_login(user)
    return jsonify(redirect=next_url)


def _safe_next(target: str) -> str:
    """A path on this site to go to after signing in, else the dashboard."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target and not urlsplit(target).netloc:
        return target
    return url_for("main.dashboard")
