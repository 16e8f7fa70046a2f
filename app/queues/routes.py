"""The coordinator's queue of an ERN, and the steering actions on its tasks."""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from app import security
from app.database import db
from app.database import utcnow
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.organisations import queries as organisation_queries
from app.organisations.models import Ern
from app.queues import display
from app.queues import queries
from app.queues import services
from app.queues.forms import ReassignForm
from app.queues.forms import RemindForm
from app.requests import origin
from app.requests import row_id
from app.security import LOGIN
from app.security import requires
from app.tasks import queries as task_queries

bp = Blueprint("queues", __name__)


def _ern(code: str) -> Ern:
    ern = organisation_queries.ern_by_code(code[:40], current_user)
    if ern is None:
        raise NotFound(_("No such ERN."))
    if not security.steers_queue(current_user, ern.id):
        raise NotAllowed(_("Only the ERN's coordinators and managers see its queue."))
    return ern


class _Query(NamedTuple):
    filters: queries.Filters
    sort: str
    descending: bool
    page: int
    args: dict[str, str]  # what the links of the page carry on: the query string without its page


def _query() -> _Query:
    """The queue's query string, read here only: filters, sort and its direction, page."""
    filters = queries.Filters(
        process=request.args.get("process", "")[:100],
        task=request.args.get("task", "")[:100],
        centre_id=request.args.get("centre", type=row_id),
        area_id=request.args.get("area", type=row_id),
        overdue=request.args.get("overdue") == "1",
        unassigned=request.args.get("unassigned") == "1",
    )
    return _Query(
        filters,
        request.args.get("sort", "due"),
        request.args.get("dir") == "desc",
        request.args.get("page", 1, type=int) or 1,
        {k: v for k, v in request.args.items() if k not in ("page",)},
    )


@bp.route("/erns/<code>/queue")
@requires(LOGIN)
def queue(code: str) -> str:
    ern = _ern(code)
    asked = _query()
    result = queries.queue(ern.id, asked.filters, utcnow(), sort=asked.sort, descending=asked.descending, page=asked.page)
    takeable = services.takeable(current_user, [row.engine_task_id for row in result.rows if not row.assignee_id])
    return render_template(
        "queues/queue.html",
        ern=ern,
        result=result,
        processes=display.process_choices(result.counts["process"]),
        rows=display.shown_rows(result.rows, takeable),
        filters=asked.filters,
        sort=result.sort,
        descending=asked.descending,
        args=asked.args | {"code": ern.code},
    )


@bp.route("/erns/<code>/queue/remind", methods=["POST"])
@requires(LOGIN)
def remind(code: str) -> Response:
    ern = _ern(code)
    form = RemindForm()
    if form.validate_on_submit():
        count = services.remind(current_user, form.task_ids, origin())
        flash(ngettext("A reminder was sent for %(num)s task.", "Reminders were sent for %(num)s tasks.", count), "success")
    else:
        flash(next(iter(form.errors.values()))[0], "warning")
    return redirect(form.back_path or url_for("queues.queue", code=ern.code))


@bp.route("/queue/tasks/<uuid:task_id>/claim", methods=["POST"])
@requires(LOGIN)
def claim(task_id: object) -> Response:
    task = services.claim(current_user, str(task_id), origin())
    flash(_("The task is yours: colleagues see that you are handling it."), "success")
    return redirect(url_for("tasks.show", task_id=task.engine_task_id))


@bp.route("/queue/tasks/<uuid:task_id>/reassign", methods=["GET", "POST"])
@requires(LOGIN)
def reassign(task_id: object) -> Response | str:
    task = task_queries.open_task(str(task_id))
    if task is None or task.ern_id is None:
        raise NotFound(_("This task is no longer open."))
    if not security.steers_queue(current_user, task.ern_id):
        raise NotFound(_("This task is no longer open."))
    ern = db.session.get(Ern, task.ern_id)
    form = ReassignForm()
    if form.validate_on_submit():
        services.reassign(current_user, str(task_id), form.assignee_id, form.reason.data, origin())
        flash(_("The task is reassigned."), "success")
        return redirect(url_for("queues.queue", code=ern.code if ern else ""))
    if form.is_submitted():
        raise InvalidInput(str(next(iter(form.errors.values()))[0]))
    details = queries.task_details(task)
    return render_template(
        "queues/reassign.html",
        task=task,
        ern=ern,
        details=details,
        process=display.process_name(task.process_id),
        pool=display.pool(task.role),
        personal=task.role in services.PERSONAL_ROLES,
        shows_panel=details.panel is not None and security.can_see_panel(current_user, details.panel),
        candidates=display.candidates(services.candidates(task), task),
        now=utcnow(),
    )
