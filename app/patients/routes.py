from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app import security
from app.database import as_id
from app.documents import queries as document_queries
from app.errors import InvalidInput
from app.organisations import queries as organisation_queries
from app.panels import queries as panel_queries
from app.patients import services
from app.patients.queries import SORTABLE
from app.requests import origin
from app.security import LOGIN
from app.security import requires

bp = Blueprint("patients", __name__, url_prefix="/patients")


@bp.route("/")
@requires(LOGIN)
def index() -> str:
    centre = organisation_queries.centre_by_code(request.args.get("centre", ""))
    sort = request.args.get("sort", "last_name")
    sort = sort if sort in SORTABLE else "last_name"
    descending = request.args.get("dir") == "desc"
    # The search term is kept in the session, never in the URL: names must not reach access logs.
    search = session.get(_SEARCH_KEY, {}).get(request.args.get("centre", ""), "")
    page = request.args.get("page", 1, type=int) or 1
    result = services.list_patients(
        current_user,
        centre.id if centre else None,
        origin(),
        search=search,
        sort=sort,
        descending=descending,
        page=page,
        per_page=int(current_app.config["PAGE_SIZE"]),
    )
    return render_template("patients/index.html", result=result, centre=centre, sort=sort, descending=descending, search=search)


_SEARCH_KEY = "patient_search"


@bp.route("/search", methods=["POST"])
@requires(LOGIN)
def search() -> Response:
    centre = request.form.get("centre", "")[:40]
    searches = dict(session.get(_SEARCH_KEY, {}))
    searches[centre] = request.form.get("q", "").strip()[:200]
    session[_SEARCH_KEY] = searches
    return redirect(url_for("patients.index", centre=centre or None))


@bp.route("/<int:patient_id>")
@requires(LOGIN)
def show(patient_id: int) -> str:
    patient = services.view_patient(current_user, patient_id, origin())
    return render_template(
        "patients/show.html",
        patient=patient,
        panels=panel_queries.panels_of_patient(current_user, patient.id),
        patient_documents=document_queries.for_patient(patient.id),
        can_open_panel=security.can_open_panel(current_user, patient) and not patient.frozen and patient.consent_care,
    )


@bp.route("/enrol", methods=["POST"])
@requires(LOGIN)
def enrol() -> Response:
    centre_id, ern_id = as_id(request.form.get("centre_id", "")), as_id(request.form.get("ern_id", ""))
    if centre_id is None or ern_id is None:
        raise InvalidInput("Choose a centre and an ERN.")
    task_id = services.start_enrolment(current_user, centre_id, ern_id, origin())
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/enrolments/<uuid:task_id>/discard", methods=["POST"])
@requires(LOGIN)
def discard_enrolment(task_id: object) -> Response:
    services.discard_enrolment(current_user, str(task_id), origin())
    flash(_("The enrolment was discarded; nothing was kept."), "info")
    return redirect(url_for("main.dashboard"))
