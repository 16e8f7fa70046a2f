"""Submitted answers read as people typed them."""

from app.tasks.display import answer_text
from app.tasks.form_definitions import FieldDefinition


def _field(kind: str) -> FieldDefinition:
    return FieldDefinition(name="when", label="When", type=kind)


def test_dates_and_partial_dates_show_as_typed():
    assert answer_text(_field("date"), "2026-03-05") == "05/03/2026"
    assert answer_text(_field("partial_date"), "2026-03") == "03/2026"
    assert answer_text(_field("partial_date"), "2026") == "2026"
    assert answer_text(_field("text"), "2026-03") == "2026-03"
