from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts import services as account_services
from app.errors import InvalidInput
from app.organisations import queries as organisation_queries
from app.requests import origin
from app.security import LOGIN
from app.security import requires
from app.tasks import queries as task_queries

bp = Blueprint("main", __name__)


@bp.route("/")
@requires(LOGIN)
def dashboard() -> str:
    return render_template(
        "main/dashboard.html",
        tasks=task_queries.open_tasks_for(current_user),
        centres=organisation_queries.clinical_centres_of(current_user),
        erns=organisation_queries.erns_of(current_user),
    )


@bp.route("/preferences", methods=["GET", "POST"])
@requires(LOGIN)
def preferences() -> str | Response:
    erns = organisation_queries.erns_of(current_user)
    if request.method == "POST":
        try:
            ids = [int(value) for value in request.form.getlist("thematic_area")]
            account_services.set_thematic_areas(current_user, ids, origin())
        except (ValueError, InvalidInput):
            flash(_("Choose thematic areas of your own ERNs."), "danger")
        else:
            flash(_("Your preferences are saved."), "success")
            return redirect(url_for("main.preferences"))
    chosen = {area.id for area in current_user.thematic_areas}
    return render_template("main/preferences.html", erns=erns, chosen=chosen)
