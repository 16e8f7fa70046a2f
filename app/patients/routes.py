from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import get_template_attribute
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app import security
from app.documents import queries as document_queries
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.i18n import today_for
from app.organisations import queries as organisation_queries
from app.panels import queries as panel_queries
from app.patients import editing
from app.patients import history
from app.patients import queries
from app.patients import services
from app.patients import transfer as patient_transfer
from app.patients.forms import DuplicateCheckForm
from app.patients.forms import EnrolForm
from app.patients.forms import FreezeForm
from app.patients.forms import SearchForm
from app.patients.forms import TransferForm
from app.patients.queries import SORTABLE
from app.requests import origin
from app.security import LOGIN
from app.security import requires
from app.tasks.answers import clean_answers
from app.tasks.forms import form_class

bp = Blueprint("patients", __name__, url_prefix="/patients")


def _query() -> tuple[str, str, bool, int]:
    """The list's query string, read here only: the centre's code, the sort and its direction, the page."""
    sort = request.args.get("sort", "last_name")
    return (
        request.args.get("centre", ""),
        sort if sort in SORTABLE else "last_name",
        request.args.get("dir") == "desc",
        request.args.get("page", 1, type=int) or 1,
    )


@bp.route("/")
@requires(LOGIN)
def index() -> str:
    code, sort, descending, page = _query()
    state = request.args.get("state", "") if request.args.get("state", "") in FROZEN_FILTERS else ""
    centre = organisation_queries.centre_by_code(code)
    # The search term is kept in the session, never in the URL: names must not reach access logs.
    search = session.get(_SEARCH_KEY, {}).get(code, "")
    result = services.list_patients(
        current_user,
        centre.id if centre else None,
        origin(),
        search=search,
        frozen=FROZEN_FILTERS.get(state),
        sort=sort,
        descending=descending,
        page=page,
        per_page=int(current_app.config["PAGE_SIZE"]),
    )
    return render_template(
        "patients/index.html", result=result, centre=centre, sort=sort, descending=descending, search=search, state=state
    )


# The list's filter by the record's state: every record, the frozen ones, the others.
FROZEN_FILTERS: dict[str, bool | None] = {"": None, "frozen": True, "active": False}


_SEARCH_KEY = "patient_search"


@bp.route("/search", methods=["POST"])
@requires(LOGIN)
def search() -> Response:
    form = SearchForm()
    if form.validate_on_submit():
        session[_SEARCH_KEY] = dict(session.get(_SEARCH_KEY, {})) | {form.centre_code: form.text}
    return redirect(url_for("patients.index", centre=form.centre_code or None))


@bp.route("/<int:patient_id>")
@requires(LOGIN)
def show(patient_id: int) -> str:
    return _record(patient_id)


@bp.route("/<int:patient_id>/freeze", methods=["POST"])
@requires(LOGIN)
def freeze(patient_id: int) -> Response | tuple[str, int]:
    return _set_frozen(patient_id, True)


@bp.route("/<int:patient_id>/unfreeze", methods=["POST"])
@requires(LOGIN)
def unfreeze(patient_id: int) -> Response | tuple[str, int]:
    return _set_frozen(patient_id, False)


def _set_frozen(patient_id: int, frozen: bool) -> Response | tuple[str, int]:
    """A refused reason comes back in its box with what to correct (422): nothing typed is lost."""
    form = FreezeForm()
    reason = str(form.reason.data or "")
    try:
        if not form.validate_on_submit():
            raise InvalidInput(str(next(iter(form.errors.values()))[0]))
        patient = services.set_frozen(current_user, patient_id, frozen, reason, origin())
    except InvalidInput as error:
        flash(error.message, "danger")
        return _record(patient_id, kept_reason=reason), 422
    if frozen:
        flash(_("Record %(cpms_id)s frozen: it opens no new panel until it is unfrozen.", cpms_id=patient.cpms_id), "success")
    else:
        flash(_("Record %(cpms_id)s unfrozen.", cpms_id=patient.cpms_id), "success")
    return redirect(url_for("patients.show", patient_id=patient_id))


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
@requires(LOGIN)
def edit(patient_id: int) -> str | Response | tuple[str, int]:
    """The record's edit form: the enrolment form's fields, filled with the record; refused answers come back kept (422)."""
    patient = services.view_patient(current_user, patient_id, origin())
    if not security.can_change_record(current_user, patient):
        raise NotAllowed(_("Only the health professionals of the patient's centre edit the record."))
    definition = editing.edit_form()
    form = form_class(definition)(data=None if request.method == "POST" else editing.current_answers(patient))
    form.today = today_for(current_user)
    note = request.form.get("note", "")
    if request.method == "POST":
        try:
            if not form.validate_on_submit():
                raise InvalidInput(_("Some answers need correcting: see the marked fields."))
            answers, _errors = clean_answers(definition, form.raw_answers(), form.today)
            edited = editing.edit_record(current_user, patient_id, answers, note, origin())
        except InvalidInput as error:
            for name, messages in error.field_errors.items():
                form[name].errors = list(messages)
            flash(error.message, "danger")
            return render_template("patients/edit.html", patient=patient, definition=definition, form=form, note=note), 422
        except Conflict as error:  # a frozen or erased record: what was typed stays on the page
            flash(error.message, "danger")
            return render_template("patients/edit.html", patient=patient, definition=definition, form=form, note=note), 409
        flash(_edit_summary(edited), "success" if edited.changed else "info")
        return redirect(url_for("patients.show", patient_id=patient_id, _anchor="history" if edited.changed else None))
    return render_template("patients/edit.html", patient=patient, definition=definition, form=form, note=note)


def _edit_summary(edited: editing.Edited) -> str:
    if not edited.changed:
        return _("Nothing changed: the record is as it was.")
    said = [_("Record %(cpms_id)s saved: the history shows what changed.", cpms_id=edited.patient.cpms_id)]
    if edited.frozen_now:
        said.append(_("Consent for care was withdrawn: the record is frozen and opens no new panel."))
    if edited.releases_withdrawn:
        said.append(_("Registry consent was withdrawn: %(n)d panel(s) are no longer released for research.", n=edited.releases_withdrawn))
    return " ".join(said)


@bp.post("/<int:patient_id>/transfer")
@requires(LOGIN)
def request_transfer(patient_id: int) -> Response | tuple[str, int]:
    """Ask another centre to take the record over; a refused request comes back with what was typed (422)."""
    form = TransferForm()
    try:
        if not form.validate_on_submit():
            raise InvalidInput(str(next(iter(form.errors.values()))[0]))
        transfer = patient_transfer.request_transfer(current_user, patient_id, form.centre_id_value, form.text, origin())
    except InvalidInput as error:
        flash(error.message, "danger")
        kept = {"centre_id": form.centre_id_value, "reason": form.text}
        return _record(patient_id, kept_transfer=kept), 422
    centre = transfer.to_centre.code
    flash(_("Transfer to %(centre)s requested: its clinicians accept or decline; the record shows the answer.", centre=centre), "success")
    return redirect(url_for("patients.show", patient_id=patient_id, _anchor="transfer"))


def _record(patient_id: int, kept_reason: str = "", kept_transfer: dict[str, Any] | None = None) -> str:
    patient = services.view_patient(current_user, patient_id, origin())
    return render_template(
        "patients/show.html",
        history=history.entries(patient.id),
        kept_reason=kept_reason,
        kept_transfer=kept_transfer or {},
        pending_transfer=patient_transfer.pending(patient.id),
        receiving_centres=patient_transfer.receiving_centres(patient),
        may_freeze=security.can_change_record(current_user, patient),
        patient=patient,
        panels=panel_queries.panels_of_patient(current_user, patient.id),
        patient_documents=document_queries.for_patient(patient.id),
        can_open_panel=security.can_open_panel(current_user, patient) and not patient.frozen and patient.consent_care,
        duplicates=queries.possible_duplicates(
            current_user,
            patient.centre_id,
            patient.ern_id,
            (patient.first_name, patient.last_name),
            patient.date_of_birth,
            excluding=patient.id,
        ),
    )


@bp.route("/enrol", methods=["POST"])
@requires(LOGIN)
def enrol() -> Response:
    form = EnrolForm()
    if not form.validate_on_submit() or form.ids is None:  # validate refuses missing ids; the test is for the type
        raise InvalidInput(str(next(iter(form.errors.values()))[0]))
    centre_id, ern_id = form.ids
    task_id = services.start_enrolment(current_user, centre_id, ern_id, origin())
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/enrolments/<uuid:task_id>/discard", methods=["POST"])
@requires(LOGIN)
def discard_enrolment(task_id: object) -> Response:
    services.discard_enrolment(current_user, str(task_id), origin())
    flash(_("The enrolment was discarded; nothing was kept."), "info")
    return redirect(url_for("main.dashboard"))


@bp.post("/enrolments/<uuid:task_id>/possible-duplicates")
@requires(LOGIN)
def possible_duplicates(task_id: object) -> Response:
    """What duplicates.js asks while the enrolment form is filled in. A POST: names must not travel in URLs."""
    form = DuplicateCheckForm()
    if not form.validate_on_submit():
        raise InvalidInput(str(next(iter(form.errors.values()))[0]))
    found = services.possible_duplicates(current_user, str(task_id), form.names, form.birth_date, origin())
    return jsonify(
        matches=[{"cpms_id": p.cpms_id, "url": url_for("patients.show", patient_id=p.id) if p.cpms_id else None} for p in found],
        html=get_template_attribute("patients/_duplicates.html", "enrolment_warning")(found) if found else "",
    )
