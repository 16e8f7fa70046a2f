"""The members' page ignores a filter that is not an id, never answering 500."""

import pytest


@pytest.mark.parametrize(
    "query",
    ["centre=99999999999999999999", "area=99999999999999999999", "area=%C2%B2", "page=99999999999999999999"],
)
def test_a_bad_filter_on_the_members_page_is_no_server_error(world, login, query):
    response = login(world.coordinator).get(f"/members?{query}")
    assert response.status_code < 500
