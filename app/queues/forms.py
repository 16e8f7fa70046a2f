"""The steering forms of the coordinator's queue; the services check the tasks and people named."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms import HiddenField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import ValidationError

from app.database import as_id


class RemindForm(FlaskForm):
    task = SelectMultipleField(validate_choice=False)  # the ticked tasks' engine ids
    back = HiddenField(default="")  # the queue page as filtered, to return to

    def validate_task(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose the tasks to remind people of."))

    @property
    def task_ids(self) -> list[str]:
        return [value[:36] for value in self.task.data or []]

    @property
    def back_path(self) -> str | None:
        """The page to return to, if it is one of the queue's (never another site)."""
        return self.back.data if self.back.data.startswith("/erns/") else None


class ReassignForm(FlaskForm):
    assignee = StringField(default="")  # a user id; none returns the task to the pool
    reason = TextAreaField(default="")

    def validate_assignee(self, field: Field) -> None:
        if field.data and as_id(field.data) is None:
            raise ValidationError(_l("Choose a valid value."))

    @property
    def assignee_id(self) -> int | None:
        return as_id(self.assignee.data) if self.assignee.data else None
