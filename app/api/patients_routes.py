"""/api/v1/patients: the patients of the caller's centres, with identifying data (only that centre's users get them)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint

from app.api import cursors
from app.api import queries
from app.api.schemas import PatientListArgs
from app.api.schemas import PatientPage
from app.api.schemas import PatientSchema
from app.database import db
from app.errors import NotFound
from app.patients.models import Patient
from app.security import TOKEN
from app.security import requires

bp = Blueprint("api_patients", __name__, url_prefix="/api/v1/patients", description="Patients of your centre (identifying)")


def page_size(args: dict[str, Any]) -> int:
    return int(args.get("limit") or current_app.config["API_PAGE_SIZE"])


@bp.route("")
@requires(TOKEN)
@bp.arguments(PatientListArgs, location="query", as_kwargs=True)
@bp.response(200, PatientPage)
def list_patients(**args: Any) -> cursors.Page:
    """The patients of your centres (optionally one centre, by code), oldest enrolment first."""
    return cursors.page("patients", queries.patients(current_user, args["centre"]), Patient.id, args["cursor"], page_size(args))


@bp.route("/<int:patient_id>")
@requires(TOKEN)
@bp.response(200, PatientSchema)
def get_patient(patient_id: int) -> Patient:
    patient = db.session.scalar(queries.patients(current_user, None).where(Patient.id == patient_id))
    if patient is None:
        raise NotFound(_("No such patient at your centres."))
    return patient
