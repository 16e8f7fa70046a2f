"""Process administration in the browser: list, edit, import, preview, diff, roll back, migrate, inspect.

Every page works without JavaScript: the XML sits in a text area (the modeler bundle, when present,
hides it and edits the diagram instead), and every diagram comes with a table of the same facts.
"""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app import security
from app.database import as_id
from app.errors import ConsiliumError
from app.organisations import queries as organisation_queries
from app.organisations.models import Ern
from app.processes import elements
from app.processes import importing
from app.processes import queries
from app.processes import services
from app.processes.forms import DefinitionForm
from app.processes.forms import MigrationForm
from app.requests import origin
from app.security import LOGIN
from app.security import requires
from app.tasks.form_definitions import load_form_definitions
from app.workflows import store
from app.workflows.effects import EFFECT_HANDLERS
from app.workflows.models import InstanceStatus
from app.workflows.models import ProcessDefinition

bp = Blueprint("processes", __name__)

# Hashes ('sha256-…', without quotes) of the inline styles the modeler bundle needs; filled in with the bundle.
EDITOR_STYLE_HASHES: tuple[str, ...] = ()


def _editor_policy() -> str:
    """The app's default Content-Security-Policy, with the modeler's style hashes added to style-src."""
    styles = " ".join(["'self'", *(f"'{digest}'" for digest in EDITOR_STYLE_HASHES)])
    return (
        f"default-src 'self'; script-src 'self'; style-src {styles}; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


def _ern(code: str) -> Ern:
    ern = organisation_queries.ern_by_code(code)
    if ern is None:
        abort(404)
    if not security.manages_ern(current_user, ern.id):
        abort(403)
    return ern


def _process(code: str, process_id: str) -> Ern:
    ern = _ern(code)
    if process_id not in queries.process_ids(ern.id):
        abort(404)
    return ern


def _forms_dir() -> str:
    return str(current_app.config["FORMS_DIR"])


def _posted_xml(form: DefinitionForm) -> bytes | None:
    """The uploaded file if one was chosen, else the text area; None when the upload is too large."""
    if form.file.data:
        data = form.file.data.stream.read(importing.MAX_BYTES + 1)
        return None if len(data) > importing.MAX_BYTES else data
    return str(form.xml.data).encode("utf-8")


def _posted_form() -> DefinitionForm:
    """The posted definition form; it has nothing to refuse that ``services.check`` does not report better (CSRF is checked before)."""
    form = DefinitionForm()
    form.validate_on_submit()
    return form


@bp.route("/erns/<code>/processes/")
@requires(LOGIN)
def index(code: str) -> str:
    """Each process of the ERN: the version in use, who deployed it when, and the cases on each version."""
    ern = _ern(code)
    counts = queries.running_counts(ern.id)
    rows = []
    for process_id in queries.process_ids(ern.id):
        versions = queries.versions(ern.id, process_id)
        running = [(version, counts[version.id]) for version in versions if counts.get(version.id)]
        rows.append((process_id, store.current_definition(process_id, ern.id), running))
    return render_template("processes/index.html", ern=ern, rows=rows)


@bp.route("/erns/<code>/processes/<process_id>")
@requires(LOGIN)
def show(code: str, process_id: str) -> str:
    ern = _process(code, process_id)
    versions = queries.versions(ern.id, process_id)
    return render_template(
        "processes/show.html",
        ern=ern,
        process_id=process_id,
        versions=versions,
        current=store.current_definition(process_id, ern.id),
        counts=queries.running_counts(ern.id, process_id),
    )


def _editor(ern: Ern, process_id: str, xml: str, report: importing.Report | None = None, status: int = 200) -> Response:
    choices = {
        "forms": sorted(load_form_definitions(_forms_dir())),
        "roles": services.role_choices(),
        "handlers": sorted(EFFECT_HANDLERS),
    }
    page = render_template("processes/edit.html", ern=ern, process_id=process_id, xml=xml, report=report, choices=choices)
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = _editor_policy()
    return response


@bp.route("/erns/<code>/processes/<process_id>/edit")
@requires(LOGIN)
def edit(code: str, process_id: str) -> Response:
    ern = _process(code, process_id)
    current = store.current_definition(process_id, ern.id)
    return _editor(ern, process_id, importing.as_text(bytes(current.xml)))


@bp.route("/erns/<code>/processes/<process_id>/edit", methods=["POST"])
@requires(LOGIN)
def save(code: str, process_id: str) -> Response:
    """Validate (the same checks as deployment and the CLI) or deploy the posted definition."""
    ern = _process(code, process_id)
    form = _posted_form()
    xml = _posted_xml(form)
    if xml is None:
        return _editor(ern, process_id, "", importing.too_large(), status=422)
    text = importing.as_text(xml)
    report = services.check(xml, process_id, _forms_dir(), ern.id)
    if form.action.data != "deploy" or report.blocking:
        return _editor(ern, process_id, text if report.readable else "", report, status=422 if report.blocking else 200)
    try:
        row = services.deploy(current_user, ern.id, process_id, xml, _forms_dir())
    except ConsiliumError as error:
        flash(error.message, "danger")
        return _editor(ern, process_id, text, report, status=error.status)
    flash(
        _(
            "Version %(n)d of %(process)s is deployed: new cases use it; running cases keep their version.",
            n=row.version,
            process=process_id,
        ),
        "success",
    )
    return _to_show(ern, process_id)


def _to_show(ern: Ern, process_id: str) -> Response:
    return redirect(url_for("processes.show", code=ern.code, process_id=process_id))


@bp.route("/erns/<code>/processes/<process_id>/import")
@requires(LOGIN)
def import_form(code: str, process_id: str) -> str:
    ern = _process(code, process_id)
    return render_template("processes/import.html", ern=ern, process_id=process_id, report=None, xml="")


@bp.route("/erns/<code>/processes/<process_id>/import", methods=["POST"])
@requires(LOGIN)
def import_file(code: str, process_id: str) -> tuple[str, int]:
    """Check an uploaded (or pasted) file: each problem with its element and a plain reason; apply chosen safe fixes."""
    ern = _process(code, process_id)
    form = _posted_form()
    xml = _posted_xml(form)
    if not xml:
        report = (
            importing.too_large()
            if xml is None
            else importing.Report((importing.Finding("(file)", _("Choose a .bpmn file or paste its XML.")),), readable=False)
        )
        return render_template("processes/import.html", ern=ern, process_id=process_id, report=report, xml=""), 422
    fixes = form.fix.data or []
    if fixes:
        xml = importing.apply_fixes(xml, fixes, process_id)
    report = services.check(xml, process_id, _forms_dir(), ern.id)
    text = importing.as_text(xml) if report.readable else ""
    page = render_template("processes/import.html", ern=ern, process_id=process_id, report=report, xml=text, fixed=fixes)
    return page, 422 if report.blocking else 200


@bp.route("/erns/<code>/processes/<process_id>/preview", methods=["POST"])
@requires(LOGIN)
def preview(code: str, process_id: str) -> tuple[str, int]:
    """The posted definition as a diagram and a table of its elements, with the check's findings; nothing is deployed."""
    ern = _process(code, process_id)
    xml = _posted_xml(_posted_form())
    report = importing.too_large() if xml is None else services.check(xml, process_id, _forms_dir(), ern.id)
    text = importing.as_text(xml) if xml is not None and report.readable else ""
    rows = elements.elements(xml) if xml is not None and report.readable else []
    page = render_template("processes/preview.html", ern=ern, process_id=process_id, xml=text, rows=rows, report=report, version=None)
    return page, 422 if not report.readable else 200


@bp.route("/erns/<code>/processes/<process_id>/versions/<int:definition_id>")
@requires(LOGIN)
def version(code: str, process_id: str, definition_id: int) -> str:
    ern = _process(code, process_id)
    row = queries.version(ern.id, process_id, definition_id)
    if row is None:
        abort(404)
    xml = bytes(row.xml)
    return render_template(
        "processes/preview.html",
        ern=ern,
        process_id=process_id,
        xml=importing.as_text(xml),
        rows=elements.elements(xml),
        report=None,
        version=row,
    )


def _query() -> tuple[str, str, str]:
    """The query string of the diff and migration pages, read here only: the versions from and to (ids), the cases' status."""
    return request.args.get("from", ""), request.args.get("to", ""), request.args.get("status", InstanceStatus.RUNNING)


def _chosen_version(ern: Ern, process_id: str, value: str, default: ProcessDefinition) -> ProcessDefinition:
    """The version named in the query string (404 when it is not one of this process's), else ``default``."""
    if not value:
        return default
    chosen = queries.version(ern.id, process_id, number) if (number := as_id(value)) is not None else None
    if chosen is None:
        abort(404)
    return chosen


@bp.route("/erns/<code>/processes/<process_id>/diff")
@requires(LOGIN)
def diff(code: str, process_id: str) -> str:
    """What changed between two versions, element by element."""
    ern = _process(code, process_id)
    versions = queries.versions(ern.id, process_id)
    current = store.current_definition(process_id, ern.id)
    older = next((row for row in versions if row.id != current.id), current)
    asked_from, asked_to, _status = _query()
    old = _chosen_version(ern, process_id, asked_from, older)
    new = _chosen_version(ern, process_id, asked_to, current)
    changes = elements.diff(bytes(old.xml), bytes(new.xml))
    overlays = {c.element.element_id: {"state": "added", "count": 0} for c in changes.added}
    overlays.update({c.element.element_id: {"state": "changed", "count": 0} for c in changes.changed})
    return render_template(
        "processes/diff.html",
        ern=ern,
        process_id=process_id,
        versions=versions,
        old=old,
        new=new,
        changes=changes,
        overlays=overlays,
        xml=importing.as_text(bytes(new.xml)),
    )


@bp.route("/erns/<code>/processes/<process_id>/versions/<int:definition_id>/rollback", methods=["POST"])
@requires(LOGIN)
def rollback(code: str, process_id: str, definition_id: int) -> Response:
    """Deploy an earlier version again, as the next version."""
    ern = _process(code, process_id)
    try:
        row = services.roll_back(current_user, ern.id, process_id, definition_id, _forms_dir())
    except ConsiliumError as error:
        if error.status == 404:
            raise
        flash(error.message, "danger")
        return _to_show(ern, process_id)
    flash(_("The earlier text is deployed again as version %(n)d; running cases keep their version.", n=row.version), "success")
    return _to_show(ern, process_id)


@bp.route("/erns/<code>/processes/<process_id>/migration")
@requires(LOGIN)
def migration(code: str, process_id: str) -> str:
    """Choose cases by version and state; the dry run says for each whether it can move and what would reset."""
    ern = _process(code, process_id)
    versions = queries.versions(ern.id, process_id)
    current = store.current_definition(process_id, ern.id)
    counts = queries.running_counts(ern.id, process_id)
    busiest = max((row for row in versions if row.id != current.id), key=lambda row: counts.get(row.id, 0), default=current)
    asked_from, asked_to, status = _query()
    source = _chosen_version(ern, process_id, asked_from, busiest)
    target = _chosen_version(ern, process_id, asked_to, current)
    candidates = services.dry_run(current_user, ern.id, process_id, source.id, target.id, status)
    return render_template(
        "processes/migration.html",
        ern=ern,
        process_id=process_id,
        versions=versions,
        source=source,
        target=target,
        status=status,
        statuses=services.STATUSES,
        candidates=candidates,
        limit=queries.MAX_LISTED,
    )


@bp.route("/erns/<code>/processes/<process_id>/migration", methods=["POST"])
@requires(LOGIN)
def migrate(code: str, process_id: str) -> Response:
    """Move the chosen cases to the target version in one step, audited."""
    ern = _process(code, process_id)
    form = MigrationForm()
    target = form.target_id
    if not form.validate_on_submit() or target is None:  # validate refuses a missing target; the test is for the type
        flash(next(iter(form.errors.values()))[0], "danger")
        return _to_show(ern, process_id)
    try:
        moved = services.migrate(current_user, ern.id, process_id, target, form.instance_ids, origin())
    except ConsiliumError as error:
        if error.status == 404:
            raise
        flash(error.message, "danger")
        return _to_show(ern, process_id)
    flash(_("%(n)d cases now run on the new version.", n=moved), "success")
    return _to_show(ern, process_id)


@bp.route("/erns/<code>/processes/instances/<int:instance_id>")
@requires(LOGIN)
def instance(code: str, instance_id: int) -> str:
    """One case: its version's diagram with what ran, what is active and what waits; its event log, timers and data keys."""
    ern = _ern(code)
    found = services.inspect(current_user, ern.id, instance_id)
    overlays = {node.element_id: {"state": node.state, "count": node.count} for node in (found.view.nodes if found.view else ())}
    return render_template(
        "processes/instance.html",
        ern=ern,
        found=found,
        overlays=overlays,
        events=queries.events_of(instance_id),
        xml=importing.as_text(bytes(found.instance.definition.xml)),
    )
