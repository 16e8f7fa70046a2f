"""The user's preferences form; the account services check the role, the areas and the time zone and say what is wrong."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import ValidationError

from app.requests import row_ids


class PreferencesForm(FlaskForm):
    specialisation = StringField(default="")
    thematic_area = SelectMultipleField(validate_choice=False)  # ticked boxes; the service checks they are the user's ERNs'
    timezone = StringField(default="")
    language = StringField(default="")  # "" for the browser's; the service checks it is one Consilium speaks

    @property
    def area_ids(self) -> list[int]:
        return row_ids(self.thematic_area.data or [])

    def validate_thematic_area(self, field: Field) -> None:
        if len(self.area_ids) != len(field.data or []):
            raise ValidationError(_l("Choose thematic areas of your own ERNs."))
