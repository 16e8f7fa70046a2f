from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.database import utcnow
from app.errors import InvalidInput
from app.organisations import queries
from app.organisations import services
from app.organisations.forms import AreaForm
from app.organisations.forms import CentreErnsForm
from app.organisations.forms import CentreForm
from app.organisations.forms import ErnForm
from app.patients import queries as patient_queries
from app.requests import origin
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


@bp.route("/admin/organisations")
@requires(ADMIN)
def admin() -> str:
    return render_template("organisations/admin.html", erns=queries.all_erns(), centres=queries.all_centres())


def _admin_action(form: FlaskForm, action: Callable[[], object], done: str, **shown: object) -> Response | tuple[str, int]:
    """Run ``action`` on a valid form; otherwise, or when the service refuses, the page again with the message and what was typed."""
    if form.validate_on_submit():
        try:
            action()
        except InvalidInput as error:
            flash(error.message, "danger")
        else:
            flash(done, "success")
            return redirect(url_for("organisations.admin"))
    else:
        flash(next(iter(form.errors.values()))[0], "danger")
    return render_template("organisations/admin.html", erns=queries.all_erns(), centres=queries.all_centres(), **shown), 422


@bp.route("/admin/erns", methods=["POST"])
@requires(ADMIN)
def create_ern() -> Response | tuple[str, int]:
    form = ErnForm()
    return _admin_action(
        form, lambda: services.create_ern(current_user, form.code.data, form.name.data, origin()), _("ERN created."), ern_form=form
    )


@bp.route("/admin/erns/<int:ern_id>/areas", methods=["POST"])
@requires(ADMIN)
def add_area(ern_id: int) -> Response | tuple[str, int]:
    form = AreaForm()
    return _admin_action(
        form,
        lambda: services.add_thematic_area(current_user, ern_id, form.name.data, origin()),
        _("Thematic area added."),
        area_form=form,
        area_ern_id=ern_id,
    )


@bp.route("/admin/centres", methods=["POST"])
@requires(ADMIN)
def create_centre() -> Response | tuple[str, int]:
    form = CentreForm()
    return _admin_action(
        form,
        lambda: services.create_centre(current_user, form.code.data, form.name.data, form.country.data, form.ern_ids, origin()),
        _("Centre created."),
        centre_form=form,
    )


@bp.route("/admin/centres/<int:centre_id>/erns", methods=["POST"])
@requires(ADMIN)
def centre_erns(centre_id: int) -> Response | tuple[str, int]:
    form = CentreErnsForm()
    return _admin_action(
        form,
        lambda: services.set_centre_erns(current_user, centre_id, form.ern_ids, origin()),
        _("The centre's networks are saved."),
    )
