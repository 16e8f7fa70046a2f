"""/api/v1/panels/{id}/documents: a panel's files (list) and uploads, checked and de-identified as the web's are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import RAISE
from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from app.api import cursors
from app.api import queries
from app.api.panels_routes import visible_panel
from app.api.patients_routes import page_size
from app.api.schemas import DocumentPage
from app.api.schemas import DocumentSchema
from app.api.schemas import ListArgs
from app.documents import services
from app.documents.models import Document
from app.documents.services import Where
from app.documents.stores import storage_for
from app.errors import InvalidInput
from app.requests import origin
from app.security import TOKEN
from app.security import requires


class _MultipartParser(FlaskParser):
    """The 'files' location reads a multipart body's text fields as well, so that one schema is the whole body (one
    requestBody in the OpenAPI document; a second, 'form', argument would be documented as an OpenAPI 2 formData one)."""

    def load_files(self, req: Any, schema: Any) -> MultiDictProxy:
        return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)


bp = Blueprint("api_documents", __name__, url_prefix="/api/v1/panels", description="A panel's documents")
bp.ARGUMENTS_PARSER = _MultipartParser()


class FileSchema(Schema):
    """The multipart/form-data body of an upload."""

    file = Upload(required=True, metadata={"description": "A PDF, image or DICOM file"})
    title = fields.String(load_default="", validate=validate.Length(max=200), metadata={"description": "Default: the file's name"})


@bp.route("/<int:panel_id>/documents")
class Documents(MethodView):  # one rule for both methods: an id out of range is a 404 for each (not a 405)
    decorators = [requires(TOKEN)]

    @bp.arguments(ListArgs, location="query", as_kwargs=True)
    @bp.response(200, DocumentPage)
    def get(self, panel_id: int, **args: Any) -> cursors.Page:
        """The panel's files: those shared with it (and image series held for review, for the patient's centre)."""
        panel = visible_panel(panel_id)
        query = queries.documents(current_user, panel)
        return cursors.page(f"documents-{panel.id}", query, Document.id, args["cursor"], page_size(args))

    @bp.arguments(FileSchema, location="files", as_kwargs=True, unknown=RAISE)  # as a JSON body: no unknown field
    @bp.response(201, DocumentSchema)
    def post(self, panel_id: int, title: str, file: Any) -> Document:
        """Attach one file to the panel (the content is checked, not the name; DICOM is de-identified, identifying
        PDFs are refused), as the panel's page does."""
        if file is None or not file.filename:
            raise InvalidInput(_("Send the file as multipart/form-data in the field 'file'."), {"file": [_("Missing.")]})
        return services.attach(
            current_user,
            Where(panel_id=panel_id),
            file.stream,
            title.strip() or Path(file.filename).name,
            "document",
            storage_for(current_app.config),
            int(current_app.config["MAX_FILE_BYTES"]),
            origin(),
        )
