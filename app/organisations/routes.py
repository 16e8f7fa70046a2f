from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.database import utcnow
from app.errors import InvalidInput
from app.organisations import queries
from app.organisations import services
from app.patients import queries as patient_queries
from app.requests import origin
from app.requests import row_ids
from app.security import ADMIN
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


def _ids(name: str) -> list[int]:
    return row_ids(request.form.getlist(name))


@bp.route("/admin/organisations")
@requires(ADMIN)
def admin() -> str:
    return render_template("organisations/admin.html", erns=queries.all_erns(), centres=queries.all_centres())


def _admin_action(action: Callable[[], object], done: str) -> Response | tuple[str, int]:
    try:
        action()
    except InvalidInput as error:
        flash(error.message, "danger")
        return render_template("organisations/admin.html", erns=queries.all_erns(), centres=queries.all_centres(), form=request.form), 422
    flash(done, "success")
    return redirect(url_for("organisations.admin"))


@bp.route("/admin/erns", methods=["POST"])
@requires(ADMIN)
def create_ern() -> Response | tuple[str, int]:
    form = request.form
    return _admin_action(lambda: services.create_ern(current_user, form.get("code", ""), form.get("name", ""), origin()), _("ERN created."))


@bp.route("/admin/erns/<int:ern_id>/areas", methods=["POST"])
@requires(ADMIN)
def add_area(ern_id: int) -> Response | tuple[str, int]:
    name = request.form.get("name", "")
    return _admin_action(lambda: services.add_thematic_area(current_user, ern_id, name, origin()), _("Thematic area added."))


@bp.route("/admin/centres", methods=["POST"])
@requires(ADMIN)
def create_centre() -> Response | tuple[str, int]:
    form = request.form
    return _admin_action(
        lambda: services.create_centre(
            current_user, form.get("code", ""), form.get("name", ""), form.get("country", ""), _ids("ern_id"), origin()
        ),
        _("Centre created."),
    )


@bp.route("/admin/centres/<int:centre_id>/erns", methods=["POST"])
@requires(ADMIN)
def centre_erns(centre_id: int) -> Response | tuple[str, int]:
    return _admin_action(
        lambda: services.set_centre_erns(current_user, centre_id, _ids("ern_id"), origin()), _("The centre's networks are saved.")
    )
