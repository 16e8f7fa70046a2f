"""The forms of the patient list and of enrolment; the services check who may see and enrol whom."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms import StringField

from app.database import as_id


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class SearchForm(FlaskForm):
    """A search of a centre's patients: kept in the session, never in the URL (names must not reach access logs)."""

    centre = HiddenField(default="")  # the centre's code; none for all the user's centres
    q = StringField(default="", filters=[_stripped])

    @property
    def centre_code(self) -> str:
        return str(self.centre.data)[:40]

    @property
    def text(self) -> str:
        return str(self.q.data)[:200]


class EnrolForm(FlaskForm):
    centre_id = HiddenField(default="")
    ern_id = HiddenField(default="")

    @property
    def ids(self) -> tuple[int, int] | None:
        """The centre's and the ERN's ids, when both are ids."""
        centre_id, ern_id = as_id(self.centre_id.data), as_id(self.ern_id.data)
        return (centre_id, ern_id) if centre_id is not None and ern_id is not None else None

    def validate(self, extra_validators: object = None) -> bool:
        if not super().validate(extra_validators):  # type: ignore[arg-type]
            return False
        if self.ids is None:
            self.form_errors.append(_l("Choose a centre and an ERN."))
            return False
        return True
