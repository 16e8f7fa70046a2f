"""The administrator's forms for networks, thematic areas and centres; the services check the values and say what is wrong."""

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms import StringField

from app.requests import row_ids


class ErnForm(FlaskForm):
    code = StringField(default="")
    name = StringField(default="")


class AreaForm(FlaskForm):
    name = StringField(default="")


class CentreErnsForm(FlaskForm):
    ern_id = SelectMultipleField(validate_choice=False)  # ticked boxes, one per network

    @property
    def ern_ids(self) -> list[int]:
        """The ticked networks; a value that is not an id is left out (the service then asks to choose)."""
        return row_ids(self.ern_id.data or [])


class CentreForm(CentreErnsForm):
    code = StringField(default="")
    name = StringField(default="")
    country = StringField(default="")
