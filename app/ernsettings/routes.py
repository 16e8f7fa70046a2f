"""An ERN's settings page for its managers: intervals, service levels, thematic areas, expert groups."""

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

from app.ernsettings import services
from app.errors import InvalidInput
from app.errors import NotFound
from app.organisations import queries as organisation_queries
from app.organisations import services as organisation_services
from app.organisations.models import Ern
from app.queues import services as queue_services
from app.requests import origin
from app.requests import row_ids
from app.security import LOGIN
from app.security import requires

bp = Blueprint("ernsettings", __name__)


def _ern(code: str) -> Ern:
    ern = organisation_queries.ern_by_code(code[:40])
    if ern is None:
        raise NotFound(_("No such ERN."))
    services.require_manager(current_user, ern.id)
    return ern


def _page(ern: Ern, error: InvalidInput | None = None, status: int = 200) -> tuple[str, int]:
    return render_template(
        "ernsettings/settings.html",
        ern=ern,
        intervals=dict(request.form) if error and request.endpoint == "ernsettings.intervals" else services.intervals(ern.id),
        labels=services.INTERVAL_LABELS,
        rules=queue_services.rules(ern.id),
        task_choices=services.task_choices(ern.id),
        groups=services.groups(ern.id),
        experts=services.experts(ern.id),
        error=error,
        errors=error.field_errors if error else {},
    ), status


def _act(ern: Ern, action: object, done: str, anchor: str) -> Response | tuple[str, int]:
    try:
        action()  # type: ignore[operator]
    except InvalidInput as error:
        return _page(ern, error, 422)
    flash(done, "success")
    return redirect(url_for("ernsettings.settings", code=ern.code) + anchor)


@bp.route("/erns/<code>/settings")
@requires(LOGIN)
def settings(code: str) -> tuple[str, int]:
    return _page(_ern(code))


@bp.route("/erns/<code>/settings/intervals", methods=["POST"])
@requires(LOGIN)
def intervals(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    raw = {key: request.form.get(key, "") for key in services.INTERVAL_LABELS}
    return _act(ern, lambda: services.save_intervals(current_user, ern.id, raw, origin()), _("The intervals are saved."), "#intervals")


@bp.route("/erns/<code>/settings/service-levels", methods=["POST"])
@requires(LOGIN)
def service_level(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    days_text = request.form.get("days", "").strip()
    days = int(days_text) if days_text.isascii() and days_text.isdigit() else None
    if days_text and days is None:
        return _page(ern, InvalidInput(_("Give a whole number of days.")), 422)
    task = request.form.get("task", "")[:100]
    if task not in dict(services.task_choices(ern.id)):
        return _page(ern, InvalidInput(_("Choose a task.")), 422)
    return _act(
        ern,
        lambda: queue_services.set_rule(current_user, ern.id, task, days, origin()),
        _("The service level is saved."),
        "#service-levels",
    )


@bp.route("/erns/<code>/settings/areas", methods=["POST"])
@requires(LOGIN)
def add_area(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    name = request.form.get("name", "")
    return _act(
        ern, lambda: organisation_services.add_thematic_area(current_user, ern.id, name, origin()), _("Thematic area added."), "#areas"
    )


@bp.route("/erns/<code>/settings/groups", methods=["POST"])
@requires(LOGIN)
def create_group(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    members = row_ids(request.form.getlist("member_id"))
    name = request.form.get("name", "")
    return _act(ern, lambda: services.create_group(current_user, ern.id, name, members, origin()), _("The group is created."), "#groups")


@bp.route("/erns/<code>/settings/groups/<int:group_id>/delete", methods=["POST"])
@requires(LOGIN)
def delete_group(code: str, group_id: int) -> Response | tuple[str, int]:
    ern = _ern(code)
    return _act(ern, lambda: services.delete_group(current_user, ern.id, group_id, origin()), _("The group is deleted."), "#groups")
