"""/api/v1/me and /api/v1/notifications: who the token speaks for, and their notifications."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_login import current_user
from flask_smorest import Blueprint

from app.api import cursors
from app.api import queries
from app.api.patients_routes import page_size
from app.api.schemas import ListArgs
from app.api.schemas import MeSchema
from app.api.schemas import NotificationPage
from app.notifications.models import Notification
from app.security import TOKEN
from app.security import requires

bp = Blueprint("api_account", __name__, url_prefix="/api/v1", description="You and your notifications")


@bp.route("/me")
@requires(TOKEN)
@bp.response(200, MeSchema)
def me() -> dict[str, Any]:
    """The account the token acts for, and the token's scope and expiry."""
    user = current_user._get_current_object()
    return {
        "id": user.id,
        "full_name": user.full_name,
        "email": user.email,
        "token_scope": g.api_token.scope,
        "token_expires_at": g.api_token.expires_at,
    }


@bp.route("/notifications")
@requires(TOKEN)
@bp.arguments(ListArgs, location="query", as_kwargs=True)
@bp.response(200, NotificationPage)
def list_notifications(**args: Any) -> cursors.Page:
    """Your notifications, oldest first (the web's bell lists the newest)."""
    return cursors.page("notifications", queries.notifications(current_user), Notification.id, args["cursor"], page_size(args))
