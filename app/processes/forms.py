"""The forms of process administration; ``services.check`` says what is wrong with a definition, element by element."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField

from app.database import as_id
from app.requests import row_ids


class DefinitionForm(FlaskForm):
    """A definition to check, preview, import or deploy: an uploaded file if one was chosen, else the text area."""

    file = FileField()
    xml = TextAreaField(default="")
    action = HiddenField(default="")  # the pressed button: "validate" or "deploy"
    fix = SelectMultipleField(validate_choice=False)  # the safe fixes ticked on the import page (``importing.apply_fixes``)


class MigrationForm(FlaskForm):
    to = StringField(default="")  # the target version's id
    instance = SelectMultipleField(validate_choice=False)  # the ticked cases' ids

    @property
    def target_id(self) -> int | None:
        return as_id(self.to.data)

    @property
    def instance_ids(self) -> list[int]:
        return row_ids(self.instance.data or [])

    def validate(self, extra_validators: object = None) -> bool:
        if not super().validate(extra_validators):  # type: ignore[arg-type]
            return False
        if self.target_id is None or not self.instance_ids:
            self.form_errors.append(_l("Choose the cases to migrate and the version to move them to."))
            return False
        return True
