from __future__ import annotations

from flask import Blueprint
from flask import current_app
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
from app.panels import queries as panel_queries
from app.requests import origin
from app.requests import row_ids
from app.security import LOGIN
from app.security import requires
from app.tasks import queries as task_queries

bp = Blueprint("main", __name__)


@bp.route("/")
@requires(LOGIN)
def dashboard() -> str:
    tasks = task_queries.open_tasks_for(current_user)
    panel_dashboard = panel_queries.dashboard(current_user)
    titles = panel_queries.panel_titles(
        {t.subject_id for t in tasks if t.subject_type == "panel" and t.subject_id} | {e.panel_id for e in panel_dashboard.activity}
    )
    return render_template(
        "main/dashboard.html",
        tasks=tasks,
        invitations=panel_dashboard.invitations,
        activity=panel_dashboard.activity,
        panel_titles=titles,
    )


@bp.route("/preferences", methods=["GET", "POST"])
@requires(LOGIN)
def preferences() -> tuple[str, int] | Response:
    erns = organisation_queries.erns_of(current_user)
    chosen = {area.id for area in current_user.thematic_areas}
    timezone = current_user.timezone or current_app.config["DEFAULT_TIMEZONE"]
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        raw_ids = request.form.getlist("thematic_area")
        timezone = request.form.get("timezone", "")
        chosen = set(row_ids(raw_ids))
        try:
            if len(chosen) != len(raw_ids):
                raise InvalidInput(_("Your preferences were not saved."), {"thematic_area": [_("Choose thematic areas of your own ERNs.")]})
            account_services.set_preferences(current_user, sorted(chosen), timezone, origin(), request.form.get("specialisation", ""))
        except InvalidInput as error:
            errors = error.field_errors
            flash(error.message, "danger")
        else:
            flash(_("Your preferences are saved."), "success")
            return redirect(url_for("main.preferences"))
    return render_template(
        "main/preferences.html",
        erns=erns,
        chosen=chosen,
        timezone=timezone,
        time_zones=account_services.time_zones(),
        errors=errors,
    ), (422 if errors else 200)
