import json
from datetime import date
from pathlib import Path

import pytest

from app.tasks.answers import AnswerError
from app.tasks.answers import clean_answers
from app.tasks.answers import parse_date
from app.tasks.answers import parse_partial_date
from app.tasks.form_definitions import FormDefinitionError
from app.tasks.form_definitions import load_form_definitions
from app.tasks.form_definitions import parse_form_definition

FORMS = Path(__file__).resolve().parents[3] / "forms"
TODAY = date(2026, 11, 21)


def definition(**changes):
    base = {
        "id": "sample",
        "title": "Sample",
        "sections": [{"id": "main", "title": "Main", "fields": [{"name": "answer", "label": "Answer", "type": "text"}]}],
    }
    base.update(changes)
    return json.dumps(base)


def test_shipped_form_definitions_load():
    forms = load_form_definitions(str(FORMS))
    assert {"enrolment", "acknowledge"} <= set(forms)
    assert forms["enrolment"].by_name["consent_care"].must_equal == "yes"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        (definition(sections=[]), "sections"),
        (definition(title=""), "title"),
        (definition(colour="red"), "colour"),
        (
            definition(sections=[{"id": "m", "title": "M", "fields": [{"name": "Bad Name", "label": "x", "type": "text"}]}]),
            "lower-case letters",
        ),
        (definition(sections=[{"id": "m", "title": "M", "fields": [{"name": "x", "label": "x", "type": "colour"}]}]), "Must be one of"),
        (
            definition(sections=[{"id": "m", "title": "M", "fields": [{"name": "x", "label": "x", "type": "single_choice"}]}]),
            "needs choices",
        ),
        (
            definition(
                sections=[
                    {
                        "id": "m",
                        "title": "M",
                        "fields": [{"name": "x", "label": "x", "type": "text", "visible_if": {"field": "y", "equals": "1"}}],
                    }
                ]
            ),
            "unknown field 'y'",
        ),
        (
            definition(
                sections=[
                    {
                        "id": "m",
                        "title": "M",
                        "fields": [{"name": "x", "label": "x", "type": "text"}, {"name": "x", "label": "x", "type": "text"}],
                    }
                ]
            ),
            "used twice",
        ),
        (
            definition(sections=[{"id": "m", "title": "M", "fields": [{"name": "x", "label": "x", "type": "text", "routing": True}]}]),
            "route a process",
        ),
        (definition(id="other"), "must match the file name"),
    ],
)
def test_invalid_definitions_are_refused_with_a_clear_message(text, message):
    with pytest.raises(FormDefinitionError) as refused:
        parse_form_definition(text, "forms/sample.json")
    assert message in str(refused.value)
    assert "forms/sample.json" in str(refused.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("05/02/1976", date(1976, 2, 5)), ("5/2/1976", date(1976, 2, 5)), ("29/02/2024", date(2024, 2, 29))],
)
def test_full_dates_are_day_month_year(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2020", "29/02/2023", "00/01/2020", "12/13/2020", "1976-02-05", "05-02-1976", "soon", ""])
def test_impossible_or_malformed_dates_are_refused(text):
    with pytest.raises(AnswerError):
        parse_date(text)


@pytest.mark.parametrize(("text", "expected"), [("05/02/1976", "1976-02-05"), ("02/1976", "1976-02"), ("1976", "1976")])
def test_partial_dates(text, expected):
    assert parse_partial_date(text) == expected


@pytest.mark.parametrize("text", ["13/1976", "76", "1976/02"])
def test_malformed_partial_dates_are_refused(text):
    with pytest.raises(AnswerError):
        parse_partial_date(text)


def test_conditional_field_is_required_only_when_visible():
    form = load_form_definitions(str(FORMS))["enrolment"]
    base = {
        "enrolled_on": "01/03/2026",
        "consent_care": "yes",
        "consent_care_date": "01/03/2026",
        "first_name": "A",
        "last_name": "B",
        "gender": "female",
        "date_of_birth": "01/01/2000",
    }
    cleaned, errors = clean_answers(form, base, TODAY)
    assert errors == {}
    assert cleaned["registry_name"] is None and cleaned["consent_registry_date"] is None
    _, errors = clean_answers(form, {**base, "consent_registry": "yes"}, TODAY)
    assert set(errors) == {"registry_name", "consent_registry_date"}


def test_number_and_multiple_choice_fields_are_checked():
    form = parse_form_definition(
        definition(
            sections=[
                {
                    "id": "m",
                    "title": "M",
                    "fields": [
                        {"name": "hours", "label": "Hours", "type": "number", "minimum": 0, "maximum": 24},
                        {
                            "name": "tags",
                            "label": "Tags",
                            "type": "multiple_choice",
                            "choices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
                        },
                        {"name": "onset", "label": "Onset", "type": "partial_date", "not_future": True},
                    ],
                }
            ]
        ),
        "forms/sample.json",
    )
    cleaned, errors = clean_answers(form, {"hours": "2,5", "tags": ["a", "b"], "onset": "2019"}, TODAY)
    assert errors == {} and cleaned == {"hours": 2.5, "tags": ["a", "b"], "onset": "2019"}
    _, errors = clean_answers(form, {"hours": "25", "tags": ["c"], "onset": "12/2099"}, TODAY)
    assert set(errors) == {"hours", "tags", "onset"}
    _, errors = clean_answers(form, {"hours": "many"}, TODAY)
    assert errors["hours"] == ["Enter a number."]


@pytest.mark.parametrize("text", ["0000", "01/0000", "12/1799"])
def test_partial_dates_before_1800_are_refused_with_a_message(text):
    with pytest.raises(AnswerError, match="1800"):
        parse_partial_date(text)


@pytest.mark.parametrize("text", ["nan", "inf", "1_0", "-infinity"])
def test_numbers_must_be_plain_finite_numbers(text):
    form = parse_form_definition(
        definition(sections=[{"id": "m", "title": "M", "fields": [{"name": "hours", "label": "Hours", "type": "number"}]}]),
        "forms/sample.json",
    )
    _, errors = clean_answers(form, {"hours": text}, TODAY)
    assert errors == {"hours": ["Enter a number."]}
