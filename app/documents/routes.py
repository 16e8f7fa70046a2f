"""Uploading, listing, previewing and viewing documents of patients and panels (access checked by the services)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from app.documents import imaging
from app.documents import pdf_pages
from app.documents import profile as deidentification_profile
from app.documents import services
from app.documents.forms import OptionsForm
from app.documents.forms import UploadForm
from app.documents.models import Document
from app.documents.services import UploadSummary
from app.documents.services import Where
from app.documents.storage import Missing
from app.documents.storage import Storage
from app.documents.storage import Unreachable
from app.documents.stores import storage_for
from app.errors import InvalidInput
from app.errors import NotFound
from app.organisations import queries as organisation_queries
from app.organisations.models import Ern
from app.requests import origin
from app.security import LOGIN
from app.security import requires

bp = Blueprint("documents", __name__)

PREVIEWABLE = {"application/pdf", "image/png", "image/jpeg"}
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "application/dicom": "dcm"}
MAX_FRAME_SIZE = 2048
MAX_PREVIEW_PAGES = 300
INERT = "default-src 'none'; img-src 'self'; sandbox"


def _storage() -> Storage:
    return storage_for(current_app.config)


@bp.errorhandler(Missing)
@bp.errorhandler(Unreachable)
def missing_file(error: Exception) -> tuple[Any, int]:
    """A file that cannot be read (deleted, a database restored without its files, the store down) answers a page that
    says so, never a dropped connection or a 500; one log line, with the document's number only."""
    document_id = (request.view_args or {}).get("document_id", "-")
    if isinstance(error, Missing):
        status, message = 404, _("This file is missing from storage; tell your administrator.")
        current_app.logger.warning("document %s: its file is missing from storage", document_id)
    else:
        status = 503
        if request.method == "POST":
            message = _("The file storage does not answer: nothing was stored. Try again later, or tell your administrator.")
        else:
            message = _("This file cannot be read from storage just now; try again later, or tell your administrator.")
        current_app.logger.error("document %s: the file storage does not answer (%s)", document_id, error)
    if _wants_json():
        return jsonify(error=message), status
    return render_template("documents/missing.html", message=message), status


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _upload(form: UploadForm, where: Where, back: str) -> Response:
    """Attach what was sent (files, a folder's files, zips); the browser's uploader sends one file per request."""
    if not form.validate_on_submit():
        raise InvalidInput(str(next(iter(form.errors.values()))[0]))
    uploads = form.file.data
    title = form.title.data
    files = [(title if len(uploads) == 1 and title else Path(upload.filename or "").name, upload.stream) for upload in uploads]
    summary = services.attach_many(
        current_user,
        where,
        files,
        form.kind.data,
        _storage(),
        int(current_app.config["MAX_FILE_BYTES"]),
        origin(),  # type: ignore[arg-type]
    )
    if not summary.attached:
        message = "; ".join(f"{name}: {reason}" if len(summary.skipped) > 1 else reason for name, reason in summary.skipped)
        raise InvalidInput(message or _("Nothing was attached."))
    if _wants_json():
        _tell_cleaned(summary)  # the uploader reloads the page when it is done
        skipped = [{"name": n, "reason": r} for n, r in summary.skipped]
        cleaned = [{"name": n, "removed": r} for n, r, _active in summary.cleaned]
        return jsonify(attached=summary.attached, held=summary.held, skipped=skipped, cleaned=cleaned)
    _tell(summary)
    return redirect(back)


def _tell(summary: UploadSummary) -> None:
    flash(
        ngettext("%(num)s file attached.", "%(num)s files attached.", summary.attached)
        + " "
        + _("DICOM files are de-identified; other files must not contain identifying data."),
        "success",
    )
    if summary.held:
        flash(_("Some images may show identifying text in the picture: they wait for review before the panel sees them."), "warning")
    for name, reason in summary.skipped[:20]:
        flash(_("Not attached: %(name)s (%(reason)s)", name=name, reason=reason), "warning")
    _tell_cleaned(summary)


def _tell_cleaned(summary: UploadSummary) -> None:
    for name, removed, active in summary.cleaned[:20]:
        if active:
            message = _(
                "%(name)s is attached without its %(removed)s: they could run or open files when the PDF is opened. The pages are kept.",
                name=name,
                removed=removed,
            )
        else:
            message = _(
                "%(name)s is attached without its %(removed)s, which could name people. What it shows is kept.",
                name=name,
                removed=removed,
            )
        flash(message, "warning")


@bp.route("/panels/<int:panel_id>/documents", methods=["POST"])
@requires(LOGIN)
def attach_to_panel(panel_id: int) -> Response:
    form = UploadForm()
    back = form.return_to.data
    if not (back.startswith("/tasks/") and "//" not in back):
        tab = "consultation" if form.kind.data == "summary" else "contributions"
        back = url_for("panels.show", panel_id=panel_id, tab=tab)
    return _upload(form, Where(panel_id=panel_id), back)


@bp.route("/panels/<int:panel_id>/contributions/<int:contribution_id>/documents", methods=["POST"])
@requires(LOGIN)
def attach_to_contribution(panel_id: int, contribution_id: int) -> Response:
    """A PDF the author adds to their contribution (a report, a guideline)."""
    back = url_for("panels.show", panel_id=panel_id, tab="contributions", _anchor=f"contribution-{contribution_id}")
    return _upload(UploadForm(), Where(panel_id=panel_id, contribution_id=contribution_id), back)


@bp.route("/patients/<int:patient_id>/documents", methods=["POST"])
@requires(LOGIN)
def attach_to_patient(patient_id: int) -> Response:
    return _upload(UploadForm(), Where(patient_id=patient_id), url_for("patients.show", patient_id=patient_id) + "#documents")


def _file_response(document: Document, inline: bool) -> Response:
    content = _storage().chunks(document.content_hash)  # opened before the answer starts: a missing file gets its page
    response = Response(content, mimetype=document.media_type)
    name = f"document-{document.id}.{EXTENSIONS.get(document.media_type, 'bin')}"
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{name}"'
    response.headers["Content-Length"] = str(document.size)
    response.headers["Cache-Control"] = "private, no-store"
    # Uploaded content: never sniffed, never run, even when a browser shows it instead of saving it.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = INERT
    return response


@bp.route("/documents/<int:document_id>/download")
@requires(LOGIN)
def download(document_id: int) -> Response:
    return _file_response(services.document_for(current_user, document_id), inline=False)


@bp.route("/documents/<int:document_id>/preview")
@requires(LOGIN)
def preview(document_id: int) -> Response | str:
    """Images shown by the browser itself; PDFs as pictures of their pages, never opened by the browser's PDF viewer."""
    document = services.document_for(current_user, document_id)
    if document.media_type not in PREVIEWABLE:
        raise NotFound(_("This file has no preview: download it."))
    if document.media_type != "application/pdf":
        return _file_response(document, inline=True)
    problem = ""
    try:
        with _storage().open(document.content_hash) as source:
            pages = pdf_pages.pages(source)
    except pdf_pages.CannotRender as error:
        pages, problem = [], str(error)
    shown = pages[:MAX_PREVIEW_PAGES]
    return render_template("documents/pdf_preview.html", document=document, pages=shown, count=len(pages), problem=problem)


@bp.route("/documents/<int:document_id>/pages/<int:page>.png")
@requires(LOGIN)
def page(document_id: int, page: int) -> Response:
    document = services.document_for(current_user, document_id)
    if document.media_type != "application/pdf":
        raise NotFound(_("This file is not a PDF."))
    try:
        with _storage().open(document.content_hash) as source:
            return _image_response(pdf_pages.render(source, page))
    except pdf_pages.CannotRender as problem:
        raise InvalidInput(_("This page cannot be shown: %(problem)s.", problem=str(problem))) from None


@bp.route("/documents/<int:document_id>/viewer")
@requires(LOGIN)
def viewer(document_id: int) -> str:
    images = services.series_of(current_user, document_id)
    first = images[0]
    if not first.is_dicom or not first.image:
        raise NotFound(_("This file is not an image series."))
    if not _storage().exists(first.content_hash):  # the viewer would open on blank frames
        raise Missing()
    data = {
        "images": [
            {key: (d.image or {}).get(key) for key in ("frames", "spacing", "rows", "columns")}
            | {"id": d.id, "frames": (d.image or {}).get("frames") or 1}
            for d in images
        ],
        "frameUrl": url_for("documents.frame", document_id=0, frame=0).replace("/0/frames/0.png", "/{id}/frames/{frame}.png"),
        "headerUrl": url_for("documents.header", document_id=0).replace("/0/", "/{id}/"),
        "window": first.image.get("window"),
        "presets": imaging.CT_PRESETS if first.image.get("modality") == "CT" else {},
        "colour": bool(first.image.get("colour")),
    }
    return render_template(
        "documents/viewer.html",
        first=first,
        images=images,
        series=services.series_nearby(current_user, first),
        data=data,
        frames=sum(item["frames"] for item in data["images"]),  # type: ignore[misc]
    )


def _image_response(png: bytes) -> Response:
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=3600"  # de-identified copies never change
    response.headers["Vary"] = "Accept"  # errors answer JSON to scripts
    return response


def _frame_query() -> tuple[tuple[float, float] | None, int]:
    """The frame's query string, read here only: the window (``center``, ``width``) and the size in pixels (16 to 2048)."""
    chosen = imaging.window(request.args.get("center"), request.args.get("width"))
    return chosen, min(MAX_FRAME_SIZE, max(16, request.args.get("size", MAX_FRAME_SIZE, type=int) or MAX_FRAME_SIZE))


@bp.route("/documents/<int:document_id>/frames/<int:frame>.png")
@requires(LOGIN)
def frame(document_id: int, frame: int) -> Response:
    document = services.document_for(current_user, document_id)
    if not document.is_dicom:
        raise NotFound(_("This file is not an image."))
    chosen, size = _frame_query()
    try:
        with _storage().open(document.content_hash) as source:
            return _image_response(imaging.render_frame(source, frame, chosen, size))
    except imaging.CannotRender as problem:
        raise InvalidInput(_("This image cannot be shown: %(problem)s.", problem=str(problem))) from None


@bp.route("/documents/<int:document_id>/thumbnail.png")
@requires(LOGIN)
def thumbnail(document_id: int) -> Response:
    images = services.series_of(current_user, document_id)
    middle = images[len(images) // 2]
    if not middle.is_dicom:
        raise NotFound(_("This file is not an image."))
    frames = (middle.image or {}).get("frames", 1)
    try:
        with _storage().open(middle.content_hash) as source:
            return _image_response(imaging.render_frame(source, frames // 2, None, imaging.THUMBNAIL))
    except imaging.CannotRender:
        raise NotFound(_("No thumbnail: this image cannot be shown.")) from None


@bp.route("/documents/<int:document_id>/header")
@requires(LOGIN)
def header(document_id: int) -> Response:
    document = services.document_for(current_user, document_id)
    if not document.is_dicom:
        raise NotFound(_("This file is not a DICOM file."))
    with _storage().open(document.content_hash) as source:
        return jsonify(rows=imaging.header(source))


@bp.route("/documents/<int:document_id>/share", methods=["POST"])
@requires(LOGIN)
def share(document_id: int) -> Response:
    panel = services.share_reviewed(current_user, document_id, origin())
    flash(_("The series is shared with the panel."), "success")
    return redirect(url_for("panels.show", panel_id=panel.id, tab="contributions"))


@bp.route("/documents/<int:document_id>/discard", methods=["POST"])
@requires(LOGIN)
def discard(document_id: int) -> Response:
    panel = services.discard_held(current_user, document_id, origin())
    flash(_("The series is removed: the panel never saw it."), "success")
    return redirect(url_for("panels.show", panel_id=panel.id, tab="contributions"))


@bp.route("/documents/de-identification")
@requires(LOGIN)
def profile() -> str:
    """Exactly what is done to every DICOM file, from the same data file the code applies."""
    return render_template(
        "documents/profile.html",
        rows=deidentification_profile.rows(),
        source=deidentification_profile.source(),
        actions=deidentification_profile.ACTIONS,
    )


def _ern(code: str) -> Ern:
    ern = organisation_queries.ern_by_code(code[:40])
    if ern is None:
        raise NotFound(_("No such ERN."))
    return ern


@bp.route("/erns/<code>/de-identification", methods=["GET", "POST"])
@requires(LOGIN)
def ern_options(code: str) -> Response | str:
    """An ERN's managers choose the optional parts of the de-identification profile."""
    ern = _ern(code)
    options = services.options_for_ern(current_user, ern.id)
    form = OptionsForm()
    if form.validate_on_submit():
        services.set_options_for_ern(current_user, ern.id, form.options(), origin())
        flash(_("The de-identification options of %(ern)s are saved; they apply to files uploaded from now on.", ern=ern.code), "success")
        return redirect(url_for("documents.ern_options", code=ern.code))
    return render_template("documents/ern_options.html", ern=ern, options=options)
