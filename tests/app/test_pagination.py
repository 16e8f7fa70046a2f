"""Pagination helpers on a real query: pages, totals, and a page past the end."""

from sqlalchemy import select

from app.pagination import paginate
from app.patients.models import Patient
from tests import factories


def test_pages_totals_and_a_page_past_the_end_shows_the_last(world):
    for _ in range(3):
        factories.enrol(world.clinician, world.leuven, world.ern)
    query = select(Patient).order_by(Patient.id)
    for helper in (paginate,):
        first = helper(query, page=1, per_page=2)
        assert (len(first.items), first.page, first.pages, first.total) == (2, 1, 2, 3)
        second = helper(query, page=2, per_page=2)
        assert [p.id for p in second.items] == [max(p.id for p in first.items) + 1]
        beyond = helper(query, page=9, per_page=2)
        assert (beyond.page, len(beyond.items)) == (2, 1)
    empty = paginate(query.where(Patient.id < 0), page=1, per_page=2)
    assert (empty.items, empty.pages, empty.total) == ([], 1, 0)
