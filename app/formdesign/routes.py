from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app import security
from app.errors import InvalidInput
from app.formdesign import editing
from app.formdesign import queries
from app.formdesign import services
from app.formdesign.forms import DefinitionForm
from app.formdesign.forms import StepForm
from app.i18n import DEFAULT_LANGUAGE
from app.i18n import LANGUAGE_NAMES
from app.i18n import LANGUAGES
from app.organisations import queries as organisation_queries
from app.organisations.models import Ern
from app.requests import origin
from app.security import LOGIN
from app.security import requires
from app.tasks.form_definitions import FormDefinition
from app.tasks.forms import form_class

bp = Blueprint("formdesign", __name__)


def _ern_for_designer(code: str, form_id: str) -> Ern:
    ern = organisation_queries.ern_by_code(code)
    if ern is None or form_id not in services.CUSTOMISABLE:
        abort(404)
    if not security.manages_ern(current_user, ern.id):
        abort(403)
    return ern


def _current_text(ern: Ern, form_id: str) -> str:
    newest = queries.newest_version(ern.id, form_id)
    if newest is not None:
        return newest.definition
    return (Path(current_app.config["FORMS_DIR"]) / f"{form_id}.json").read_text(encoding="utf-8")


def _language_asked() -> str:
    """The language whose wording the page shows beside the English: asked for, else the reader's, else French."""
    asked = request.values.get("language", "")
    if asked in LANGUAGES and asked != DEFAULT_LANGUAGE:
        return asked
    reader = str(get_locale().language)
    return reader if reader != DEFAULT_LANGUAGE else "fr"


def _page(ern: Ern, form_id: str, text: str, preview: FormDefinition | None = None, status: int = 200) -> tuple[str, int]:
    form = form_class(preview)(formdata=None) if preview is not None else None  # the posted text is not its answers
    if form is not None:
        form.offer_blank_entries()
    try:
        structure = json.loads(text)
    except ValueError:
        structure = None
    return render_template(
        "formdesign/edit.html",
        ern=ern,
        form_id=form_id,
        text=text,
        structure=structure if isinstance(structure, dict) else None,
        language=(language := _language_asked()),
        languages={code: name for code, name in LANGUAGE_NAMES.items() if code != DEFAULT_LANGUAGE},
        wordings=editing.wordings(structure, language) if isinstance(structure, dict) else [],
        missing=editing.missing_by_language(structure) if isinstance(structure, dict) else {},
        field_types=editing.FIELD_TYPES_OFFERED,
        versions=queries.versions(ern.id, form_id),
        preview=preview,
        preview_form=form,
    ), status


@bp.route("/erns/<code>/forms/<form_id>/step", methods=["POST"])
@requires(LOGIN)
def step(code: str, form_id: str) -> tuple[str, int]:
    """One editing step (add, remove, move, relabel, mandatory mark, choices), then the checked preview."""
    ern = _ern_for_designer(code, form_id)
    posted = StepForm()
    text = posted.definition.data
    if not posted.validate_on_submit():
        return _refused(ern, form_id, posted)
    try:
        definition = json.loads(text)
        if not isinstance(definition, dict):
            raise ValueError
    except ValueError:
        flash(_("The definition is not valid JSON; fix it in the text below first."), "danger")
        return _page(ern, form_id, text, status=422)
    try:
        # The values of a step are named after what it edits (see StepForm): the whole posted form goes to editing.apply.
        changed = editing.apply(definition, posted.action.data, request.form)
    except InvalidInput as error:
        flash(error.message, "danger")
        return _page(ern, form_id, text, status=422)
    text = json.dumps(changed, ensure_ascii=False, indent=2)
    try:
        preview = services.check_definition(form_id, text)
    except InvalidInput as error:
        flash(error.message, "warning")
        return _page(ern, form_id, text)
    return _page(ern, form_id, text, preview=preview)


def _refused(ern: Ern, form_id: str, posted: DefinitionForm) -> tuple[str, int]:
    """The page again with the first thing wrong in the posted form, and the text as it was typed."""
    flash(next(iter(posted.errors.values()))[0], "danger")
    return _page(ern, form_id, posted.definition.data, status=422)


@bp.route("/erns/<code>/forms/<form_id>")
@requires(LOGIN)
def edit(code: str, form_id: str) -> tuple[str, int]:
    ern = _ern_for_designer(code, form_id)
    return _page(ern, form_id, _current_text(ern, form_id))


@bp.route("/erns/<code>/forms/<form_id>/preview", methods=["POST"])
@requires(LOGIN)
def preview(code: str, form_id: str) -> tuple[str, int]:
    ern = _ern_for_designer(code, form_id)
    posted = DefinitionForm()
    if not posted.validate_on_submit():
        return _refused(ern, form_id, posted)
    text = posted.definition.data
    try:
        definition = services.check_definition(form_id, text)
    except InvalidInput as error:
        flash(error.message, "danger")
        return _page(ern, form_id, text, status=422)
    flash(_("The definition is valid. The preview below shows the form as clinicians will see it."), "success")
    return _page(ern, form_id, json.dumps(json.loads(text), ensure_ascii=False, indent=2), preview=definition)


@bp.route("/erns/<code>/forms/<form_id>", methods=["POST"])
@requires(LOGIN)
def publish(code: str, form_id: str) -> Response | tuple[str, int]:
    ern = _ern_for_designer(code, form_id)
    posted = DefinitionForm()
    if not posted.validate_on_submit():
        return _refused(ern, form_id, posted)
    text = posted.definition.data
    try:
        version = services.publish(current_user, ern.id, form_id, text, origin())
    except InvalidInput as error:
        flash(error.message, "danger")
        return _page(ern, form_id, text, status=422)
    flash(_("Version %(n)d published: panels opened from now on use it; earlier panels keep theirs.", n=version.version), "success")
    return redirect(url_for("formdesign.edit", code=ern.code, form_id=form_id))
