"""The forms of an ERN's settings page; the services check the values and say what is wrong, field by field where they can."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Field
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import ValidationError

from app.ernsettings.services import INTERVAL_LABELS
from app.requests import row_ids


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class IntervalsForm(FlaskForm):
    """Amounts and their units (days or hours) as typed: ``services.save_intervals`` checks each and their order."""

    reminder_after = StringField(default="")
    reminder_after_unit = StringField(default="days")
    expire_after = StringField(default="")
    expire_after_unit = StringField(default="days")
    urgent_reminder_after = StringField(default="")
    urgent_reminder_after_unit = StringField(default="days")
    urgent_expire_after = StringField(default="")
    urgent_expire_after_unit = StringField(default="days")
    review_window = StringField(default="")
    review_window_unit = StringField(default="days")

    def raw(self) -> dict[str, str]:
        return {name: self[name].data or "" for key in INTERVAL_LABELS for name in (key, f"{key}_unit")}


class MeetingSettingsForm(FlaskForm):
    """As typed: ``services.save_meeting_settings`` checks each value."""

    first_reminder = StringField(default="")
    second_reminder = StringField(default="")
    video_url_template = StringField(default="")
    guests_may_schedule = StringField(default="")

    def raw(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in ("first_reminder", "second_reminder", "video_url_template", "guests_may_schedule")}


class FollowUpAndReportsForm(FlaskForm):
    follow_up_months = StringField(default="")
    small_cell_threshold = StringField(default="")

    def raw(self) -> dict[str, str]:
        return {"follow_up_months": self.follow_up_months.data or "", "small_cell_threshold": self.small_cell_threshold.data or ""}


class DefaultLanguageForm(FlaskForm):
    default_language = StringField(default="")


class OwnCountryOrderForm(FlaskForm):
    own_country_order = StringField(default="")


class ServiceLevelForm(FlaskForm):
    """A task and the days or hours it is due within; no amount removes the task's service level. The amount is checked
    first."""

    amount = StringField(default="", filters=[_stripped])
    unit = StringField(default="days", filters=[_stripped])
    task = SelectField(invalid_choice_message=_l("Choose a task."))  # choices: the ERN's tasks, set by the route

    def validate_amount(self, field: Field) -> None:
        if field.data and not (field.data.isascii() and field.data.isdigit()):
            raise ValidationError(_l("Give a whole number of days or hours."))

    def validate_unit(self, field: Field) -> None:
        if field.data not in ("", "days", "hours"):
            raise ValidationError(_l("Choose days or hours."))

    @property
    def hours(self) -> int | None:
        """The service level in hours, as stored; None removes it."""
        if not self.amount.data:
            return None
        return int(self.amount.data) * (1 if self.unit.data == "hours" else 24)


class AreaForm(FlaskForm):
    name = StringField(default="")


class GroupForm(FlaskForm):
    name = StringField(default="")
    member_id = SelectMultipleField(validate_choice=False)  # ticked experts; the service keeps only the ERN's experts

    @property
    def member_ids(self) -> list[int]:
        return row_ids(self.member_id.data or [])


class ConsentFormUpload(FlaskForm):
    """A language and a file; the service checks both (a PDF, by its content)."""

    language = StringField(default="")
    file = FileField()
