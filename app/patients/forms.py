"""The forms of the patient list and of enrolment; the services check who may see and enrol whom."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms import StringField

from app.database import as_id
from app.tasks.answers import AnswerError
from app.tasks.answers import parse_date


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


class DuplicateCheckForm(FlaskForm):
    """What the enrolment form holds so far that tells who the patient is: sent in a POST body, never in a URL."""

    first_name = StringField(default="", filters=[_stripped])
    last_name = StringField(default="", filters=[_stripped])
    date_of_birth = StringField(default="", filters=[_stripped])

    @property
    def names(self) -> tuple[str, str]:
        return str(self.first_name.data or "")[:100], str(self.last_name.data or "")[:100]

    @property
    def birth_date(self) -> date | None:
        """The birth date typed as dd/mm/yyyy, or None while it is not a whole, real date."""
        try:
            return parse_date(str(self.date_of_birth.data or ""))
        except AnswerError:
            return None


class FreezeForm(FlaskForm):
    """Freezing or unfreezing a record: the reason (the services check it)."""

    reason = StringField(default="")


class TransferForm(FlaskForm):
    """Asking another centre to take the record over: which centre, and why (the services check both)."""

    centre_id = HiddenField(default="")
    reason = StringField(default="", filters=[_stripped])

    @property
    def centre_id_value(self) -> int | None:
        return as_id(self.centre_id.data)

    @property
    def text(self) -> str:
        return str(self.reason.data or "")
