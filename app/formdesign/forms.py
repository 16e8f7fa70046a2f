"""The designer's forms: the definition as JSON text, and the editing step a button asks for."""

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms import TextAreaField


class DefinitionForm(FlaskForm):
    """The definition is checked by the services (``check_definition``, ``publish``), which say what is wrong."""

    definition = TextAreaField(default="")


class StepForm(DefinitionForm):
    """``action`` is the pressed button (``add_field:0``, ``move_section:1:up``…). The values an action reads are named after
    the section or field it edits (``field_label-0-2``), so they are not fields here: ``editing.apply`` reads them."""

    action = HiddenField(default="")
