"""Meeting pages: schedule, the meeting with its answers, reschedule, cancel, the personal calendar feed."""

from __future__ import annotations

from typing import TypeVar

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app import security
from app.accounts.services import time_zones
from app.database import utcnow
from app.errors import InvalidInput
from app.errors import NotFound
from app.meetings import calendar
from app.meetings import feeds
from app.meetings import queries
from app.meetings import services
from app.meetings import times
from app.meetings.forms import AnswerForm
from app.meetings.forms import FeedForm
from app.meetings.forms import MeetingForm
from app.meetings.forms import PersonForm
from app.meetings.models import Meeting
from app.meetings.steps import page_url
from app.panels.models import Panel
from app.requests import as_id
from app.requests import origin
from app.security import LOGIN
from app.security import PUBLIC
from app.security import requires

bp = Blueprint("meetings", __name__)


def _zone() -> str:
    return times.zone_for(current_user, current_app.config["DEFAULT_TIMEZONE"])


def _locale() -> str:
    """The reader's language, for the names of days and months."""
    return str(get_locale() or "en")


@bp.app_template_global("meeting_time")
def meeting_time(meeting: Meeting) -> str:
    """A meeting's day and hours in the viewer's time zone, named (pages of other blueprints show meetings too)."""
    return times.describe(meeting.starts_at, meeting.duration_minutes, _zone(), _locale())


def _meeting(meeting_id: int) -> Meeting:
    meeting = queries.visible(current_user, meeting_id)
    if meeting is None:
        raise NotFound(_("No such meeting."))
    return meeting


def _form_page(form: MeetingForm, panel: Panel, errors: dict[str, list[str]], meeting: Meeting | None) -> tuple[str, int]:
    return render_template(
        "meetings/edit.html",
        form=form,
        panel=panel,
        meeting=meeting,
        errors=errors,
        time_zones=time_zones(),
        participants=services.participants(panel),
        video_template=services.settings_of(panel.ern_id).video_url_template,
    ), (422 if errors else 200)


F = TypeVar("F", bound=FlaskForm)


def _posted(form: F) -> F:
    """The posted form; one that fails CSRF (a page left open too long) is refused with what to do."""
    if not form.validate_on_submit():
        raise InvalidInput(_("The form expired: reload the page and try again."))
    return form


def _refused(error: InvalidInput) -> dict[str, list[str]]:
    flash(error.message, "danger")
    return error.field_errors or {"title": [error.message]}


@bp.route("/panels/<int:panel_id>/meetings/new", methods=["GET", "POST"])
@requires(LOGIN)
def new(panel_id: int) -> tuple[str, int] | Response:
    panel = services.panel_for_scheduling(current_user, panel_id)
    form = MeetingForm()
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        try:
            meeting = services.schedule(current_user, panel_id, form.meeting_request(with_invitees=True), origin())
        except InvalidInput as error:
            errors = _refused(error)
        else:
            flash(_("Meeting “%(title)s” scheduled: the invitations are on their way.", title=meeting.title), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    elif not form.is_submitted():
        form.time_zone.data = _zone()
        form.invitees.data = [str(p.id) for p in services.participants(panel)]
    return _form_page(form, panel, errors, None)


@bp.route("/meetings/<int:meeting_id>")
@requires(LOGIN)
def show(meeting_id: int) -> str:
    meeting = _meeting(meeting_id)
    now = utcnow()
    zone = _zone()
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        panel=meeting.panel,
        zone=zone,
        when=times.describe(meeting.starts_at, meeting.duration_minutes, zone, _locale()),
        scheduled_when=times.describe(meeting.starts_at, meeting.duration_minutes, meeting.time_zone, _locale()),
        mine=meeting.invitee(current_user.id),
        over=meeting.ends_at <= now,
        started=meeting.starts_at <= now,
        may_join=queries.may_join(meeting, now),
        may_change=security.can_change_meeting(current_user, meeting) and not meeting.panel.closed,
        minutes_task=queries.minutes_task_for(current_user, meeting),
        participants=services.participants(meeting.panel),
        answer_form=AnswerForm(),
    )


@bp.route("/meetings/<int:meeting_id>/answer", methods=["POST"])
@requires(LOGIN)
def answer(meeting_id: int) -> Response:
    form = _posted(AnswerForm())
    meeting = services.answer(current_user, meeting_id, form.answer.data or "", form.note.data or "", origin())
    names = {"accepted": _("accepted"), "tentative": _("answered “tentative” to"), "declined": _("declined")}
    invitee = meeting.invitee(current_user.id)
    verb = names.get(invitee.answer.value, "") if invitee is not None else ""
    flash(_("You %(verb)s the meeting “%(title)s”.", verb=verb, title=meeting.title), "success")
    return redirect(form.back() or url_for("meetings.show", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/reschedule", methods=["GET", "POST"])
@requires(LOGIN)
def reschedule(meeting_id: int) -> tuple[str, int] | Response:
    meeting = _meeting(meeting_id)
    form = MeetingForm()
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        try:
            services.reschedule(current_user, meeting_id, form.meeting_request(with_invitees=False), origin())
        except InvalidInput as error:
            errors = _refused(error)
        else:
            flash(_("Meeting rescheduled: the invitees get the new time and answer again."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting_id))
    elif not form.is_submitted():
        if not security.can_change_meeting(current_user, meeting):
            raise NotFound(_("No such meeting."))
        start = times.local(meeting.starts_at, meeting.time_zone)
        form.title.data, form.agenda.data = meeting.title, meeting.agenda
        form.day.data, form.start_time.data = start.date().isoformat(), start.strftime("%H:%M")
        form.duration.data, form.time_zone.data, form.join_url.data = str(meeting.duration_minutes), meeting.time_zone, meeting.join_url
    return _form_page(form, meeting.panel, errors, meeting)


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
@requires(LOGIN)
def cancel(meeting_id: int) -> Response:
    _posted(FlaskForm())
    meeting = services.cancel(current_user, meeting_id, origin())
    flash(_("Meeting “%(title)s” cancelled: the invitees are told.", title=meeting.title), "success")
    return redirect(url_for("panels.show", panel_id=meeting.panel_id, tab="meetings"))


@bp.route("/meetings/<int:meeting_id>/minutes-taker", methods=["POST"])
@requires(LOGIN)
def minutes_taker(meeting_id: int) -> Response:
    form = _posted(PersonForm())
    meeting = services.name_minutes_taker(current_user, meeting_id, as_id(form.user_id.data or "") or 0, origin())
    taker = meeting.minutes_taker.full_name if meeting.minutes_taker else ""
    flash(_("%(name)s records the minutes of this meeting.", name=taker), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


@bp.route("/meetings/<int:meeting_id>/invite.ics")
@requires(LOGIN)
def ics(meeting_id: int) -> Response:
    """The meeting for one's own calendar, as the invitation mails carry it."""
    meeting = _meeting(meeting_id)
    method = "CANCEL" if meeting.cancelled else "REQUEST"
    text = calendar.invitation(meeting, method, page_url=page_url(meeting))
    response = Response(text, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{calendar.INVITATION_FILE}"'
    return response


@bp.route("/calendar/feed", methods=["POST"])
@requires(LOGIN)
def new_feed() -> tuple[str, int]:
    """A new secret address for one's calendar application, shown once."""
    form = _posted(FeedForm())
    token = feeds.new_address(current_user, form.show_nicknames.data == "yes", origin())
    return render_template("meetings/feed_created.html", address=url_for("meetings.feed", token=token, _external=True)), 200


@bp.route("/calendar/feed/revoke", methods=["POST"])
@requires(LOGIN)
def revoke_feed() -> Response:
    _posted(FlaskForm())
    feeds.revoke(current_user, origin())
    flash(_("Your calendar address no longer works. Remove the subscription from your calendar application."), "success")
    return redirect(url_for("main.preferences") + "#calendar-feed")


@bp.route("/calendar/<token>.ics")
@requires(PUBLIC)
def feed(token: str) -> Response:
    """The personal calendar feed: the secret address is the credential (no sign-in from a calendar application)."""
    owner = queries.feed_owner(token[:100])
    if owner is None:
        raise NotFound(_("This calendar address is unknown or was revoked."))
    meetings = queries.feed_meetings(owner.user, utcnow())
    text = calendar.feed(
        meetings,
        page_url_for=page_url,
        nickname_for=(lambda meeting: meeting.panel.nickname) if owner.show_nicknames else None,
    )
    response = Response(text, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    return response
