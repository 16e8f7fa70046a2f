"""A record enrolled without an answer to an optional consent is edited as it was: no date is asked for that consent."""

import re

from app.database import db
from app.patients import editing
from app.patients.models import Patient
from tests import factories


def test_an_unanswered_research_consent_is_not_turned_into_no_and_blocks_no_edit(world, login):
    # The enrolment form leaves the research consent optional; the factory's answers leave it unanswered.
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    assert patient.consent_research_date is None
    client = login(world.clinician)
    page = client.get(f"/patients/{patient.id}/edit").text
    research_no = re.search(r'<input[^>]*name="consent_research"[^>]*value="no"[^>]*>', page).group(0)
    # What the page shows, sent back with one correction of the name: as a browser would.
    sent = {**editing.current_answers(patient), "last_name": "Adel", "note": "Misspelt."}
    response = client.post(f"/patients/{patient.id}/edit", data=sent)
    assert "checked" not in research_no, "the edit form claims the patient answered No"
    assert response.status_code == 302, "correcting a name asks for the date of a research consent never given"
    assert db.session.get(Patient, patient.id).last_name == "Adel"
