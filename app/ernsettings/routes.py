"""An ERN's settings page for its managers: intervals, service levels, thematic areas, expert groups, model consent forms;
and the consent forms' download for the ERN's members."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.ernsettings import consent_forms
from app.ernsettings import services
from app.ernsettings.forms import AreaForm
from app.ernsettings.forms import ConsentFormUpload
from app.ernsettings.forms import DefaultLanguageForm
from app.ernsettings.forms import FollowUpAndReportsForm
from app.ernsettings.forms import GroupForm
from app.ernsettings.forms import IntervalsForm
from app.ernsettings.forms import MeetingSettingsForm
from app.ernsettings.forms import OwnCountryOrderForm
from app.ernsettings.forms import ServiceLevelForm
from app.errors import InvalidInput
from app.errors import NotFound
from app.i18n import LANGUAGE_NAMES
from app.organisations import queries as organisation_queries
from app.organisations import services as organisation_services
from app.organisations.models import Ern
from app.queues import services as queue_services
from app.requests import origin
from app.security import LOGIN
from app.security import requires

bp = Blueprint("ernsettings", __name__)


def _ern(code: str) -> Ern:
    ern = organisation_queries.ern_by_code(code[:40])
    if ern is None:
        raise NotFound(_("No such ERN."))
    services.require_manager(current_user, ern.id)
    return ern


def _page(
    ern: Ern,
    error: InvalidInput | None = None,
    status: int = 200,
    intervals: dict[str, str] | None = None,
    consent_language: str = "",
    meetings: dict[str, str] | None = None,
    follow_up: dict[str, str] | None = None,
) -> tuple[str, int]:
    return render_template(
        "ernsettings/settings.html",
        ern=ern,
        intervals=intervals or services.intervals(ern.id),
        meetings=meetings or services.meeting_settings(ern.id),
        follow_up=follow_up or services.follow_up_and_report_settings(ern.id),
        default_language=services.default_language(ern.id),
        own_country_order=services.own_country_order(ern.id),
        interface_languages=LANGUAGE_NAMES,
        labels=services.INTERVAL_LABELS,
        rules=queue_services.rules(ern.id),
        task_choices=services.task_choices(ern.id),
        groups=services.groups(ern.id),
        experts=services.experts(ern.id),
        consent_forms=consent_forms.consent_forms(ern.id),
        languages=consent_forms.language_choices(),
        language_name=consent_forms.language_name,
        consent_language=consent_language,  # the language chosen for an upload that was refused
        error=error,
        errors=error.field_errors if error else {},
    ), status


def _act(
    ern: Ern, form: FlaskForm | None, action: Callable[[], object], done: str, anchor: str, **shown: Any
) -> Response | tuple[str, int]:
    """``action`` on a valid form (``None``: nothing posted), then back to its section; else the page with the message (422)."""
    if form is not None and not form.validate_on_submit():
        return _page(ern, InvalidInput(str(next(iter(form.errors.values()))[0])), 422, **shown)
    try:
        action()
    except InvalidInput as error:
        return _page(ern, error, 422, **shown)
    flash(done, "success")
    return redirect(url_for("ernsettings.settings", code=ern.code) + anchor)


@bp.route("/erns/<code>/settings")
@requires(LOGIN)
def settings(code: str) -> tuple[str, int]:
    return _page(_ern(code))


@bp.route("/erns/<code>/settings/intervals", methods=["POST"])
@requires(LOGIN)
def intervals(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    form = IntervalsForm()
    return _act(
        ern,
        form,
        lambda: services.save_intervals(current_user, ern.id, form.raw(), origin()),
        _("The intervals are saved."),
        "#intervals",
        intervals=form.raw(),  # what was typed stays when refused
    )


@bp.route("/erns/<code>/settings/meetings", methods=["POST"])
@requires(LOGIN)
def meetings(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    form = MeetingSettingsForm()
    return _act(
        ern,
        form,
        lambda: services.save_meeting_settings(current_user, ern.id, form.raw(), origin()),
        _("The meeting settings are saved."),
        "#meetings",
        meetings=form.raw(),
    )


@bp.route("/erns/<code>/settings/follow-up", methods=["POST"])
@requires(LOGIN)
def follow_up(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    form = FollowUpAndReportsForm()
    return _act(
        ern,
        form,
        lambda: services.save_follow_up_and_report_settings(current_user, ern.id, form.raw(), origin()),
        _("The follow-up and report settings are saved."),
        "#follow-up",
        follow_up=form.raw(),
    )


@bp.route("/erns/<code>/settings/language", methods=["POST"])
@requires(LOGIN)
def default_language(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    form = DefaultLanguageForm()
    chosen = form.default_language.data or ""
    return _act(
        ern,
        form,
        lambda: services.save_default_language(current_user, ern.id, chosen, origin()),
        _("The default language is saved."),
        "#language",
    )


@bp.route("/erns/<code>/settings/expert-ranking", methods=["POST"])
@requires(LOGIN)
def own_country_order(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    form = OwnCountryOrderForm()
    chosen = form.own_country_order.data or ""
    return _act(
        ern,
        form,
        lambda: services.save_own_country_order(current_user, ern.id, chosen, origin()),
        _("The ranking of experts is saved."),
        "#expert-ranking",
    )


@bp.route("/erns/<code>/settings/service-levels", methods=["POST"])
@requires(LOGIN)
def service_level(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    form = ServiceLevelForm()
    form.task.choices = services.task_choices(ern.id)
    return _act(
        ern,
        form,
        lambda: queue_services.set_rule(current_user, ern.id, form.task.data, form.hours, origin()),
        _("The service level is saved."),
        "#service-levels",
    )


@bp.route("/erns/<code>/settings/areas", methods=["POST"])
@requires(LOGIN)
def add_area(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    form = AreaForm()
    return _act(
        ern,
        form,
        lambda: organisation_services.add_thematic_area(current_user, ern.id, form.name.data, origin()),
        _("Thematic area added."),
        "#areas",
    )


@bp.route("/erns/<code>/settings/groups", methods=["POST"])
@requires(LOGIN)
def create_group(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    form = GroupForm()
    return _act(
        ern,
        form,
        lambda: services.create_group(current_user, ern.id, form.name.data, form.member_ids, origin()),
        _("The group is created."),
        "#groups",
    )


@bp.route("/erns/<code>/settings/groups/<int:group_id>/delete", methods=["POST"])
@requires(LOGIN)
def delete_group(code: str, group_id: int) -> Response | tuple[str, int]:
    ern = _ern(code)
    return _act(ern, None, lambda: services.delete_group(current_user, ern.id, group_id, origin()), _("The group is deleted."), "#groups")


@bp.route("/erns/<code>/settings/consent-forms", methods=["POST"])
@requires(LOGIN)
def upload_consent_form(code: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    form = ConsentFormUpload()
    language = str(form.language.data or "")
    named = consent_forms.language_name(language) if language in consent_forms.LANGUAGES else language

    def upload() -> None:
        file = form.file.data
        stream = file.stream if file else io.BytesIO()
        if consent_forms.upload_consent_form(current_user, ern.id, language, file.filename if file else "", stream, origin()):
            flash(_("Scripts, embedded files or hidden details were removed from the PDF before it was kept."), "info")

    done = _("The consent form in %(language)s is saved.", language=named)
    return _act(ern, form, upload, done, "#consent-forms", consent_language=language)


@bp.route("/erns/<code>/settings/consent-forms/<language>/delete", methods=["POST"])
@requires(LOGIN)
def delete_consent_form(code: str, language: str) -> Response | tuple[str, int]:
    ern = _ern(code)
    return _act(
        ern,
        None,
        lambda: consent_forms.delete_consent_form(current_user, ern.id, language[:8], origin()),
        _("The consent form is deleted."),
        "#consent-forms",
    )


@bp.route("/erns/<code>/consent-forms/<language>")
@requires(LOGIN)
def consent_form(code: str, language: str) -> Response:
    """A model consent form, for the ERN's members to print at enrolment."""
    ern = organisation_queries.ern_by_code(code[:40])
    if ern is None:
        raise NotFound(_("No such ERN."))
    found = consent_forms.consent_form_for(current_user, ern.id, language)
    response = Response(found.content, mimetype="application/pdf")
    name = re.sub(r"[^A-Za-z0-9-]", "", f"consent-form-{ern.code}-{found.language}")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
