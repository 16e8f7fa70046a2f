"""Form definition → WTForms class: the only place a task's form is turned into fields."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms import FieldList
from wtforms import Form
from wtforms import FormField
from wtforms import RadioField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import ValidationError
from wtforms import widgets
from wtforms.fields.choices import SelectChoice

from app.tasks.answers import AnswerError
from app.tasks.answers import check_field
from app.tasks.answers import is_empty
from app.tasks.answers import is_visible
from app.tasks.form_definitions import FieldDefinition
from app.tasks.form_definitions import FormDefinition
from app.tasks.form_definitions import in_language
from app.workflows.registry import register


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class DefinedForm(FlaskForm):
    """A WTForms form built from a definition; validation is ``answers.check_field`` for every field."""

    definition: FormDefinition
    today: date

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mark_required()

    def mark_required(self) -> None:
        """Flag the fields mandatory on the answers as they stand: a conditional field (visible_if) is mandatory
        only while shown. ``conditional_required`` tells the page to update the mark as the answers change."""
        raw = self.raw_answers()
        for definition in self.definition.fields:
            if definition.required and definition.visible_if is not None:
                flags = self[definition.name].flags
                flags.conditional_required = True
                flags.required = is_visible(definition, raw)

    def raw_answers(self) -> dict[str, Any]:
        return {d.name: self[d.name].data for d in self.definition.fields}

    def offer_blank_entries(self) -> None:
        """Every repeatable group ends with one blank entry to fill (saving a draft adds the next)."""
        for definition in self.definition.fields:
            group = self[definition.name]
            if definition.type == "group" and len(group.entries) < definition.max_entries:
                last = group.entries[-1].data if group.entries else {}
                if group.entries == [] or not is_empty(last):
                    group.append_entry()


class _Check:
    def __init__(self, definition: FieldDefinition) -> None:
        self.definition = definition
        self.field_flags = {"required": definition.required} if definition.required and not definition.visible_if else {}

    def __call__(self, form: DefinedForm, field: Field) -> None:
        try:
            check_field(self.definition, field.data, form.raw_answers(), form.today)
        except AnswerError as error:
            raise ValidationError(str(error)) from None


_INPUT_HINTS = {
    "date": {"inputmode": "numeric", "placeholder": "dd/mm/yyyy", "autocomplete": "off"},
    "partial_date": {"inputmode": "numeric", "placeholder": "dd/mm/yyyy, mm/yyyy or yyyy", "autocomplete": "off"},
    "number": {"inputmode": "decimal"},
}


def _field(definition: FieldDefinition, *, checked: bool = True) -> Field:
    # Labels, help and choices are a manager's data: plain str, so templates escape them (never through gettext, whose result is safe).
    label = definition.label
    description = definition.help
    render_kw: dict[str, Any] = dict(_INPUT_HINTS.get(definition.type, {}))
    if definition.placeholder:
        render_kw["placeholder"] = definition.placeholder
    if definition.identifying:
        render_kw["autocomplete"] = "off"
    # A group's fields are checked by the group, entry by entry (a blank entry is no error).
    validators = [_Check(definition)] if checked else []
    kwargs: dict[str, Any] = {"label": label, "description": description, "validators": validators, "render_kw": render_kw}
    if definition.type == "group":
        entry = type(f"{definition.name.title()}Entry", (Form,), {sub.name: _field(sub, checked=False) for sub in definition.entry_fields})
        return FieldList(FormField(entry), min_entries=1, max_entries=definition.max_entries, **kwargs)
    choices = [SelectChoice(value, text) for value, text in definition.choices]
    if definition.type in ("yes_no", "single_choice"):
        return RadioField(choices=choices, validate_choice=False, **kwargs)
    if definition.type == "multiple_choice":
        return MultiCheckboxField(choices=choices, validate_choice=False, **kwargs)
    if definition.type == "coded_term":
        render_kw.update({"autocomplete": "off", "data-terminology": ",".join(definition.terminologies), "spellcheck": "false"})
    if definition.type == "phenotype":
        render_kw.update({"data-phenotype": "HPO", "rows": 4, "spellcheck": "false"})
        return TextAreaField(**kwargs)
    if definition.type == "long_text":
        return TextAreaField(**kwargs)
    return StringField(**kwargs)


def initial_answers(definition: FormDefinition, today: date) -> dict[str, str]:
    """What a new form starts with: today's date (the user's) in the date fields that default to it."""
    return {field.name: today.strftime("%d/%m/%Y") for field in definition.fields if field.default == "today"}


def form_class(definition: FormDefinition) -> type[DefinedForm]:
    """A WTForms class with one field per definition field."""
    attributes: dict[str, Any] = {"definition": definition}
    for definition_field in definition.fields:
        attributes[definition_field.name] = _field(definition_field)
    return type(f"{definition.id.title().replace('_', '')}Form", (DefinedForm,), attributes)


# By subject type: the version of a form a subject is pinned to (subject id, form key, the shipped definition).
FormVersion = Callable[[int, str, FormDefinition], FormDefinition]
FORM_VERSIONS: dict[str, FormVersion] = {}


def register_form_versions(versions: Mapping[str, FormVersion]) -> None:
    """Make known which version of a form each kind of subject uses (a panel keeps its consultation form's)."""
    register(FORM_VERSIONS, versions, "form version of a subject type")


def definition_for(task: Any, forms: dict[str, FormDefinition]) -> FormDefinition:
    """The definition a task's form uses: the version its subject is pinned to (a panel's ERN version of its
    consultation form), or the shipped one."""
    base = forms[task.form_key]
    version_of = FORM_VERSIONS.get(task.subject_type or "")
    pinned = version_of(task.subject_id, task.form_key, base) if version_of is not None and task.subject_id is not None else base
    return in_language(pinned)
