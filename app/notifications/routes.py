from __future__ import annotations

from flask import Blueprint
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.notifications import queries
from app.notifications import services
from app.security import LOGIN
from app.security import requires

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@requires(LOGIN)
def index() -> str:
    return render_template("notifications/index.html", notifications=queries.recent_for(current_user))


@bp.route("/read", methods=["POST"])
@requires(LOGIN)
def mark_read() -> Response:
    services.mark_all_read(current_user)
    return redirect(url_for("notifications.index"))
