"""Preferences → API tokens: create (with a fresh second-factor code; the secret shown once), list and revoke."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import throttling
from app.api import tokens
from app.api.models import READ
from app.database import utcnow
from app.errors import InvalidInput
from app.requests import origin
from app.security import LOGIN
from app.security import requires

bp = Blueprint("api_tokens", __name__, url_prefix="/preferences/api-tokens")

DEFAULT_DAYS = 90


def _limits() -> throttling.Limits:
    return throttling.limits_of(current_app.config)


def _page(status: int = 200, errors: dict[str, list[str]] | None = None, secret: str = "") -> tuple[str, int]:
    return render_template(
        "api/tokens.html",
        tokens=tokens.tokens_of(current_user),
        now=utcnow(),
        errors=errors or {},
        secret=secret,
        form=request.form if errors else {},
        default_days=DEFAULT_DAYS,
        max_days=int(current_app.config["API_TOKEN_MAX_DAYS"]),
        has_second_factor=bool(current_user.totp_secret),
    ), status


@bp.route("/")
@requires(LOGIN)
def index() -> tuple[str, int]:
    return _page()


@bp.route("/", methods=["POST"])
@requires(LOGIN)
def create() -> tuple[str, int] | Response:
    form = request.form
    days = form.get("days", "").strip()
    try:
        token, secret = tokens.create(
            current_user,
            form.get("name", ""),
            form.get("scope", READ),
            int(days) if days.isascii() and days.isdigit() and len(days) < 6 else 0,
            form.get("code", ""),
            origin(),
            _limits(),
            int(current_app.config["API_TOKEN_MAX_DAYS"]),
        )
    except InvalidInput as error:
        flash(error.message, "danger")
        return _page(422, error.field_errors)
    flash(_("Token %(name)s created. Copy it now: it is not shown again.", name=token.name), "success")
    page, status = _page(201, secret=secret)
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"  # the secret, once: not in the browser's cache or history
    return response


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@requires(LOGIN)
def revoke(token_id: int) -> Response:
    token = tokens.revoke(current_user, token_id, origin())
    flash(_("Token %(name)s is revoked: it no longer opens the API.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))
