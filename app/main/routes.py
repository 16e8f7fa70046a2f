from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts import services as account_services
from app.accounts.models import User
from app.database import utcnow
from app.errors import InvalidInput
from app.i18n import LANGUAGE_NAMES
from app.i18n import language_changed
from app.main.forms import PreferencesForm
from app.meetings import queries as meeting_queries
from app.organisations import queries as organisation_queries
from app.panels import queries as panel_queries
from app.panels.queries import EXPERT_ROLES
from app.queues.display import role_name
from app.requests import origin
from app.security import LOGIN
from app.security import requires
from app.tasks import queries as task_queries

bp = Blueprint("main", __name__)


@bp.app_template_filter("role_name")
def _role_name(role: str) -> str:
    """Templates name a role as users say it ("ERN manager"), never by its value ("ern_manager")."""
    return role_name(role)


def _invitable_erns(user: User) -> set[int]:
    """The ERNs whose panels may invite the user: those where they are an expert (SPEC §2); the others never ask."""
    return {m.ern_id for m in user.memberships if m.role in EXPERT_ROLES}


@bp.route("/")
@requires(LOGIN)
def dashboard() -> str:
    tasks = task_queries.open_tasks_for(current_user)
    invitable = _invitable_erns(current_user)
    panel_dashboard = panel_queries.dashboard(current_user)
    titles = panel_queries.panel_titles(
        {t.subject_id for t in tasks if t.subject_type == "panel" and t.subject_id} | {e.panel_id for e in panel_dashboard.activity}
    )
    now = utcnow()
    return render_template(
        "main/dashboard.html",
        tasks=tasks,
        upcoming_meetings=meeting_queries.upcoming_for(current_user, now),
        meeting_invites=meeting_queries.invites_for(current_user, now),
        invitations=panel_dashboard.invitations,
        activity=panel_dashboard.activity,
        panel_titles=titles,
        invitable=bool(invitable),
        asks_for_areas=bool(invitable) and not current_user.thematic_areas,
        enrol_at=[
            (centre, ern)
            for centre in organisation_queries.clinical_centres_of(current_user)
            for ern in organisation_queries.enrolment_erns(current_user, centre)
        ],
    )


@bp.route("/preferences", methods=["GET", "POST"])
@requires(LOGIN)
def preferences() -> tuple[str, int] | Response:
    form = PreferencesForm()
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        try:
            account_services.set_preferences(
                current_user, sorted(set(form.area_ids)), form.timezone.data, origin(), form.specialisation.data, form.language.data
            )
        except InvalidInput as error:
            errors = error.field_errors
            flash(error.message, "danger")
        else:
            language_changed()  # the message below is in the language just chosen
            flash(_("Your preferences are saved."), "success")
            return redirect(url_for("main.preferences"))
    elif form.is_submitted():
        errors = form.errors
        flash(_("Your preferences were not saved."), "danger")
    else:  # what is saved
        form.specialisation.data = current_user.specialisation
        form.language.data = current_user.language
        form.timezone.data = current_user.timezone or current_app.config["DEFAULT_TIMEZONE"]
        form.thematic_area.data = [str(area.id) for area in current_user.thematic_areas]
    invitable = _invitable_erns(current_user)
    return render_template(
        "main/preferences.html",
        form=form,
        erns=[ern for ern in organisation_queries.erns_of(current_user) if ern.id in invitable],
        chosen=set(form.area_ids),
        time_zones=account_services.time_zones(),
        languages=LANGUAGE_NAMES,
        errors=errors,
        calendar_feed=meeting_queries.feed_of(current_user),
    ), (422 if errors else 200)
