"""Patients' rights: what the patient's centre hands over (export) or removes (erasure) on the patient's request."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms import TextAreaField

from app.documents.stores import storage_for
from app.errors import InvalidInput
from app.patients import rights
from app.requests import origin
from app.security import LOGIN
from app.security import requires

bp = Blueprint("patient_rights", __name__, url_prefix="/patients")


class ErasureForm(FlaskForm):
    """The typed CPMS ID and the reason, as typed (the service checks both)."""

    confirmation = StringField(default="")
    reason = TextAreaField(default="")


def _download(download: rights.Download) -> Response:
    response = Response(download.content, mimetype=download.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/<int:patient_id>/export.pdf")
@requires(LOGIN)
def export_pdf(patient_id: int) -> Response:
    return _download(rights.export_record(current_user, patient_id, "pdf", origin()))


@bp.route("/<int:patient_id>/export.json")
@requires(LOGIN)
def export_json(patient_id: int) -> Response:
    return _download(rights.export_record(current_user, patient_id, "json", origin()))


# One rule for both methods: an id out of range is then "not found" for either (two rules answer a POST with 405).
@bp.route("/<int:patient_id>/erase", methods=["GET", "POST"])
@requires(LOGIN)
def erase(patient_id: int) -> str | Response | tuple[str, int]:
    """What an erasure removes and keeps, and its confirmation; a refused confirmation or reason comes back on the page
    with what to correct (422); what was typed stays."""
    form = ErasureForm()
    if request.method == "GET":
        return _erase_page(patient_id, form)
    try:
        if not form.validate_on_submit():
            raise InvalidInput(str(next(iter(form.errors.values()))[0]))
        storage = storage_for(current_app.config)
        patient = rights.erase_identifying_data(current_user, patient_id, form.confirmation.data, form.reason.data, storage, origin())
    except InvalidInput as error:
        return _erase_page(patient_id, form, error), 422
    flash(_("The identifying data of patient %(cpms_id)s are erased; the pseudonymised record stays.", cpms_id=patient.cpms_id), "success")
    return redirect(url_for("patients.show", patient_id=patient_id))


def _erase_page(patient_id: int, form: ErasureForm, error: InvalidInput | None = None) -> str:
    plan = rights.erasure_plan(current_user, patient_id, origin())
    return render_template("patients/rights/erase.html", plan=plan, patient=plan.patient, form=form, error=error)
