"""Form definitions (forms/*.json): one marshmallow schema validates them all at load time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from flask_babel import get_locale
from marshmallow import RAISE
from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import post_load
from marshmallow import validate
from marshmallow import validates_schema

from app.i18n import DEFAULT_LANGUAGE
from app.i18n import LANGUAGES
from app.i18n import translator

FIELD_TYPES = (
    "text",
    "long_text",
    "date",
    "partial_date",
    "yes_no",
    "single_choice",
    "multiple_choice",
    "number",
    "coded_term",
    "phenotype",
    "group",
)
TERMINOLOGIES = ("HPO", "ORPHA", "ICD-10")
_IDENTIFIER = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="use lower-case letters, digits and _ (e.g. date_of_birth)")


@dataclass(frozen=True)
class Condition:
    field: str
    equals: str | None = None
    one_of: tuple[str, ...] = ()

    def holds(self, value: Any) -> bool:
        if self.one_of:
            return value in self.one_of
        return value == self.equals


@dataclass(frozen=True)
class FieldDefinition:
    name: str
    label: str
    type: str
    required: bool = False
    help: str = ""
    placeholder: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    visible_if: Condition | None = None
    must_equal: str | None = None
    must_equal_message: str = ""
    not_future: bool = False
    # "today": a date field starts with today's date (the user's), to change if need be.
    default: str = ""
    max_length: int = 2000
    minimum: float | None = None
    maximum: float | None = None
    identifying: bool = False
    routing: bool = False
    # coded_term: the coding systems a code may come from (phenotype fields are always HPO).
    terminologies: tuple[str, ...] = ()
    # group: a repeatable set of fields (comorbidities, medications, ...); each entry has these.
    entry_fields: tuple[FieldDefinition, ...] = ()
    entry_label: str = ""
    max_entries: int = 50


@dataclass(frozen=True)
class SectionDefinition:
    id: str
    title: str
    help: str = ""
    fields: tuple[FieldDefinition, ...] = ()


@dataclass(frozen=True)
class FormDefinition:
    id: str
    title: str
    description: str = ""
    submit_label: str = "Submit"
    sections: tuple[SectionDefinition, ...] = ()
    by_name: dict[str, FieldDefinition] = field(default_factory=dict, compare=False)
    # An ERN's own wording in other languages: language → English text → its translation (the shipped forms' texts
    # are in the catalogue; an ERN's version adds what the catalogue cannot know).
    translations: dict[str, dict[str, str]] = field(default_factory=dict, compare=False)

    @property
    def fields(self) -> tuple[FieldDefinition, ...]:
        return tuple(f for section in self.sections for f in section.fields)


class _ConditionSchema(Schema):
    field = fields.String(required=True, validate=_IDENTIFIER)
    equals = fields.String()
    one_of = fields.List(fields.String(), validate=validate.Length(min=1))

    @validates_schema
    def exactly_one_test(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("equals" in data) == ("one_of" in data):
            raise ValidationError("give exactly one of 'equals' or 'one_of'")

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Condition:
        return Condition(data["field"], data.get("equals"), tuple(data.get("one_of", ())))


class _ChoiceSchema(Schema):
    value = fields.String(required=True, validate=validate.Length(min=1, max=100))
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))


class _FieldSchema(Schema):
    name = fields.String(required=True, validate=_IDENTIFIER)
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    required = fields.Boolean(load_default=False)
    help = fields.String(load_default="")
    placeholder = fields.String(load_default="")
    choices = fields.List(fields.Nested(_ChoiceSchema), load_default=list)
    visible_if = fields.Nested(_ConditionSchema, load_default=None)
    must_equal = fields.String(load_default=None)
    must_equal_message = fields.String(load_default="")
    not_future = fields.Boolean(load_default=False)
    default = fields.String(load_default="", validate=validate.OneOf(["", "today"]))
    max_length = fields.Integer(load_default=2000, validate=validate.Range(min=1, max=100_000))
    minimum = fields.Float(load_default=None)
    maximum = fields.Float(load_default=None)
    identifying = fields.Boolean(load_default=False)
    routing = fields.Boolean(load_default=False)
    terminologies = fields.List(fields.String(validate=validate.OneOf(TERMINOLOGIES)), load_default=list)
    entry_label = fields.String(load_default="", validate=validate.Length(max=100))
    max_entries = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    entry_fields = fields.List(fields.Nested(lambda: _FieldSchema()), data_key="fields", load_default=list)

    @validates_schema
    def groups_hold_simple_fields(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("type") != "group":
            if data.get("entry_fields"):
                raise ValidationError("only group fields hold fields", "fields")
            return
        if not data.get("entry_fields"):
            raise ValidationError("a group field needs the fields of one entry", "fields")
        for sub in data["entry_fields"]:
            if sub.type == "group" or sub.visible_if is not None or sub.routing or sub.identifying or sub.default:
                raise ValidationError(
                    f"'{sub.name}': a group's fields cannot be groups, conditional, routing, identifying or have a default", "fields"
                )
        if data.get("routing") or data.get("identifying") or data.get("visible_if"):
            raise ValidationError("a group cannot route a process, be identifying or conditional", "type")

    @validates_schema
    def choices_match_type(self, data: dict[str, Any], **kwargs: Any) -> None:
        needs_choices = data.get("type") in ("single_choice", "multiple_choice")
        if needs_choices and not data.get("choices"):
            raise ValidationError(f"a {data['type']} field needs choices", "choices")
        if not needs_choices and data.get("choices"):
            raise ValidationError(f"a {data.get('type')} field takes no choices", "choices")
        if data.get("routing") and (data.get("identifying") or data.get("type") not in ("yes_no", "single_choice", "number")):
            raise ValidationError("only non-identifying yes/no, choice or number fields can route a process", "routing")
        if data.get("not_future") and data.get("type") not in ("date", "partial_date"):
            raise ValidationError("not_future applies to date fields only", "not_future")
        if data.get("default") and data.get("type") != "date":
            raise ValidationError("only date fields take a default (today)", "default")
        if data.get("type") == "coded_term" and not data.get("terminologies"):
            raise ValidationError("a coded_term field names its terminologies (HPO, ORPHA, ICD-10)", "terminologies")
        if data.get("terminologies") and data.get("type") != "coded_term":
            raise ValidationError("only coded_term fields take terminologies", "terminologies")

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> FieldDefinition:
        choices = tuple((c["value"], c["label"]) for c in data.pop("choices"))
        data["terminologies"] = tuple(data["terminologies"]) if data["type"] != "phenotype" else ("HPO",)
        data["entry_fields"] = tuple(data["entry_fields"])
        if data["type"] == "yes_no":
            choices = (("yes", "Yes"), ("no", "No"))
        return FieldDefinition(choices=choices, **data)


class _SectionSchema(Schema):
    id = fields.String(required=True, validate=_IDENTIFIER)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    help = fields.String(load_default="")
    fields = fields.List(fields.Nested(_FieldSchema), required=True, validate=validate.Length(min=1))

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> SectionDefinition:
        return SectionDefinition(data["id"], data["title"], data["help"], tuple(data["fields"]))


class FormDefinitionSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=_IDENTIFIER)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="")
    submit_label = fields.String(load_default="Submit")
    sections = fields.List(fields.Nested(_SectionSchema), required=True, validate=validate.Length(min=1))
    translations = fields.Dict(
        keys=fields.String(validate=validate.OneOf([language for language in LANGUAGES if language != DEFAULT_LANGUAGE])),
        values=fields.Dict(
            keys=fields.String(validate=validate.Length(max=8000)), values=fields.String(validate=validate.Length(max=8000))
        ),
        load_default=dict,
    )

    @validates_schema
    def names_unique_and_conditions_resolve(self, data: dict[str, Any], **kwargs: Any) -> None:
        seen: dict[str, FieldDefinition] = {}
        for section in data.get("sections", []):
            for definition in section.fields:
                if definition.name in seen:
                    raise ValidationError(f"field name '{definition.name}' is used twice", "sections")
                seen[definition.name] = definition
        for definition in seen.values():
            condition = definition.visible_if
            if condition and condition.field not in seen:
                raise ValidationError(f"field '{definition.name}' depends on unknown field '{condition.field}'", "sections")

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> FormDefinition:
        sections = tuple(data.pop("sections"))
        by_name = {f.name: f for section in sections for f in section.fields}
        return FormDefinition(sections=sections, by_name=by_name, **data)


class FormDefinitionError(ValueError):
    """A form definition file is invalid; the message says where."""


def parse_form_definition(text: str, source: str) -> FormDefinition:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise FormDefinitionError(f"{source}: not valid JSON: {error}") from None
    try:
        definition: FormDefinition = FormDefinitionSchema().load(raw)
    except ValidationError as error:
        raise FormDefinitionError(f"{source}: {_flatten(error.messages)}") from None
    if definition.id != Path(source).stem:
        raise FormDefinitionError(f"{source}: id '{definition.id}' must match the file name")
    return definition


@cache
def load_form_definitions(forms_dir: str) -> dict[str, FormDefinition]:
    """Every definition in ``forms_dir``, validated; raises FormDefinitionError on the first bad one."""
    definitions = {}
    for path in sorted(Path(forms_dir).glob("*.json")):
        definition = parse_form_definition(path.read_text(encoding="utf-8"), str(path))
        definitions[definition.id] = definition
    return definitions


def _flatten(messages: Any, prefix: str = "") -> str:
    if isinstance(messages, dict):
        return "; ".join(_flatten(value, f"{prefix}{key}." if prefix or key != "_schema" else "") for key, value in messages.items())
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return f"{prefix.rstrip('.') or 'form'}: {' '.join(messages)}"
    if isinstance(messages, list):
        return "; ".join(_flatten(m, prefix) for m in messages)
    return f"{prefix.rstrip('.')}: {messages}"


def in_language(definition: FormDefinition) -> FormDefinition:
    """The definition with every text a person reads in the current language (the catalogue holds the shipped forms'
    texts: app/translation_sources.py); a text the catalogue does not know (an ERN's own wording) stays as written."""
    catalogue = translator()
    own = definition.translations.get(str(getattr(get_locale(), "language", "") or ""), {})

    def translate(text: str) -> str:
        return own.get(text) or catalogue(text)

    def field_in(f: FieldDefinition) -> FieldDefinition:
        return replace(
            f,
            label=translate(f.label),
            help=translate(f.help),
            placeholder=translate(f.placeholder),
            entry_label=translate(f.entry_label),
            must_equal_message=translate(f.must_equal_message),
            choices=tuple((value, translate(label)) for value, label in f.choices),
            entry_fields=tuple(field_in(sub) for sub in f.entry_fields),
        )

    sections = tuple(
        replace(s, title=translate(s.title), help=translate(s.help), fields=tuple(field_in(f) for f in s.fields))
        for s in definition.sections
    )
    return replace(
        definition,
        title=translate(definition.title),
        description=translate(definition.description),
        submit_label=translate(definition.submit_label),
        sections=sections,
        by_name={f.name: f for section in sections for f in section.fields},
    )
