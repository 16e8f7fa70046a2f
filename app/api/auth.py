"""Who calls the API: a personal access token in the Authorization header, never the browser's session cookie, so
that no web page can make a signed-in browser write through the API (no CSRF), and a token never opens a web page."""

from __future__ import annotations

from flask import current_app
from flask import g
from flask import request
from flask.wrappers import Response
from flask_babel import gettext as _

from app.api import tokens
from app.api.models import READ
from app.errors import API_PREFIX
from app.errors import problem
from app.security import PUBLIC
from app.security import access_rule

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="consilium"'}


def authenticate() -> Response | None:
    """before_request, ahead of the session's time-outs and the declared access rules: an API request is signed in
    with its token for this request only (Flask-Login's current user, without reading or writing the session)."""
    if g.pop("api_token_id", None) is not None:  # an app context pushed around several requests (tests) keeps g
        g.pop("api_token", None)
        g.pop("_login_user", None)
    if not request.path.startswith(API_PREFIX) or request.endpoint is None:
        return None
    if access_rule(current_app, request.endpoint) == PUBLIC:  # the OpenAPI document and its page
        return None
    scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
    token = tokens.live(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        return problem(
            401, _("Send a valid personal access token: Authorization: Bearer <token> (see Preferences → API tokens)."), headers=CHALLENGE
        )
    wait = tokens.count_request(token.id, int(current_app.config["API_RATE_LIMIT_PER_MINUTE"]))
    if wait is not None:
        return problem(
            429, _("Too many requests with this token: wait %(seconds)d seconds.", seconds=wait), headers={"Retry-After": str(wait)}
        )
    if token.scope == READ and request.method not in SAFE_METHODS:
        return problem(403, _("This token may only read: create a token with the write scope to change anything."))
    g.api_token_id = token.id
    g.api_token = token
    # What Flask-Login's request loader does: the current user for this request, nothing kept in the session.
    g._login_user = token.user
    return None
