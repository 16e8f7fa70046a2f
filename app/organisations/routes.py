from __future__ import annotations

from datetime import timedelta

from flask import Blueprint
from flask import abort
from flask import render_template
from flask_login import current_user

from app.database import utcnow
from app.organisations import queries
from app.patients import queries as patient_queries
from app.security import LOGIN
from app.security import requires

bp = Blueprint("organisations", __name__)


@bp.route("/erns/<code>")
@requires(LOGIN)
def ern(code: str) -> str:
    network = queries.ern_by_code(code)
    if network is None or network not in queries.erns_of(current_user):
        abort(404)
    return render_template("organisations/ern.html", ern=network)


@bp.route("/centres/<code>")
@requires(LOGIN)
def centre(code: str) -> str:
    hospital = queries.centre_by_code(code)
    if hospital is None or hospital not in queries.clinical_centres_of(current_user):
        abort(404)
    return render_template(
        "organisations/centre.html",
        centre=hospital,
        patient_count=patient_queries.patient_count(current_user, hospital.id),
        enrolment_erns=queries.enrolment_erns(current_user, hospital),
        recent=queries.recent_enrolments(hospital.id, utcnow() - timedelta(days=14)),
    )
