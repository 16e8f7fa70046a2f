"""An ERN's settings page for its managers: intervals, service levels, thematic areas, expert groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.ernsettings import services
from app.ernsettings.forms import AreaForm
from app.ernsettings.forms import GroupForm
from app.ernsettings.forms import IntervalsForm
from app.ernsettings.forms import ServiceLevelForm
from app.errors import InvalidInput
from app.errors import NotFound
from app.organisations import queries as organisation_queries
from app.organisations import services as organisation_services
from app.organisations.models import Ern
from app.queues import services as queue_services
from app.requests import origin
from app.security import LOGIN
from app.security import requires

bp = Blueprint("ernsettings", __name__)


def _ern(code: str) -> Ern:
    ern = organisation_queries.ern_by_code(code[:40])
    if ern is None:
        raise NotFound(_("No such ERN."))
    services.require_manager(current_user, ern.id)
    return ern


def _page(ern: Ern, error: InvalidInput | None = None, status: int = 200, intervals: dict[str, str] | None = None) -> tuple[str, int]:
    return render_template(
        "ernsettings/settings.html",
        ern=ern,
        intervals=intervals or services.intervals(ern.id),
        labels=services.INTERVAL_LABELS,
        rules=queue_services.rules(ern.id),
        task_choices=services.task_choices(ern.id),
        groups=services.groups(ern.id),
        experts=services.experts(ern.id),
        error=error,
        errors=error.field_errors if error else {},
    ), status


def _act(
    ern: Ern, form: FlaskForm | None, action: Callable[[], object], done: str, anchor: str, **shown: Any
) -> Response | tuple[str, int]:
    """``action`` on a valid form (``None``: nothing posted), then back to its section; else the page with the message (422)."""
    if form is not None and not form.validate_on_submit():
        return _page(ern, InvalidInput(str(next(iter(form.errors.values()))[0])), 422, **shown)
    try:
        action()
    except InvalidInput as error:
        return _page(ern, error, 422, **shown)
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
    form = IntervalsForm()
    return _act(
        ern,
        form,
        lambda: services.save_intervals(current_user, ern.id, form.raw(), origin()),
        _("The intervals are saved."),
        "#intervals",
        intervals=form.raw(),  # what was typed stays when refused
    )


@bp.route("/erns/<code>/settings/service-levels", methods=["POST"])
@requires(LOGIN)
def service_level(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    form = ServiceLevelForm()
    form.task.choices = services.task_choices(ern.id)
    return _act(
        ern,
        form,
        lambda: queue_services.set_rule(current_user, ern.id, form.task.data, form.day_count, origin()),
        _("The service level is saved."),
        "#service-levels",
    )


@bp.route("/erns/<code>/settings/areas", methods=["POST"])
@requires(LOGIN)
def add_area(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    form = AreaForm()
    return _act(
        ern,
        form,
        lambda: organisation_services.add_thematic_area(current_user, ern.id, form.name.data, origin()),
        _("Thematic area added."),
        "#areas",
    )


@bp.route("/erns/<code>/settings/groups", methods=["POST"])
@requires(LOGIN)
def create_group(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    form = GroupForm()
    return _act(
        ern,
        form,
        lambda: services.create_group(current_user, ern.id, form.name.data, form.member_ids, origin()),
        _("The group is created."),
        "#groups",
    )


@bp.route("/erns/<code>/settings/groups/<int:group_id>/delete", methods=["POST"])
@requires(LOGIN)
def delete_group(code: str, group_id: int) -> Response | tuple[str, int]:
    ern = _ern(code)
    return _act(ern, None, lambda: services.delete_group(current_user, ern.id, group_id, origin()), _("The group is deleted."), "#groups")
