"""Downloads of a signed outcome in standard formats: a FHIR R4 document bundle and a GA4GH Phenopacket v2."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask_login import current_user

from app.interop import outcome_case
from app.requests import origin
from app.security import LOGIN
from app.security import requires

bp = Blueprint("outcome_export", __name__)


def _download(export: outcome_case.Export, mimetype: str) -> Response:
    response = Response(export.body(), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/panels/<int:panel_id>/outcome.fhir.json")
@requires(LOGIN)
def fhir_bundle(panel_id: int) -> Response:
    export = outcome_case.export_outcome(current_user, panel_id, outcome_case.FHIR, origin())
    return _download(export, "application/fhir+json")


@bp.route("/panels/<int:panel_id>/outcome.phenopacket.json")
@requires(LOGIN)
def phenopacket(panel_id: int) -> Response:
    export = outcome_case.export_outcome(current_user, panel_id, outcome_case.PHENOPACKET, origin())
    return _download(export, "application/json")
