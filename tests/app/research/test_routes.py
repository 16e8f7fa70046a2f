"""The research pages: researchers only, released panels of their own ERNs only, every download audited and listed."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.database import db
from tests import factories
from tests.app.research.helpers import released_panel

PAGES = ("/research/", "/research/dataset.csv", "/research/phenopackets.zip", "/research/downloads")


@pytest.mark.parametrize("url", PAGES)
def test_health_professionals_and_coordinators_are_refused(world, login, url):
    for user in (world.clinician, world.coordinator):
        client = login(user)
        assert client.get(url).status_code == 403
        client.post("/logout")


@pytest.mark.parametrize("url", PAGES)
def test_signing_in_comes_first(client, world, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_researcher_searches_and_sees_pseudonymised_results(world, login):
    panel_id = released_panel(world.clinician, world.leuven, world.ern, diagnosis="ORPHA:85443", nickname="amber fox")
    unreleased = released_panel(world.clinician, world.leuven, world.ern, release=False, diagnosis="ORPHA:85443", nickname="grey wolf")
    page = login(world.researcher).get("/research/?codes=ORPHA:85443")
    assert page.status_code == 200
    assert f"#{panel_id} amber fox" in page.text and "ORPHA:85443" in page.text
    assert "grey wolf" not in page.text and f"#{unreleased} " not in page.text
    assert "Roger" not in page.text and "Addel" not in page.text and "1976" not in page.text
    assert "/research/dataset.csv?codes=ORPHA:85443" in page.text


def test_a_bad_query_is_explained(world, login):
    client = login(world.researcher)
    page = client.get("/research/?codes=HP:9999999")
    assert page.status_code == 422 and "not a known" in page.text
    assert client.get("/research/dataset.csv?sex=robot").status_code == 422


def test_a_researcher_of_another_ern_sees_nothing_of_this_one(world, login):
    panel_id = released_panel(world.clinician, world.leuven, world.ern, diagnosis="ORPHA:85443", nickname="amber fox")
    outsider = factories.make_user("research@vascern.example", [(world.other_ern, None, Role.RESEARCHER)])
    client = login(outsider)
    assert "amber fox" not in client.get("/research/").text
    rows = list(csv.reader(io.StringIO(client.get("/research/dataset.csv").get_data(as_text=True))))
    assert len(rows) == 1  # the header only
    assert zipfile.ZipFile(io.BytesIO(client.get("/research/phenopackets.zip").get_data())).namelist() == []
    assert f"panel-{panel_id}" not in client.get("/research/dataset.csv").get_data(as_text=True)


def test_every_download_is_audited_with_its_query_and_listed_for_its_researcher(world, login):
    released_panel(world.clinician, world.leuven, world.ern, diagnosis="ORPHA:85443")
    released_panel(world.clinician, world.leuven, world.ern, diagnosis="ORPHA:98")
    client = login(world.researcher)
    assert client.get("/research/dataset.csv?codes=ORPHA:85443&country=BE").status_code == 200
    assert client.get("/research/phenopackets.zip?sex=male").status_code == 200
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "research.dataset").order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.details["format"], e.details["panels"]) for e in entries] == [
        (world.researcher.id, "csv", 1),
        (world.researcher.id, "phenopackets", 2),
    ]
    assert entries[0].details["query"]["codes"] == ["ORPHA:85443"] and entries[0].details["query"]["country"] == "BE"
    listed = client.get("/research/downloads")
    assert listed.status_code == 200
    assert "codes: ORPHA:85443; country: BE" in listed.text and "sex: male" in listed.text
    client.post("/logout")
    colleague = factories.make_user("second-researcher@ern.example", [(world.ern, None, Role.RESEARCHER)])
    assert "ORPHA:85443" not in login(colleague).get("/research/downloads").text
