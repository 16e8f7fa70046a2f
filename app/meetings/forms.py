"""The meeting forms. Their values are read as text and checked by the services, which say what is wrong per field."""

from __future__ import annotations

from datetime import date
from datetime import time

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField

from app.meetings.services import MeetingRequest
from app.meetings.services import MeetingTime
from app.requests import row_ids


class MeetingForm(FlaskForm):
    title = StringField(default="")
    agenda = TextAreaField(default="")
    day = StringField(default="")
    start_time = StringField(default="")
    duration = StringField(default="60")
    time_zone = StringField(default="")
    join_url = StringField(default="")
    invitees = SelectMultipleField(validate_choice=False)

    def meeting_request(self, *, with_invitees: bool) -> MeetingRequest:
        """What was entered; a day, time or duration that cannot be read counts as not given (the service says so)."""
        return MeetingRequest(
            title=self.title.data or "",
            agenda=self.agenda.data or "",
            when=MeetingTime(_day(self.day.data), _time(self.start_time.data), _minutes(self.duration.data), self.time_zone.data or ""),
            join_url=self.join_url.data or "",
            invitee_ids=row_ids(self.invitees.data or []) if with_invitees else None,
        )


class AnswerForm(FlaskForm):
    answer = StringField(default="")
    note = StringField(default="")
    return_to = HiddenField(default="")

    def back(self) -> str | None:
        """The dashboard, when the answer was given there (a local path only)."""
        return "/" if self.return_to.data == "dashboard" else None


class PersonForm(FlaskForm):
    user_id = StringField(default="")


class FeedForm(FlaskForm):
    show_nicknames = StringField(default="")


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _time(text: str | None) -> time | None:
    try:
        return time.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _minutes(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None
