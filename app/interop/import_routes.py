"""Web pages: import a FHIR patient summary into a consultation form's draft, and review what it proposes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from app.errors import InvalidInput
from app.interop import imports
from app.interop.ips_import import MAX_BYTES
from app.interop.ips_import import NOTE
from app.interop.models import ImportedItem
from app.requests import origin
from app.security import LOGIN
from app.security import requires
from app.tasks.form_definitions import FormDefinition
from app.tasks.form_definitions import load_form_definitions

bp = Blueprint("ips_import", __name__, url_prefix="/tasks")


@bp.post("/<uuid:task_id>/summary")
@requires(LOGIN)
def upload(task_id: object) -> Response | tuple[str, int]:
    """Read an uploaded IPS bundle (field ``bundle``); what it proposes waits on the form's page to be reviewed. A file
    that cannot be read comes back with what is wrong with it (422), and nothing is kept."""
    task = str(task_id)
    upload = request.files.get("bundle")
    data = b""
    if upload is not None:
        with upload.stream:  # closed at once: a large upload is spooled to a temporary file
            data = upload.stream.read(MAX_BYTES + 1)
    try:
        imported = imports.import_bundle(current_user, task, data, origin(), _forms())
    except InvalidInput as error:
        return render_template("interop/import_refused.html", task_id=task, message=error.message), 422
    said = ngettext(
        "The patient summary proposes %(num)d item: review it below. Nothing is in the form until you accept it.",
        "The patient summary proposes %(num)d items: review them below. Nothing is in the form until you accept them.",
        imported.items,
    )
    flash(said, "success")
    return redirect(url_for("tasks.show", task_id=task, _anchor="summary-import"))


@bp.post("/<uuid:task_id>/summary/items/<int:item_id>/accept")
@requires(LOGIN)
def accept(task_id: object, item_id: int) -> Response:
    """Put one imported item into the form's draft."""
    return _decide(str(task_id), item_id, accept=True)


@bp.post("/<uuid:task_id>/summary/items/<int:item_id>/reject")
@requires(LOGIN)
def reject(task_id: object, item_id: int) -> Response:
    """Leave one imported item (or a note) out of the form."""
    return _decide(str(task_id), item_id, accept=False)


@bp.post("/<uuid:task_id>/summary/accept-all")
@requires(LOGIN)
def accept_all(task_id: object) -> Response:
    """Put every item still proposed into the form's draft."""
    task = str(task_id)
    try:
        count = imports.accept_all(current_user, task, origin(), _forms())
    except InvalidInput as error:
        flash(error.message, "danger")
    else:
        flash(ngettext("%(num)d imported item is now in the form.", "%(num)d imported items are now in the form.", count), "success")
    return redirect(url_for("tasks.show", task_id=task, _anchor="summary-import"))


def _decide(task: str, item_id: int, *, accept: bool) -> Response:
    try:
        item = imports.decide(current_user, item_id, accept, origin(), _forms(), task_id=task)
    except InvalidInput as error:
        flash(error.message, "danger")
    else:
        if item.field == NOTE:
            flash(_("Note dismissed."), "info")
        elif accept:
            flash(_("Accepted: it is now in the form's draft. Check it there before submitting."), "success")
        else:
            flash(_("Rejected: it stays out of the form."), "info")
    return redirect(url_for("tasks.show", task_id=task, _anchor="summary-import"))


def _forms() -> dict[str, FormDefinition]:
    return load_form_definitions(current_app.config["FORMS_DIR"])


@dataclass(frozen=True)
class ReviewGroup:
    """Pending imported items of one form section (or the notes), as the review list shows them."""

    title: str
    items: list[tuple[str, ImportedItem]]  # (the field's label, the item)


@bp.app_template_global("summary_review")
def summary_review(task: Any, definition: FormDefinition) -> list[ReviewGroup]:
    """What imports propose for this consultation task, grouped by the form's sections, notes first (the page that
    calls this has already checked that the user may fill the form)."""
    if getattr(task, "form_key", None) != imports.CONSULTATION:
        return []
    items = imports.pending(task.engine_task_id)
    notes = [("", item) for item in items if item.field == NOTE]
    groups = [ReviewGroup(_("Notes on the import"), notes)] if notes else []
    for section in definition.sections:
        names = {field.name: field.label for field in section.fields}
        found = [(names[item.field], item) for item in items if item.field in names]
        if found:
            groups.append(ReviewGroup(section.title, found))
    return groups
