"""Static files: pages link them by their content, browsers keep them until the content changes."""

import re

import pytest
from flask import url_for

YEAR = "max-age=31536000"


def linked(page_text, filename):
    """The URL a page uses for a static file."""
    match = re.search(rf'(?:href|src)="(/static/{re.escape(filename)}[^"]*)"', page_text)
    assert match, f"the page does not link {filename}"
    return match.group(1).replace("&amp;", "&")


def fetch(client, url):
    """GET a static file, read to the end (the file is closed again)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def cache_directives(response):
    return {part.strip() for part in response.headers.get("Cache-Control", "").split(",") if part.strip()}


def test_the_layout_links_each_static_file_with_its_fingerprint_and_browsers_keep_it_for_a_year(client):
    page = client.get("/login")

    for filename in ("consilium.css", "consilium.js", "vendor/bootstrap/bootstrap.min.css"):
        url = linked(page.text, filename)
        assert re.fullmatch(rf"/static/{re.escape(filename)}\?v=[0-9a-f]{{16}}", url)
        response = fetch(client, url)
        assert response.status_code == 200
        assert cache_directives(response) == {"public", YEAR, "immutable"}


def test_every_link_to_a_static_file_carries_its_fingerprint_not_only_the_layouts(app, client):
    with app.test_request_context():
        url = url_for("static", filename="viewer.js")  # as the image viewer's page writes it
    assert re.fullmatch(r"/static/viewer\.js\?v=[0-9a-f]{16}", url)
    assert cache_directives(fetch(client, url)) == {"public", YEAR, "immutable"}


@pytest.mark.parametrize("query", ["", "?v=0000000000000000"])
def test_a_static_file_asked_for_without_its_fingerprint_is_checked_again_each_time(client, query):
    response = fetch(client, f"/static/consilium.css{query}")

    assert response.status_code == 200
    assert cache_directives(response) == {"no-cache"}
    assert response.headers.get("ETag")  # so that checking again costs a 304, not the file


@pytest.fixture
def static_folder(app, tmp_path, monkeypatch):
    """The app's static files from a folder of the test's own, to change one."""
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    (tmp_path / "consilium.css").write_text("body { color: black; }\n")
    return tmp_path


def test_a_changed_file_gets_a_new_url_and_the_old_url_is_no_longer_kept(client, static_folder):
    before = linked(client.get("/login").text, "consilium.css")

    (static_folder / "consilium.css").write_text("body { color: darkslategray; }\n")
    after = linked(client.get("/login").text, "consilium.css")

    assert after != before
    fresh = fetch(client, after)
    assert fresh.text == "body { color: darkslategray; }\n"
    assert "immutable" in cache_directives(fresh)
    assert cache_directives(fetch(client, before)) == {"no-cache"}


def test_the_editors_fonts_named_after_their_content_are_kept_for_a_year(client, static_folder):
    fonts = static_folder / "vendor" / "modeler"
    fonts.mkdir(parents=True)
    (fonts / "bpmn-S5N27GWR.woff2").write_bytes(b"wOF2 font")
    (fonts / "viewer.css").write_text(".bpmn { }\n")

    # The bundle's stylesheet asks for them by name, with the icon font's own query.
    font = fetch(client, "/static/vendor/modeler/bpmn-S5N27GWR.woff2?44822120")
    plain = fetch(client, "/static/vendor/modeler/viewer.css")

    assert cache_directives(font) == {"public", YEAR, "immutable"}
    assert cache_directives(plain) == {"no-cache"}
