import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms import Field
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms import ValidationError
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import EqualTo
from wtforms.validators import Length


def no_control_characters(form: FlaskForm, field: Field) -> None:
    """Refuse NUL and other control characters (line breaks allowed in long texts)."""
    value = field.data if isinstance(field.data, str) else ""
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in value):
        raise ValidationError(_l("Remove the control characters from this answer."))


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=254), no_control_characters],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=500)], render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Sign in"))


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True},
    )
    submit = SubmitField(_l("Continue"))


class AccountRequestForm(FlaskForm):
    first_name = StringField(
        _l("First name"), validators=[DataRequired(), Length(max=100), no_control_characters], render_kw={"autocomplete": "given-name"}
    )
    last_name = StringField(
        _l("Last name"), validators=[DataRequired(), Length(max=100), no_control_characters], render_kw={"autocomplete": "family-name"}
    )
    email = EmailField(
        _l("Professional e-mail"), validators=[DataRequired(), Email(), Length(max=254)], render_kw={"autocomplete": "email"}
    )
    ern = SelectField(_l("Network (ERN)"), coerce=int, validators=[DataRequired()])
    centre = SelectField(
        _l("Centre"),
        coerce=int,
        validators=[DataRequired()],
        description=_l("Your hospital, or the network's guest centre if yours is not a member."),
    )
    role = SelectField(_l("Role"), validators=[DataRequired()])
    specialisation = StringField(
        _l("Professional role / specialisation"), validators=[DataRequired(), Length(max=100), no_control_characters]
    )
    reason = TextAreaField(_l("Why do you need access?"), validators=[DataRequired(), Length(max=2000), no_control_characters])
    submit = SubmitField(_l("Send request"))


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=12, max=500)], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Set password"))


class ResetForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)], render_kw={"autocomplete": "username"})
    submit = SubmitField(_l("E-mail me a link"))


class AppointForm(FlaskForm):
    # The choices are what the actor may appoint; a posted value outside them reaches the service, which says why not.
    role = SelectField(_l("Role"), validate_choice=False)
    scope = SelectField(
        _l("Where"),
        validate_choice=False,
        description=_l("ERN managers, coordinators and dispatchers serve the whole network; assistants one centre; panel managers either."),
    )
    submit = SubmitField(_l("Appoint"))

    def ern_and_centre(self) -> tuple[int | None, int | None]:
        """The scope's value is "<ERN id>" for the whole network, "<ERN id>-<centre id>" for one centre."""
        ern, at_centre, centre = (self.scope.data or "").partition("-")
        if not ern.isdigit() or (at_centre and not centre.isdigit()):
            return None, None
        return int(ern), (int(centre) if centre else None)
