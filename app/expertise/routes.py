"""Pages: a member's expertise (declared and learned codes, consultation languages)."""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.errors import InvalidInput
from app.expertise import profile
from app.expertise import services
from app.expertise.forms import CodeForm
from app.expertise.forms import EmptyForm
from app.expertise.forms import LanguagesForm
from app.expertise.forms import LearnedForm
from app.expertise.ranking import ranked_experts
from app.panels.models import Panel
from app.requests import origin
from app.security import LOGIN
from app.security import assists_panel
from app.security import can_invite
from app.security import requires

bp = Blueprint("expertise", __name__)


@bp.app_template_global()
def expert_ranking(panel: Panel) -> list:
    """For the task pages (the coordinators' assistance): the panel's possible invitees, ranked for its case."""
    return ranked_experts(panel)


@bp.app_template_global()
def may_invite_to(panel: Panel) -> bool:
    return not panel.closed and (can_invite(current_user, panel) or assists_panel(current_user, panel))


def _page(status: int = 200, typed: str = "") -> tuple[str, int]:
    return render_template(
        "expertise/show.html",
        declared=profile.declared(current_user.id),
        learned=profile.learned_codes([current_user.id], with_hidden=True).get(current_user.id, []),
        languages=set(profile.languages(current_user.id)),
        language_names=services.CONSULTATION_LANGUAGES,
        typed=typed,
    ), status


@bp.route("/preferences/expertise")
@requires(LOGIN)
def show() -> tuple[str, int]:
    return _page()


def _valid(form: FlaskForm) -> None:
    if not form.validate_on_submit():
        raise InvalidInput(str(next(iter(form.errors.values()))[0]))


@bp.route("/preferences/expertise/declare", methods=["POST"])
@requires(LOGIN)
def declare() -> Response | tuple[str, int]:
    form = CodeForm()
    try:
        _valid(form)
        row = services.declare(current_user, form.code.data or "", origin())
    except InvalidInput as error:
        flash(error.message, "danger")
        return _page(422, typed=(form.code.data or "")[:200])
    flash(_("%(code)s added to your expertise.", code=row.code), "success")
    return redirect(url_for("expertise.show") + "#declared")


@bp.route("/preferences/expertise/<int:expertise_id>/remove", methods=["POST"])
@requires(LOGIN)
def remove(expertise_id: int) -> Response | tuple[str, int]:
    try:
        _valid(EmptyForm())
        services.remove(current_user, expertise_id, origin())
    except InvalidInput as error:
        flash(error.message, "danger")
        return _page(422)
    flash(_("Removed from your expertise."), "success")
    return redirect(url_for("expertise.show") + "#declared")


def _learned(action: str) -> Response | tuple[str, int]:
    form = LearnedForm()
    try:
        _valid(form)
        change = services.hide if action == "hide" else services.restore
        change(current_user, form.system.data or "", form.code.data or "", origin())
    except InvalidInput as error:
        flash(error.message, "danger")
        return _page(422)
    flash(_("Your learned expertise is saved."), "success")
    return redirect(url_for("expertise.show") + "#learned")


@bp.route("/preferences/expertise/learned/hide", methods=["POST"])
@requires(LOGIN)
def hide() -> Response | tuple[str, int]:
    return _learned("hide")


@bp.route("/preferences/expertise/learned/restore", methods=["POST"])
@requires(LOGIN)
def restore() -> Response | tuple[str, int]:
    return _learned("restore")


@bp.route("/preferences/expertise/languages", methods=["POST"])
@requires(LOGIN)
def languages() -> Response | tuple[str, int]:
    form = LanguagesForm()
    try:
        _valid(form)
        services.set_languages(current_user, form.languages.data or [], origin())
    except InvalidInput as error:
        flash(error.message, "danger")
        return _page(422)
    flash(_("Your consultation languages are saved."), "success")
    return redirect(url_for("expertise.show") + "#languages")
