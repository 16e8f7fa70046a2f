"""Polls for a meeting time: the lead proposes slots, members mark each, the lead picks one."""

from __future__ import annotations

import re
from datetime import date
from datetime import time
from functools import partial

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts.services import time_zones
from app.errors import Conflict
from app.errors import InvalidInput
from app.meetings import polls
from app.meetings import times
from app.meetings.models import MAX_DURATION_MINUTES
from app.panels.models import Panel
from app.requests import origin
from app.requests import row_id
from app.security import LOGIN
from app.security import requires

bp = Blueprint("polls", __name__)

# Rows of day + time the form offers; a poll takes from polls.MIN_SLOTS to polls.MAX_SLOTS of them.
FORM_ROWS = 5
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?$")


def _zone() -> str:
    return times.zone_for(current_user, current_app.config["DEFAULT_TIMEZONE"])


# One rule for both methods: an id out of range is then "not found" for either (two rules answer a POST with 405).
@bp.route("/panels/<int:panel_id>/polls/new", methods=["GET", "POST"])
@requires(LOGIN)
def new(panel_id: int) -> str | Response | tuple[str, int]:
    """The form to propose times; refused input comes back in it with what to correct (422)."""
    panel = polls.panel_for_proposal(current_user, panel_id)
    typed = _typed()
    if request.method == "GET":
        return _render_new(panel, typed, {})
    slots, errors = _slots(typed)
    if not errors:
        try:
            poll = polls.propose(
                current_user,
                panel_id,
                typed["title"],
                typed["agenda"],
                _minutes(typed["duration"]),
                typed["time_zone"],
                slots,
                origin(),
            )
        except InvalidInput as error:
            errors = error.field_errors or {"form": [error.message]}
        else:
            flash(_("The times are proposed; the panel's members are told and can mark them."), "success")
            return redirect(url_for("polls.show", poll_id=poll.id))
    return _render_new(panel, typed, errors), 422


@bp.get("/polls/<int:poll_id>")
@requires(LOGIN)
def show(poll_id: int) -> str:
    """The proposed times in the viewer's own time zone, who marked them how, the viewer's marks, the lead's choice."""
    describe = partial(times.describe, locale=str(get_locale() or "en"))  # days and months in the reader's language
    return render_template("meetings/poll.html", page=polls.page(current_user, poll_id), zone=_zone(), describe=describe)


@bp.post("/polls/<int:poll_id>/vote")
@requires(LOGIN)
def vote(poll_id: int) -> Response:
    choices = {}
    for name, value in request.form.items():
        if name.startswith("vote_") and value and (slot_id := _id(name.removeprefix("vote_"))) is not None:
            choices[slot_id] = value
    try:
        polls.vote(current_user, poll_id, choices, origin())
    except (InvalidInput, Conflict) as error:
        flash(error.message, "danger")
    else:
        flash(_("Your marks are saved. You can change them while the poll is open."), "success")
    return redirect(url_for("polls.show", poll_id=poll_id))


@bp.post("/polls/<int:poll_id>/decide")
@requires(LOGIN)
def decide(poll_id: int) -> Response:
    slot_id = _id(request.form.get("slot_id", ""))
    try:
        meeting = polls.decide(current_user, poll_id, slot_id or 0, origin())
    except (InvalidInput, Conflict) as error:
        flash(error.message, "danger")
        return redirect(url_for("polls.show", poll_id=poll_id))
    flash(_("The meeting is scheduled; its invitees are told."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.post("/polls/<int:poll_id>/withdraw")
@requires(LOGIN)
def withdraw(poll_id: int) -> Response:
    try:
        poll = polls.withdraw(current_user, poll_id, origin())
    except Conflict as error:
        flash(error.message, "danger")
        return redirect(url_for("polls.show", poll_id=poll_id))
    flash(_("The poll is withdrawn."), "success")
    return redirect(url_for("panels.show", panel_id=poll.panel_id, tab="meetings"))


def _render_new(panel: Panel, typed: dict[str, str], errors: dict[str, list[str]]) -> str:
    return render_template(
        "meetings/poll_new.html",
        panel=panel,
        typed=typed,
        errors=errors,
        zones=time_zones(),
        rows=range(1, FORM_ROWS + 1),
        max_duration=MAX_DURATION_MINUTES,
    )


def _typed() -> dict[str, str]:
    """What the form holds (posted, or the defaults of a new one): kept as typed, to be shown again when refused."""
    form = request.form
    typed = {
        "title": form.get("title", "")[:1000],
        "agenda": form.get("agenda", "")[:20000],
        "duration": form.get("duration", "60")[:10],
        "time_zone": form.get("time_zone", _zone())[:64],
    }
    for number in range(1, FORM_ROWS + 1):
        typed[f"slot_day_{number}"] = form.get(f"slot_day_{number}", "")[:20]
        typed[f"slot_time_{number}"] = form.get(f"slot_time_{number}", "")[:10]
    return typed


def _slots(typed: dict[str, str]) -> tuple[list[tuple[date | None, time | None]], dict[str, list[str]]]:
    """The rows as days and times, and the rows that are not (slot_<n>: what to correct)."""
    slots: list[tuple[date | None, time | None]] = []
    errors: dict[str, list[str]] = {}
    for number in range(1, FORM_ROWS + 1):
        day_text, clock_text = typed[f"slot_day_{number}"].strip(), typed[f"slot_time_{number}"].strip()
        day: date | None = None
        start: time | None = None
        if day_text:
            day = _day(day_text)
            if day is None:
                errors[f"slot_{number}"] = [_("Enter the day as yyyy-mm-dd, for example 2027-03-28 (the date picker does it).")]
        if clock_text:
            start = _clock(clock_text)
            if start is None:
                errors.setdefault(f"slot_{number}", []).append(_("Enter the time as hh:mm, for example 14:30."))
        slots.append((day, start))
    return slots, errors


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _clock(text: str) -> time | None:
    match = _CLOCK.match(text)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None
    return time(int(match.group(1)), int(match.group(2)))


def _minutes(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


def _id(text: str) -> int | None:
    try:
        return row_id(text)
    except ValueError:
        return None
