"""The expertise page's forms (CSRF and the posted values)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms.widgets import CheckboxInput
from wtforms.widgets import ListWidget


class CodeForm(FlaskForm):
    code = StringField(default="")


class LearnedForm(FlaskForm):
    system = StringField(default="")
    code = StringField(default="")


class EmptyForm(FlaskForm):
    pass


class LanguagesForm(FlaskForm):
    languages = SelectMultipleField(choices=[], validate_choice=False, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
