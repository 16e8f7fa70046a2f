"""The PDFs a hospital files: the consultation form and the signed outcome, read back as text."""

from datetime import UTC
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from app.database import db
from app.panels import services
from app.panels.models import Outcome
from app.panels.models import Panel
from tests import factories
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of

READER_ZONE = "Europe/Helsinki"  # not the default time zone (Europe/Brussels): the reader's own choice shows


@pytest.fixture
def signed_panel(world):
    """A panel led by a haematologist with a cardiologist as member, a consultation with partial dates, a contribution
    and a signed outcome naming a diagnosis by its code."""
    world.clinician.specialisation = "Haematologist"
    world.brno_clinician.specialisation = "Cardiologist"
    world.brno_clinician.timezone = READER_ZONE
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    for user in (world.clinician, world.brno_clinician):
        factories.give_areas(user, world.ern)
    panel_id = factories.open_panel(
        world.clinician,
        patient,
        episode_onset="03/2026",
        medications=[{"medicine": "Hydroxyurea", "dose": "500 mg daily", "since": "2021"}],
    )
    services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    complete(
        world.brno_clinician,
        task_of(world.brno_clinician, "record_contribution"),
        {"text": "Cardiac staging first.", "hours": "1", "minutes": "15"},
    )
    complete(world.clinician, task_of(world.clinician, "select_experts"), {})
    outcome = {
        "case_question": "Which treatment after relapse?",
        "recommendations": "Second-line regimen; re-stage after three cycles.",
        "diagnosis_codes": "ORPHA:85443, E85.8 (suspected)",
        "follow_up": "Review in three months.",
    }
    complete(world.clinician, task_of(world.clinician, "draft_outcome"), outcome)
    complete(world.clinician, task_of(world.clinician, "sign_off_outcome"), {"decision": "sign_off", "sign_off_early": ["yes"]})
    return db.session.get(Panel, panel_id)


def pdf_pages(response):
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return [page.extract_text() for page in PdfReader(BytesIO(response.data)).pages]


def in_reader_zone(moment):
    local = moment.astimezone(UTC).astimezone(ZoneInfo(READER_ZONE))
    return f"{local:%d}/{local:%b}/{local:%Y} {local:%H:%M} ({READER_ZONE})"


def test_the_outcome_pdf_is_a_document_to_file(world, login, signed_panel):
    pages = pdf_pages(login(world.brno_clinician).get(f"/panels/{signed_panel.id}/outcome.pdf"))
    text = "\n".join(pages)
    outcome = db.session.query(Outcome).filter_by(panel_id=signed_panel.id).one()

    # Who, where, on whom: the network and centre, the panel, the patient by CPMS ID only.
    assert "EuroBloodNet" in text and world.leuven.display_name in text
    assert signed_panel.patient.cpms_id in text and signed_panel.patient.last_name not in text
    # The members with their specialties, the lead first.
    assert text.index(world.clinician.full_name) < text.index(world.brno_clinician.full_name) < text.index("Cardiologist")
    assert "Haematologist" in text and "Panel lead" in text
    # The question, what was contributed, the advice with its codes named, who signed it off and when.
    assert "Which treatment after relapse?" in text
    assert "1 contribution from 1 expert" in text and "1 h 15 min" in text and "Cardiac staging first." in text
    assert "ORPHA:85443 AL amyloidosis" in text and "E85.8 Other amyloidosis" in text and "(suspected)" in text
    assert world.clinician.full_name in text
    assert in_reader_zone(outcome.signed_at) in text
    # What the advice is not, and where each page stands.
    assert "pseudonymised" in text and "does not replace" in text and "treating physician" in text
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page


def test_the_consultation_pdf_shows_times_in_the_readers_zone_and_partial_dates_as_typed(world, login, signed_panel):
    text = "\n".join(pdf_pages(login(world.brno_clinician).get(f"/panels/{signed_panel.id}/consultation.pdf")))

    assert in_reader_zone(signed_panel.consultation_submitted_at) in text
    assert "03/2026" in text and "2026-03" not in text
    assert "Since: 2021" in text and "Hydroxyurea" in text
    assert "Page 1 of 1" in text
