"""/api/v1/tasks: the caller's open tasks, their drafts, and their completion with the same checks as the form."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask import jsonify
from flask.wrappers import Response
from flask_login import current_user
from flask_smorest import Blueprint

from app.api import cursors
from app.api import queries
from app.api import versions
from app.api.patients_routes import page_size
from app.api.schemas import AnswersSchema
from app.api.schemas import CompletedSchema
from app.api.schemas import DraftSchema
from app.api.schemas import FieldSchema
from app.api.schemas import ListArgs
from app.api.schemas import TaskDetailSchema
from app.api.schemas import TaskPage
from app.api.schemas import TaskSchema
from app.database import utcnow
from app.requests import origin
from app.security import TOKEN
from app.security import requires
from app.tasks import queries as task_queries
from app.tasks import services
from app.tasks.form_definitions import FormDefinition
from app.tasks.form_definitions import load_form_definitions
from app.tasks.models import OpenTask

bp = Blueprint("api_tasks", __name__, url_prefix="/api/v1/tasks", description="Your open tasks")


def _forms() -> dict[str, FormDefinition]:
    return load_form_definitions(current_app.config["FORMS_DIR"])


def _detail(page: services.TaskPage) -> dict[str, Any]:
    return {**TaskSchema().dump(page.task), "fields": FieldSchema(many=True).dump(page.definition.fields)}


@bp.route("")
@requires(TOKEN)
@bp.arguments(ListArgs, location="query", as_kwargs=True)
@bp.response(200, TaskPage)
def list_tasks(**args: Any) -> cursors.Page:
    """The open tasks you may complete, oldest first."""
    return cursors.page("tasks", queries.tasks(current_user), OpenTask.id, args["cursor"], page_size(args))


@bp.route("/<string:task_id>")
@requires(TOKEN)
@bp.response(200, TaskDetailSchema, headers={"ETag": {"schema": {"type": "string"}, "description": "The case's version"}})
def get_task(task_id: str) -> Response:
    """The task, its form's fields, and (ETag) the version of its case that a completion must name in If-Match."""
    page = services.task_page(current_user, task_id, _forms())
    return versions.with_etag(jsonify(_detail(page)), "v", page.task.instance.version_id)


@bp.route("/<string:task_id>/draft")
@requires(TOKEN)
@bp.response(200, DraftSchema, headers={"ETag": {"schema": {"type": "string"}, "description": "The draft's revision"}})
def get_draft(task_id: str) -> Response:
    """What has been saved of the task's form without submitting it (revision 0: nothing yet)."""
    services.task_page(current_user, task_id, _forms())  # the same access as the form's page
    draft = task_queries.draft_of(task_id)
    revision = draft.revision if draft else 0
    body = DraftSchema().dump(
        {"revision": revision, "answers": draft.raw_answers if draft else {}, "saved_at": draft.saved_at if draft else None}
    )
    return versions.with_etag(jsonify(body), "r", revision)


@bp.route("/<string:task_id>/draft", methods=["PUT"])
@requires(TOKEN)
@bp.doc(parameters=[versions.IF_MATCH])
@bp.arguments(AnswersSchema)
@bp.response(200, DraftSchema, headers={"ETag": {"schema": {"type": "string"}, "description": "The new revision"}})
@bp.alt_response(412, description="The draft changed since you read it: nothing saved")
@bp.alt_response(428, description="If-Match missing")
def put_draft(body: dict[str, Any], task_id: str) -> Response:
    """Save answers as the task's draft, unchecked (as the form's Save button does). If-Match: the draft's ETag."""
    base = versions.expected("r")
    revision = services.save_draft(current_user, task_id, body["answers"], base, origin(), strict=True)
    saved = DraftSchema().dump({"revision": revision, "answers": body["answers"], "saved_at": utcnow()})
    return versions.with_etag(jsonify(saved), "r", revision)


@bp.route("/<string:task_id>/completion", methods=["POST"])
@requires(TOKEN)
@bp.doc(parameters=[versions.IF_MATCH])
@bp.arguments(AnswersSchema)
@bp.response(200, CompletedSchema)
@bp.alt_response(412, description="The case changed since you read the task: nothing done")
@bp.alt_response(422, description="Answers refused: messages by field")
@bp.alt_response(428, description="If-Match missing")
def complete(body: dict[str, Any], task_id: str) -> services.Completed:
    """Submit the task's form: checked exactly as the web form is. If-Match: the task's ETag (its case's version)."""
    expected = versions.expected("v")
    forms = _forms()
    return services.complete_task(current_user, task_id, body["answers"], forms, utcnow().date(), origin(), expected_version=expected)
