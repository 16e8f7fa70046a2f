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
    """Days as typed: ``services.save_intervals`` checks each and their order."""

    reminder_after = StringField(default="")
    expire_after = StringField(default="")
    urgent_reminder_after = StringField(default="")
    urgent_expire_after = StringField(default="")
    review_window = StringField(default="")

    def raw(self) -> dict[str, str]:
        return {key: self[key].data for key in INTERVAL_LABELS}


class ServiceLevelForm(FlaskForm):
    """A task and the days it is due within; no days removes the task's service level. Days are checked first."""

    days = StringField(default="", filters=[_stripped])
    task = SelectField(invalid_choice_message=_l("Choose a task."))  # choices: the ERN's tasks, set by the route

    def validate_days(self, field: Field) -> None:
        if field.data and not (field.data.isascii() and field.data.isdigit()):
            raise ValidationError(_l("Give a whole number of days."))

    @property
    def day_count(self) -> int | None:
        return int(self.days.data) if self.days.data else None


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
