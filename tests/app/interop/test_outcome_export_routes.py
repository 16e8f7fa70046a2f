"""Downloading a signed outcome as FHIR and as a Phenopacket: the lead gets both, audited, as attachments with a
non-identifying name; anyone else is told there is no such panel; before the sign-off, the lead is told why not.
Researchers download the FHIR bundles of released panels beside the Phenopackets."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.database import db
from app.database import utcnow
from app.interop.outcome_case import EXPORTED
from app.research.queries import DATASET
from tests.app.interop.test_outcome_export import SPELLINGS
from tests.app.interop.test_outcome_export import open_case
from tests.app.interop.test_outcome_export import sign_off

URLS = {
    "fhir": ("/panels/{panel}/outcome.fhir.json", "application/fhir+json"),
    "phenopacket": ("/panels/{panel}/outcome.phenopacket.json", "application/json"),
}


@pytest.fixture
def signed_panel(world):
    panel = open_case(world)
    sign_off(world, panel.id)
    return panel


@pytest.mark.parametrize("fmt", sorted(URLS))
def test_the_lead_downloads_the_signed_outcome_as_an_audited_attachment(world, login, signed_panel, fmt):
    url, mimetype = URLS[fmt]
    response = login(world.clinician).get(url.format(panel=signed_panel.id))
    assert response.status_code == 200 and response.mimetype == mimetype
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"panel-{signed_panel.id}-outcome." in disposition
    assert signed_panel.patient.cpms_id not in disposition
    text = response.get_data(as_text=True).casefold()
    for value in (*SPELLINGS, signed_panel.patient.cpms_id):
        assert value.casefold() not in text, value
    data = json.loads(response.data)
    if fmt == "fhir":
        assert Bundle.model_validate(data).type == "document"
    else:
        assert data["id"] == f"panel-{signed_panel.id}"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == EXPORTED).order_by(AuditEntry.id.desc()))
    assert (entry.actor_id, entry.target_id, entry.details) == (world.clinician.id, str(signed_panel.id), {"format": fmt})


@pytest.mark.parametrize("fmt", sorted(URLS))
@pytest.mark.parametrize("who", ["brno_clinician", "coordinator", "researcher", "colleague"])
def test_anyone_but_the_lead_is_told_there_is_no_such_panel(world, login, signed_panel, fmt, who):
    response = login(getattr(world, who)).get(URLS[fmt][0].format(panel=signed_panel.id))
    assert response.status_code == 404
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == EXPORTED)) is None


@pytest.mark.parametrize("fmt", sorted(URLS))
def test_before_the_sign_off_the_lead_is_told_the_outcome_is_not_signed_yet(world, login, fmt):
    panel = open_case(world)
    response = login(world.clinician).get(URLS[fmt][0].format(panel=panel.id))
    assert response.status_code == 409 and "no signed-off outcome yet" in response.text


def test_signing_in_comes_first(client, signed_panel):
    response = client.get(f"/panels/{signed_panel.id}/outcome.fhir.json")
    assert response.status_code in (302, 401)


def test_the_panel_page_offers_the_downloads_to_the_lead_only(world, login, signed_panel):
    links = (f"/panels/{signed_panel.id}/outcome.fhir.json", f"/panels/{signed_panel.id}/outcome.phenopacket.json")
    page = login(world.clinician).get(f"/panels/{signed_panel.id}?tab=contributions").text
    assert all(link in page for link in links)
    page = login(world.brno_clinician).get(f"/panels/{signed_panel.id}?tab=contributions").text
    assert not any(link in page for link in links)


def test_researchers_download_the_fhir_bundles_of_released_panels_audited_with_the_search(world, login, signed_panel):
    unreleased = open_case(world)  # the same code, not released: never in the dataset
    signed_panel.released_at = utcnow()
    db.session.commit()
    client = login(world.researcher)
    page = client.get("/research/?codes=ORPHA:85443").text
    assert "/research/fhir-bundles.zip?codes=ORPHA" in page
    response = client.get("/research/fhir-bundles.zip?codes=ORPHA:85443")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == 'attachment; filename="consilium-research-fhir-bundles.zip"'
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.namelist() == [f"panel-{signed_panel.id}.fhir.json"]
        text = archive.read(archive.namelist()[0]).decode()
    assert f"panel-{unreleased.id}" not in text
    bundle = json.loads(text)
    assert Bundle.model_validate(bundle).type == "document"
    for value in (*SPELLINGS, signed_panel.patient.cpms_id):
        assert value.casefold() not in text.casefold(), value
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == DATASET).order_by(AuditEntry.id.desc()))
    assert entry.actor_id == world.researcher.id and entry.details["format"] == "fhir" and entry.details["panels"] == 1


@pytest.mark.parametrize("who", ["clinician", "brno_clinician", "coordinator"])
def test_only_researchers_download_the_research_fhir_bundles(world, login, who):
    assert login(getattr(world, who)).get("/research/fhir-bundles.zip").status_code == 403
