from __future__ import annotations

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
from app.tasks.checklist import section_states
from app.tasks.form_definitions import FormDefinition
from app.tasks.form_definitions import load_form_definitions
from app.tasks.forms import DefinedForm
from app.tasks.forms import definition_for
from app.tasks.forms import form_class
from app.tasks.models import OpenTask
from app.tasks.models import TaskDraft

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


@bp.route("/")
@requires(LOGIN)
def index() -> str:
    rows = queue_queries.my_tasks(current_user, security.open_task_filter(current_user, OpenTask), utcnow())
    return render_template("tasks/index.html", rows=rows)


@bp.route("/<uuid:task_id>", methods=["GET", "POST"])
@requires(LOGIN)
def show(task_id: object) -> str | Response | tuple[str, int]:
    task = services.task_for(current_user, str(task_id))
    forms = load_form_definitions(current_app.config["FORMS_DIR"])
    definition = definition_for(task, forms)
    draft = queries.draft_of(task.engine_task_id)
    shown = None
    if draft is not None and request.method == "GET":
        other = request.args.get("version") == "other" and draft.conflict_answers is not None
        shown = draft.conflict_answers if other else draft.raw_answers
    form = form_class(definition)(data=shown)
    form.today = today_for(current_user)
    label = task.label  # read now: completing the task deletes its row
    if request.method == "POST" and "save_draft" in request.form:  # CSRFProtect checked every POST already
        return _save_draft(task, form, definition)
    if form.validate_on_submit():
        try:
            completed = services.complete_task(current_user, str(task_id), form.raw_answers(), forms, form.today, origin())
        except InvalidInput as error:
            for name, messages in error.field_errors.items():
                form[name].errors = list(messages)
        else:
            flash(_("%(task)s: done.", task=label), "success")
            if completed.failure:
                flash(_("The process stopped on an error after this step; a coordinator must look at it."), "warning")
            if completed.next_task_id is not None:
                return redirect(url_for("tasks.show", task_id=completed.next_task_id))
            if completed.subject_type == "patient" and completed.subject_id is not None:
                return redirect(url_for("patients.show", patient_id=completed.subject_id))
            if completed.subject_type == "panel" and completed.subject_id is not None:
                return redirect(url_for("panels.show", panel_id=completed.subject_id))
            return redirect(url_for("main.dashboard"))
    status = 422 if form.errors else 200
    return _render(task, form, definition, draft), status


def _render(task: OpenTask, form: DefinedForm, definition: FormDefinition, draft: TaskDraft | None) -> str:
    form.offer_blank_entries()
    subject = subjects.load(task.subject_type, task.subject_id)
    revision = request.form.get("draft_revision", type=int) if request.method == "POST" else (draft.revision if draft else 0)
    return render_template(
        "tasks/show.html",
        task=task,
        form=form,
        definition=definition,
        subject=subject,
        draft=draft,
        revision=revision,
        prepares_only=security.prepares_only(current_user, task),
        checklist=section_states(definition, form.raw_answers()) if len(definition.sections) > 2 else [],
    )


def _save_draft(task: OpenTask, form: DefinedForm, definition: FormDefinition) -> str | Response | tuple[str, int] | tuple[Response, int]:
    automatic = request.headers.get("X-Autosave") == "1"  # consilium.js saves a changed form every half minute
    try:
        revision = services.save_draft(
            current_user, task.engine_task_id, form.raw_answers(), request.form.get("draft_revision", 0, type=int), origin()
        )
    except Conflict as error:
        if automatic:
            return jsonify({"saved": False, "message": error.message}), 409
        flash(error.message, "danger")
        return _render(task, form, definition, queries.draft_of(task.engine_task_id)), 409
    if automatic:
        return jsonify(
            {"saved": True, "revision": revision, "message": _("Draft saved automatically at %(when)s.", when=format_time(None, "short"))}
        ), 200
    flash(_("Draft saved. Nothing was checked yet: submit when the form is complete."), "success")
    return redirect(url_for("tasks.show", task_id=task.engine_task_id))
