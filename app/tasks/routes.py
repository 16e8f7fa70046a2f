"""A task's page: one view per thing done with it (show, submit, save a draft, autosave)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app import security
from app.database import utcnow
from app.errors import Conflict
from app.errors import InvalidInput
from app.i18n import today_for
from app.queues import queries as queue_queries
from app.requests import origin
from app.security import LOGIN
from app.security import requires
from app.tasks import queries
from app.tasks import services
from app.tasks import subjects
from app.tasks.checklist import checklist_rules
from app.tasks.checklist import section_states
from app.tasks.form_definitions import FormDefinition
from app.tasks.form_definitions import load_form_definitions
from app.tasks.forms import DefinedForm
from app.tasks.forms import form_class
from app.tasks.forms import initial_answers
from app.tasks.models import OpenTask
from app.tasks.services import Completed
from app.tasks.services import TaskPage

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


@bp.route("/")
@requires(LOGIN)
def index() -> str:
    rows = queue_queries.my_tasks(current_user, security.open_task_filter(current_user, OpenTask), utcnow())
    return render_template("tasks/index.html", rows=rows)


@bp.get("/<uuid:task_id>")
@requires(LOGIN)
def show(task_id: object) -> str:
    """The form with the saved draft in it (or, after a conflict, the other person's version when asked for)."""
    page = services.task_page(current_user, str(task_id), _forms())
    shown: dict[str, Any] | None = initial_answers(page.definition, today_for(current_user))
    if page.draft is not None:
        other = request.args.get("version") == "other" and page.draft.conflict_answers is not None
        shown = page.draft.conflict_answers if other else page.draft.raw_answers
    return _render(page, _form(page.definition, data=shown), revision=page.draft.revision if page.draft else 0)


@bp.post("/<uuid:task_id>")
@requires(LOGIN)
def submit(task_id: object) -> Response | tuple[str, int]:
    """Complete the task with the form's answers; wrong answers come back in the form with what to correct (422),
    and are kept as the draft meanwhile, unchecked: leaving the page then loses nothing."""
    forms = _forms()
    page = services.task_page(current_user, str(task_id), forms)
    form = _form(page.definition)
    label, form_key = page.task.label, page.task.form_key  # read now: completing the task deletes its row
    if form.validate_on_submit():
        try:
            completed = services.complete_task(current_user, str(task_id), form.raw_answers(), forms, form.today, origin())
        except InvalidInput as error:
            for name, messages in error.field_errors.items():
                form[name].errors = list(messages)
        else:
            said = subjects.confirmation(form_key, completed.subject_id, form.raw_answers())
            flash(said or _("%(task)s: done.", task=label), "success")
            if completed.failure:
                flash(_("The process stopped on an error after this step; a coordinator must look at it."), "warning")
            return redirect(_next_page(completed))
    try:
        revision = _save(page, form)
    except Conflict as error:
        flash(error.message, "danger")
        revision = request.form.get("draft_revision", 0, type=int)
    else:
        flash(_("What you typed is kept as a draft."), "info")
    return _render(TaskPage(page.task, page.definition, queries.draft_of(page.task.engine_task_id)), form, revision=revision), 422


@bp.post("/<uuid:task_id>/draft")
@requires(LOGIN)
def save_draft(task_id: object) -> Response | tuple[str, int]:
    """Keep what was typed, unchecked; on a conflict with someone else's newer draft, both are kept (409)."""
    page = services.task_page(current_user, str(task_id), _forms())
    form = _form(page.definition)
    try:
        _save(page, form)
    except Conflict as error:
        flash(error.message, "danger")
        newer = queries.draft_of(page.task.engine_task_id)
        return _render(TaskPage(page.task, page.definition, newer), form, revision=request.form.get("draft_revision", 0, type=int)), 409
    flash(_("Draft saved. Nothing was checked yet: submit when the form is complete."), "success")
    return redirect(url_for("tasks.show", task_id=page.task.engine_task_id))


@bp.post("/<uuid:task_id>/autosave")
@requires(LOGIN)
def autosave(task_id: object) -> tuple[Response, int]:
    """What consilium.js sends every half minute from a changed form: saved as a draft, answered in JSON."""
    page = services.task_page(current_user, str(task_id), _forms())
    try:
        revision = _save(page, _form(page.definition))
    except Conflict as error:
        return jsonify({"saved": False, "message": error.message}), 409
    message = _("Draft saved automatically at %(when)s.", when=format_time(None, "short"))
    return jsonify({"saved": True, "revision": revision, "message": message}), 200


def _forms() -> dict[str, FormDefinition]:
    return load_form_definitions(current_app.config["FORMS_DIR"])


def _form(definition: FormDefinition, data: dict[str, Any] | None = None) -> DefinedForm:
    form = form_class(definition)(data=data)
    form.today = today_for(current_user)
    return form


def _save(page: TaskPage, form: DefinedForm) -> int:
    base_revision = request.form.get("draft_revision", 0, type=int)
    return services.save_draft(current_user, page.task.engine_task_id, form.raw_answers(), base_revision, origin())


def _next_page(completed: Completed) -> str:
    """The actor's next task in the same case, else the case's subject, else the dashboard."""
    if completed.next_task_id is not None:
        return url_for("tasks.show", task_id=completed.next_task_id)
    if completed.subject_type == "patient" and completed.subject_id is not None:
        return url_for("patients.show", patient_id=completed.subject_id)
    if completed.subject_type == "panel" and completed.subject_id is not None:
        return url_for("panels.show", panel_id=completed.subject_id)
    return url_for("main.dashboard")


def _render(page: TaskPage, form: DefinedForm, *, revision: int) -> str:
    form.offer_blank_entries()
    definition = page.definition
    subject = subjects.load(page.task.subject_type, page.task.subject_id)
    return render_template(
        "tasks/show.html",
        task=page.task,
        form=form,
        definition=definition,
        subject=subject,
        material=subjects.material(page.task, subject),
        draft=page.draft,
        revision=revision,
        prepares_only=security.prepares_only(current_user, page.task),
        checklist=section_states(definition, form.raw_answers(), form.today) if len(definition.sections) > 2 else [],
        checklist_rules=checklist_rules(definition, form.raw_answers(), form.today) if len(definition.sections) > 2 else {},
    )
