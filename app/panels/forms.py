"""The forms of a panel; the services check the panels, people and texts named (who may, empty or identifying texts)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms import HiddenField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import ValidationError

from app.database import as_id
from app.requests import row_ids


def _an_id(form: FlaskForm, field: Field) -> None:
    if as_id(field.data) is None:
        raise ValidationError(_l("Choose a valid value."))


def _checked_id(field: Field) -> int:
    """The id in a field ``_an_id`` accepted (read after validation)."""
    number = as_id(field.data)
    assert number is not None, f"{field.name} is read before it is validated"
    return number


def _an_area(form: FlaskForm, field: Field) -> None:
    if as_id(field.data) is None:
        raise ValidationError(_l("Choose the thematic area the panel is about."))


class OpenPanelForm(FlaskForm):
    patient_id = StringField(default="", validators=[_an_id])
    thematic_area_id = StringField(default="", validators=[_an_area])

    @property
    def ids(self) -> tuple[int, int]:
        """The patient's and the thematic area's ids."""
        return _checked_id(self.patient_id), _checked_id(self.thematic_area_id)


class UserForm(FlaskForm):
    """One person: the new lead."""

    user_id = StringField(default="", validators=[_an_id])

    @property
    def chosen_id(self) -> int:
        return _checked_id(self.user_id)


class ReturnsToTask(FlaskForm):
    """A panel action that may also be taken from a task's page (the invitation step), to which it then returns."""

    return_to = HiddenField(default="")

    def task_page(self) -> str | None:
        back = self.return_to.data or ""
        return back if back.startswith("/tasks/") and "//" not in back and "\\" not in back else None


class AssistanceForm(ReturnsToTask):
    """Asking the ERN's coordinators to suggest experts."""


class GroupForm(ReturnsToTask):
    """An ERN's expert group, whose members are invited."""

    group_id = StringField(default="", validators=[_an_id])

    @property
    def chosen_id(self) -> int:
        return _checked_id(self.group_id)


class InviteForm(ReturnsToTask):
    """The ticked experts; none ticked is for the services to refuse (after they have checked who may invite)."""

    user_id = SelectMultipleField(validate_choice=False)

    @property
    def user_ids(self) -> list[int]:
        """The ids among the ticked values; anything else is left out."""
        return row_ids(self.user_id.data or [])


class KeptTextForm(FlaskForm):
    """A form whose text the services may refuse (empty, too long, identifying the patient): the panel page shows it
    again in its box (``kept_text``), on the tab the form was posted from (``tab``, else the form's own)."""

    tab = HiddenField(default="contributions")

    @property
    def kept_text(self) -> str:
        raise NotImplementedError


class TextForm(KeptTextForm):
    """A comment or an addendum."""

    text = TextAreaField(default="")

    @property
    def kept_text(self) -> str:
        return str(self.text.data)


class ContributionCommentForm(TextForm):
    """A comment on one contribution."""

    contribution_id = StringField(default="", validators=[_an_id])

    @property
    def chosen_id(self) -> int:
        return _checked_id(self.contribution_id)


class ContributionForm(TextForm):
    """Only the contribution's free text (``text``) is declared, so that a refused one comes back in its box: the answers
    are the fields of the contribution's form definition, which the route reads by their names."""


class QuestionForm(KeptTextForm):
    """A request for additional data."""

    question = TextAreaField(default="")

    @property
    def kept_text(self) -> str:
        return str(self.question.data)


class CloseForm(KeptTextForm):
    """Closing a panel early: the reason is one of ``ClosingReason``, which the services check."""

    tab = HiddenField(default="consultation")
    reason = StringField(default="")
    note = StringField(default="")

    @property
    def kept_text(self) -> str:
        return str(self.note.data)
