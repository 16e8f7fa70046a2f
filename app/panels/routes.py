from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from app.documents import queries as document_queries
from app.errors import InvalidInput
from app.errors import NotFound
from app.formdesign.queries import form_for_version
from app.i18n import today_for
from app.panels import queries
from app.panels import services
from app.panels.models import PHASE_LABELS
from app.panels.models import ClosingReason
from app.panels.models import Panel
from app.panels.report import consultation_pdf as render_pdf
from app.requests import form_id
from app.requests import origin
from app.requests import row_id
from app.requests import row_ids
from app.security import LOGIN
from app.security import requires
from app.tasks.answers import clean_answers
from app.tasks.form_definitions import FormDefinition
from app.tasks.form_definitions import load_form_definitions

bp = Blueprint("panels", __name__, url_prefix="/panels")

TABS = ("consultation", "members", "meetings", "contributions")


@bp.route("/")
@requires(LOGIN)
def index() -> str:
    ern = None
    if code := request.args.get("ern", ""):
        ern = queries.ern_with_areas(code[:40])
    area = request.args.get("area", type=row_id)
    phase = request.args.get("status", "")
    archived = request.args.get("archived") == "1"
    sort = request.args.get("sort", "updated")
    descending = request.args.get("dir", "desc") != "asc"
    result = queries.panels(
        current_user,
        ern_id=ern.id if ern else None,
        centre_id=request.args.get("centre", type=row_id),
        phase=phase,
        thematic_area_id=area,
        archived=archived,
        search=request.args.get("q", "")[:100],
        sort=sort if sort in queries.SORTABLE else "updated",
        descending=descending,
        page=request.args.get("page", 1, type=int) or 1,
        per_page=int(current_app.config["PANEL_PAGE_SIZE"]),
    )
    return render_template(
        "panels/index.html",
        result=result,
        ern=ern,
        areas=ern.thematic_areas if ern else [],
        area=area,
        phase=phase,
        phases=PHASE_LABELS,
        archived=archived,
        sort=sort,
        descending=descending,
    )


@bp.route("/open", methods=["POST"])
@requires(LOGIN)
def open_panel() -> Response:
    panel_id, task_id = services.open_panel(current_user, form_id("patient_id"), form_id("thematic_area_id"), origin())
    flash(_("Panel #%(id)s opened. Fill in the consultation form; you can save a draft at any time.", id=panel_id), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/<int:panel_id>")
@requires(LOGIN)
def show(panel_id: int) -> str:
    return _page(panel_id, request.args.get("tab", "consultation"))


def _page(panel_id: int, tab: str, kept: dict[str, str] | None = None) -> str:
    """The panel page on a tab; ``kept``: what the person wrote in a box whose text was refused, shown in it again."""
    page = services.view_panel(current_user, panel_id)
    experts = []
    all_areas = request.args.get("all_areas") == "1"
    search = request.args.get("q", "")[:100]
    if page.may_invite and tab == "members":
        experts = queries.available_experts(page.panel, search=search, all_areas=all_areas)
    forms = load_form_definitions(current_app.config["FORMS_DIR"])
    return render_template(
        "panels/show.html",
        page=page,
        panel=page.panel,
        document_listing=document_queries.for_panel(page.panel.id, include_held=page.of_patients_centre),
        tab=tab if tab in TABS else "consultation",
        experts=experts,
        all_areas=all_areas,
        search=search,
        groups=queries.expert_groups(page.panel.ern_id) if page.may_invite and tab == "members" else [],
        consultation_form=_consultation_form(page.panel),
        contribution_form=forms["contribution"],
        closing_reasons=list(ClosingReason),
        possible_leads=queries.possible_leads(page.panel) if page.may_manage and page.panel.lead_id is None else [],
        kept=kept or {},
    )


def _keeps_refused_text(box: str, tab: str, field: str = "text") -> Callable[[Callable[[int], Response]], Callable[[int], Any]]:
    """A text refused (empty, too long, identifying the patient) comes back in its box on the panel page with the
    reason, so nothing written is lost; 422."""

    def decorate(view: Callable[[int], Response]) -> Callable[[int], Any]:
        @wraps(view)
        def wrapper(panel_id: int) -> Any:
            try:
                return view(panel_id)
            except InvalidInput as error:
                flash(error.message, "danger")
                return _page(panel_id, request.form.get("tab", tab), {box: request.form.get(field, "")}), 422

        return wrapper

    return decorate


def _consultation_form(panel: Panel) -> FormDefinition:
    """The version of the consultation form this panel was filled with (its ERN's, or the base)."""
    return form_for_version(panel.consultation_version_id, load_form_definitions(current_app.config["FORMS_DIR"])["consultation"])


def _back(panel_id: int, tab: str = "consultation") -> Response:
    return redirect(url_for("panels.show", panel_id=panel_id, tab=tab))


@bp.route("/<int:panel_id>/invite", methods=["POST"])
@requires(LOGIN)
def invite(panel_id: int) -> Response:
    ids = row_ids(request.form.getlist("user_id"))
    count = services.invite_experts(current_user, panel_id, ids, origin())
    flash(ngettext("%(num)s expert invited.", "%(num)s experts invited.", count), "success")
    return _back(panel_id, "members")


@bp.route("/<int:panel_id>/invite-group", methods=["POST"])
@requires(LOGIN)
def invite_group(panel_id: int) -> Response:
    count = services.invite_group(current_user, panel_id, form_id("group_id"), origin())
    flash(ngettext("%(num)s expert invited.", "%(num)s experts invited.", count), "success")
    return _back(panel_id, "members")


@bp.route("/<int:panel_id>/assistance", methods=["POST"])
@requires(LOGIN)
def assistance(panel_id: int) -> Response:
    services.request_assistance(current_user, panel_id, origin())
    flash(_("The ERN's coordinators were asked to suggest experts."), "success")
    return _back(panel_id, "members")


@bp.route("/<int:panel_id>/comment", methods=["POST"])
@requires(LOGIN)
@_keeps_refused_text("comment", "contributions")
def comment(panel_id: int) -> Response:
    services.add_comment(current_user, panel_id, request.form.get("text", ""), origin())
    flash(_("Comment added."), "success")
    return _back(panel_id, request.form.get("tab", "contributions"))


@bp.route("/<int:panel_id>/contribute", methods=["POST"])
@requires(LOGIN)
@_keeps_refused_text("contribution", "contributions")
def contribute(panel_id: int) -> Response:
    form = load_form_definitions(current_app.config["FORMS_DIR"])["contribution"]
    answers, errors = clean_answers(form, {f.name: request.form.get(f.name, "") for f in form.fields}, today_for(current_user))
    if errors:
        raise InvalidInput(_("The contribution was not recorded: ") + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)
    services.record_contribution(current_user, panel_id, answers, origin())
    flash(_("Contribution recorded."), "success")
    return _back(panel_id, "contributions")


@bp.route("/<int:panel_id>/request-contributions", methods=["POST"])
@requires(LOGIN)
def request_contributions(panel_id: int) -> Response:
    count = services.request_contributions(current_user, panel_id, origin())
    flash(ngettext("%(num)s member reminded.", "%(num)s members reminded.", count), "success")
    return _back(panel_id, "contributions")


@bp.route("/<int:panel_id>/data-requests", methods=["POST"])
@requires(LOGIN)
@_keeps_refused_text("question", "contributions", "question")
def request_data(panel_id: int) -> Response:
    services.request_additional_data(current_user, panel_id, request.form.get("question", ""), origin())
    flash(_("Your request for additional data was sent to the lead and the patient's centre."), "success")
    return _back(panel_id, "contributions")


@bp.route("/<int:panel_id>/lead", methods=["POST"])
@requires(LOGIN)
def hand_over(panel_id: int) -> Response:
    services.hand_over_lead(current_user, panel_id, form_id("user_id"), origin())
    flash(_("The lead was handed over."), "success")
    return _back(panel_id, "members")


@bp.route("/<int:panel_id>/close", methods=["POST"])
@requires(LOGIN)
@_keeps_refused_text("close_note", "consultation", "note")
def close(panel_id: int) -> Response:
    services.close_now(current_user, panel_id, request.form.get("reason", ""), request.form.get("note", ""), origin())
    flash(_("The panel is closed."), "success")
    return _back(panel_id)


@bp.route("/<int:panel_id>/archive", methods=["POST"])
@requires(LOGIN)
def archive(panel_id: int) -> Response:
    services.archive(current_user, panel_id, origin())
    flash(_("The panel is archived: hidden from working lists, still searchable."), "success")
    return _back(panel_id)


@bp.route("/<int:panel_id>/restart", methods=["POST"])
@requires(LOGIN)
def restart(panel_id: int) -> Response:
    new_id, task_id = services.restart(current_user, panel_id, origin())
    flash(_("Panel #%(id)s opened for the new episode.", id=new_id), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/<int:panel_id>/release", methods=["POST"])
@requires(LOGIN)
def release(panel_id: int) -> Response:
    services.release_for_research(current_user, panel_id, origin())
    flash(_("The panel is released to the ERN's researchers (pseudonymised)."), "success")
    return _back(panel_id, "contributions")


@bp.route("/<int:panel_id>/addendum", methods=["POST"])
@requires(LOGIN)
@_keeps_refused_text("addendum", "contributions")
def addendum(panel_id: int) -> Response:
    services.add_addendum(current_user, panel_id, request.form.get("text", ""), origin())
    flash(_("Addendum added."), "success")
    return _back(panel_id, "contributions")


@bp.route("/<int:panel_id>/consultation")
@requires(LOGIN)
def consultation(panel_id: int) -> str:
    """The submitted consultation form as one printable page."""
    page = services.view_panel(current_user, panel_id)
    return render_template("panels/consultation.html", panel=page.panel, consultation_form=_consultation_form(page.panel))


@bp.route("/<int:panel_id>/consultation.pdf")
@requires(LOGIN)
def consultation_pdf(panel_id: int) -> Response:

    panel = services.view_panel(current_user, panel_id).panel
    if panel.consultation_submitted_at is None:
        raise NotFound(_("The consultation form has not been submitted yet."))
    pdf = render_pdf(panel, _consultation_form(panel))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="panel-{panel.id}-consultation.pdf"'
    return response


@bp.route("/<int:panel_id>/outcome.pdf")
@requires(LOGIN)
def report(panel_id: int) -> Response:
    panel, pdf = services.outcome_report(current_user, panel_id, origin())
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="panel-{panel.id}-outcome.pdf"'
    return response
