from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from typing import NamedTuple
from typing import TypeVar

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
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app import security
from app.database import utcnow
from app.documents import queries as document_queries
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotFound
from app.expertise.ranking import ranked_experts
from app.i18n import today_for
from app.meetings import polls
from app.meetings import queries as meeting_queries
from app.meetings import services as meeting_services
from app.notifications import services as notification_services
from app.panels import consultation as consultation_versions
from app.panels import follow_up
from app.panels import queries
from app.panels import services
from app.panels import timeline
from app.panels.forms import AssistanceForm
from app.panels.forms import CloseForm
from app.panels.forms import ContributionCommentForm
from app.panels.forms import ContributionForm
from app.panels.forms import GroupForm
from app.panels.forms import InviteForm
from app.panels.forms import KeptTextForm
from app.panels.forms import OpenPanelForm
from app.panels.forms import QuestionForm
from app.panels.forms import TextForm
from app.panels.forms import UserForm
from app.panels.material import consultation_form
from app.panels.models import PHASE_LABELS
from app.panels.models import ClosingReason
from app.panels.models import Panel
from app.panels.report import consultation_pdf as render_pdf
from app.requests import origin
from app.requests import row_id
from app.security import LOGIN
from app.security import requires
from app.tasks.answers import clean_answers
from app.tasks.form_definitions import FormDefinition
from app.tasks.form_definitions import in_language
from app.tasks.form_definitions import load_form_definitions
from app.tasks.forms import DefinedForm
from app.tasks.forms import form_class

bp = Blueprint("panels", __name__, url_prefix="/panels")

TABS = ("consultation", "members", "meetings", "contributions")

F = TypeVar("F", bound=FlaskForm)


class _Query(NamedTuple):
    """The query strings of the panel list (filters, sort, page) and of the panel page (tab)."""

    ern: str
    area: int | None
    centre: int | None
    phase: str
    archived: bool
    search: str
    sort: str
    descending: bool
    page: int
    tab: str


def _query() -> _Query:
    """The query string, read here only."""
    args = request.args
    return _Query(
        ern=args.get("ern", "")[:40],
        area=args.get("area", type=row_id),
        centre=args.get("centre", type=row_id),
        phase=args.get("status", ""),
        archived=args.get("archived") == "1",
        search=args.get("q", "")[:100],
        sort=args.get("sort", "updated"),
        descending=args.get("dir", "desc") != "asc",
        page=args.get("page", 1, type=int) or 1,
        tab=args.get("tab", "consultation"),
    )


def _posted(form_class: type[F]) -> F:
    """The posted form, validated."""
    return _validated(form_class())


def _validated(form: F) -> F:
    """``form``, if valid; else the first thing wrong in it is invalid input (422)."""
    if not form.validate_on_submit():
        raise InvalidInput(str(next(iter(form.errors.values()))[0]))
    return form


@bp.route("/")
@requires(LOGIN)
def index() -> str:
    asked = _query()
    ern = queries.ern_with_areas(asked.ern) if asked.ern else None
    result = queries.panels(
        current_user,
        ern_id=ern.id if ern else None,
        centre_id=asked.centre,
        phase=asked.phase,
        thematic_area_id=asked.area,
        archived=asked.archived,
        search=asked.search,
        sort=asked.sort if asked.sort in queries.SORTABLE else "updated",
        descending=asked.descending,
        page=asked.page,
        per_page=int(current_app.config["PANEL_PAGE_SIZE"]),
    )
    return render_template(
        "panels/index.html",
        result=result,
        ern=ern,
        areas=ern.thematic_areas if ern else [],
        area=asked.area,
        phase=asked.phase,
        phases=PHASE_LABELS,
        archived=asked.archived,
        sort=asked.sort,
        descending=asked.descending,
    )


@bp.route("/open", methods=["POST"])
@requires(LOGIN)
def open_panel() -> Response:
    patient_id, area_id = _posted(OpenPanelForm).ids
    panel_id, task_id = services.open_panel(current_user, patient_id, area_id, origin())
    flash(_("Panel #%(id)s opened. Fill in the consultation form; you can save a draft at any time.", id=panel_id), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/<int:panel_id>")
@requires(LOGIN)
def show(panel_id: int) -> str:
    return _page(panel_id, _query().tab)


def _page(panel_id: int, tab: str, kept: dict[str, str] | None = None) -> str:
    """The panel page on a tab; ``kept``: what the person wrote in a box whose text was refused, shown in it again."""
    # Before the page is read: the commit would expire what the page loaded, and its template would load it again.
    notification_services.mark_read_about(current_user, timeline.panel_link(panel_id))
    page = services.view_panel(current_user, panel_id)
    inviting = page.may_invite and tab == "members"
    forms = load_form_definitions(current_app.config["FORMS_DIR"])
    return render_template(
        "panels/show.html",
        page=page,
        panel=page.panel,
        document_listing=document_queries.for_panel(page.panel.id, include_held=page.of_patients_centre),
        tab=tab if tab in TABS else "consultation",
        experts=ranked_experts(page.panel) if inviting else [],  # ranked for the case, with the reason
        groups=queries.expert_groups(page.panel.ern_id) if inviting else [],
        invitation_tasks=queries.invitation_tasks(panel_id) if page.is_lead and tab == "members" else {},
        consultation_form=consultation_form(page.panel),
        contribution_form=in_language(forms["contribution"]),
        closing_reasons=list(ClosingReason),
        possible_leads=queries.possible_leads(page.panel) if page.may_manage and page.panel.lead_id is None else [],
        kept=kept or {},
        meetings=_meetings(page.panel, tab),
        follow_ups=follow_up.follow_ups_of(page.panel.id) if tab == "contributions" else [],
        **_consultation_state(page.panel, tab),
    )


def _meetings(panel: Panel, tab: str) -> dict[str, Any] | None:
    """The panel's meetings for its members and managers (None for everyone else): the next one for the header, and on
    the Meetings tab the meetings, the open polls and what the viewer may start."""
    if not security.can_see_meetings(current_user, panel):
        return None
    now = utcnow()
    seen: dict[str, Any] = {"next": meeting_queries.next_of_panel(panel.id, now)}
    if tab == "meetings":
        seen.update(
            listed=meeting_queries.of_panel(panel.id, now),
            polls=polls.open_polls(panel.id),
            may_schedule=meeting_services.may_schedule(current_user, panel),
            may_propose=polls.may_propose(current_user, panel),
        )
    return seen


def _consultation_state(panel: Panel, tab: str) -> dict[str, Any]:
    """The consultation tab's line on its current version, and whether the viewer may change it (or why not now)."""
    if (tab if tab in TABS else "consultation") != "consultation" or panel.consultation_submitted_at is None:
        return {"consultation_version": None, "may_edit_consultation": False, "consultation_frozen": ""}
    return {
        "consultation_version": consultation_versions.current_version(panel.id),
        "may_edit_consultation": consultation_versions.may_edit(current_user, panel),
        "consultation_frozen": consultation_versions.why_frozen(panel),
    }


K = TypeVar("K", bound=KeptTextForm)


def _keeps_refused_text(form_class: type[K], box: str) -> Callable[[Callable[[int, K], Response]], Callable[[int], Any]]:
    """A text refused (empty, too long, identifying the patient) comes back in its box on the panel page with the
    reason, so nothing written is lost; 422. The view is given the posted form, validated."""

    def decorate(view: Callable[[int, K], Response]) -> Callable[[int], Any]:
        @wraps(view)
        def wrapper(panel_id: int) -> Any:
            form = form_class()
            try:
                return view(panel_id, _validated(form))
            except InvalidInput as error:
                flash(error.message, "danger")
                return _page(panel_id, form.tab.data, {box: form.kept_text}), 422

        return wrapper

    return decorate


def _back(panel_id: int, tab: str = "consultation") -> Response:
    return redirect(url_for("panels.show", panel_id=panel_id, tab=tab))


@bp.route("/<int:panel_id>/invite", methods=["POST"])
@requires(LOGIN)
def invite(panel_id: int) -> Response:
    form = _posted(InviteForm)
    names = services.invite_experts(current_user, panel_id, form.user_ids, origin())
    flash(_invited(names), "success")
    return redirect(form.task_page() or url_for("panels.show", panel_id=panel_id, tab="members"))


@bp.route("/<int:panel_id>/invite-group", methods=["POST"])
@requires(LOGIN)
def invite_group(panel_id: int) -> Response:
    form = _posted(GroupForm)
    names = services.invite_group(current_user, panel_id, form.chosen_id, origin())
    flash(_invited(names), "success")
    return redirect(form.task_page() or url_for("panels.show", panel_id=panel_id, tab="members"))


def _invited(names: list[str]) -> str:
    if not names:
        return _("Nobody was invited: everyone in the group is on the panel already.")
    return ngettext("%(names)s invited.", "%(names)s invited.", len(names), names=", ".join(names))


@bp.route("/<int:panel_id>/assistance", methods=["POST"])
@requires(LOGIN)
def assistance(panel_id: int) -> Response:
    form = _posted(AssistanceForm)
    services.request_assistance(current_user, panel_id, origin())
    flash(_("The ERN's coordinators were asked to suggest experts."), "success")
    return redirect(form.task_page() or url_for("panels.show", panel_id=panel_id, tab="members"))


@bp.route("/<int:panel_id>/comment", methods=["POST"])
@requires(LOGIN)
@_keeps_refused_text(TextForm, "comment")
def comment(panel_id: int, form: TextForm) -> Response:
    services.add_comment(current_user, panel_id, form.text.data, origin())
    flash(_("Comment added."), "success")
    return _back(panel_id, form.tab.data)


@bp.route("/<int:panel_id>/contribute", methods=["POST"])
@requires(LOGIN)
@_keeps_refused_text(ContributionForm, "contribution")
def contribute(panel_id: int, _kept: ContributionForm) -> Response:
    form = in_language(load_form_definitions(current_app.config["FORMS_DIR"])["contribution"])
    # The answers are the fields of the contribution's form definition, which a manager's data names and a FlaskForm
    # cannot declare: they are read by the definition's names (ContributionForm declares the free text only, for its box).
    raw = {f.name: request.form.get(f.name, "") for f in form.fields}
    answers, errors = clean_answers(form, raw, today_for(current_user))
    if errors:
        raise InvalidInput(_("The contribution was not recorded: ") + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)
    services.record_contribution(current_user, panel_id, form, answers, origin())
    flash(_("Contribution recorded."), "success")
    return _back(panel_id, "contributions")


@bp.route("/<int:panel_id>/contribution-comments", methods=["POST"])
@requires(LOGIN)
@_keeps_refused_text(ContributionCommentForm, "contribution_comment")
def comment_on_contribution(panel_id: int, form: ContributionCommentForm) -> Response:
    services.comment_on_contribution(current_user, panel_id, form.chosen_id, form.text.data, origin())
    flash(_("Comment added to the contribution."), "success")
    return redirect(url_for("panels.show", panel_id=panel_id, tab="contributions", _anchor=f"contribution-{form.chosen_id}"))


@bp.route("/<int:panel_id>/request-contributions", methods=["POST"])
@requires(LOGIN)
def request_contributions(panel_id: int) -> Response:
    count = services.request_contributions(current_user, panel_id, origin())
    flash(ngettext("%(num)s member reminded.", "%(num)s members reminded.", count), "success")
    return _back(panel_id, "contributions")


@bp.route("/<int:panel_id>/data-requests", methods=["POST"])
@requires(LOGIN)
@_keeps_refused_text(QuestionForm, "question")
def request_data(panel_id: int, form: QuestionForm) -> Response:
    services.request_additional_data(current_user, panel_id, form.question.data, origin())
    flash(_("Your request for additional data was sent to the lead and the patient's centre."), "success")
    return _back(panel_id, "contributions")


@bp.route("/<int:panel_id>/lead", methods=["POST"])
@requires(LOGIN)
def hand_over(panel_id: int) -> Response:
    services.hand_over_lead(current_user, panel_id, _posted(UserForm).chosen_id, origin())
    flash(_("The lead was handed over."), "success")
    return _back(panel_id, "members")


@bp.route("/<int:panel_id>/close", methods=["POST"])
@requires(LOGIN)
@_keeps_refused_text(CloseForm, "close_note")
def close(panel_id: int, form: CloseForm) -> Response:
    services.close_now(current_user, panel_id, form.reason.data, form.note.data, origin())
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
@_keeps_refused_text(TextForm, "addendum")
def addendum(panel_id: int, form: TextForm) -> Response:
    services.add_addendum(current_user, panel_id, form.text.data, origin())
    flash(_("Addendum added."), "success")
    return _back(panel_id, "contributions")


@bp.route("/<int:panel_id>/consultation")
@requires(LOGIN)
def consultation(panel_id: int) -> str:
    """The submitted consultation form as one printable page."""
    page = services.view_panel(current_user, panel_id)
    return render_template(
        "panels/consultation.html",
        panel=page.panel,
        consultation_form=consultation_form(page.panel),
        consultation_version=consultation_versions.current_version(page.panel.id),
    )


@bp.route("/<int:panel_id>/consultation.pdf")
@requires(LOGIN)
def consultation_pdf(panel_id: int) -> Response:

    panel = services.view_panel(current_user, panel_id).panel
    if panel.consultation_submitted_at is None:
        raise NotFound(_("The consultation form has not been submitted yet."))
    pdf = render_pdf(panel, consultation_form(panel), consultation_versions.current_version(panel.id))
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


# One rule for both methods: an id out of range is then "not found" for either (two rules answer a POST with 405).
@bp.route("/<int:panel_id>/consultation/edit", methods=["GET", "POST"])
@requires(LOGIN)
def edit_consultation(panel_id: int) -> str | Response | tuple[str, int]:
    """The submitted consultation form with its current answers, to change while the panel is open. Saving makes a
    new version; wrong answers come back in the form with what to correct (422), and a change someone saved meanwhile
    keeps what was typed in the form (409)."""
    page = consultation_versions.edit_page(current_user, panel_id)
    if request.method == "GET":
        form = _consultation_form(page.form, data=consultation_versions.as_typed(page.form, page.panel.consultation))
        return _render_edit(page, form, page.number)
    form = _consultation_form(page.form)
    base_version, status = request.form.get("base_version", 0, type=int), 422
    if form.validate_on_submit():
        try:
            number = consultation_versions.change_consultation(
                current_user, panel_id, form.raw_answers(), base_version, form.today, origin()
            )
        except InvalidInput as error:
            for name, messages in error.field_errors.items():
                form[name].errors = list(messages)
            if not error.field_errors:
                flash(error.message, "danger")
        except Conflict as error:
            flash(error.message, "danger")
            page = consultation_versions.edit_page(current_user, panel_id)  # the version saved meanwhile
            base_version, status = page.number, 409
        else:
            if number is None:
                flash(_("No answer changed: the consultation form stays as it was."), "info")
            else:
                flash(_("The consultation form is changed (version %(number)s). The panel's members are told.", number=number), "success")
            return _back(panel_id)
    return _render_edit(page, form, base_version), status


@bp.get("/<int:panel_id>/consultation/history")
@requires(LOGIN)
def consultation_history(panel_id: int) -> str:
    """Every version of the consultation form: who changed it, when, and what changed, field by field."""
    history = consultation_versions.history(current_user, panel_id)
    return render_template("panels/consultation_history.html", panel=history.panel, history=history)


@bp.get("/<int:panel_id>/consultation/versions/<int:number>")
@requires(LOGIN)
def consultation_version(panel_id: int, number: int) -> str:
    """The consultation form as it stood in one version."""
    history = consultation_versions.history(current_user, panel_id)
    version = history.version(number)
    return render_template(
        "panels/consultation_version.html",
        panel=history.panel,
        history=history,
        version=version,
        consultation_form=history.form,
        consultation_answers=version.answers,
    )


def _consultation_form(definition: FormDefinition, data: dict[str, Any] | None = None) -> DefinedForm:
    form = form_class(definition)(data=data)
    form.today = today_for(current_user)
    return form


def _render_edit(page: consultation_versions.EditPage, form: DefinedForm, base_version: int) -> str:
    form.offer_blank_entries()
    return render_template("panels/consultation_edit.html", panel=page.panel, page=page, form=form, base_version=base_version)
