"""Erasure leaves nothing that identifies the patient: not the freeze reason, not a note naming an earlier name."""

import json

from app.database import db
from app.documents.storage import LocalStorage
from app.patients import editing
from app.patients import rights
from app.patients import services as patient_services
from app.patients.models import Patient
from app.patients.models import PatientChange
from tests import factories
from tests.factories import ORIGIN


def test_the_freeze_reason_on_the_record_is_erased_too(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern, first_name="Ottoline", last_name="Quenneville")
    patient_services.set_frozen(world.clinician, patient.id, True, "Ottoline Quenneville moved abroad.", ORIGIN)
    rights.erase_identifying_data(world.clinician, patient.id, patient.cpms_id, "Written request.", LocalStorage("unused"), ORIGIN)
    erased = db.session.get(Patient, patient.id)
    assert "Quenneville" not in (erased.frozen_reason or "")
    record = json.loads(login(world.clinician).get(f"/patients/{patient.id}/export.json").data)
    assert "Quenneville" not in json.dumps(record)


def test_a_note_naming_an_earlier_name_is_erased_too(world, login):
    patient = factories.enrol(
        world.clinician,
        world.leuven,
        world.ern,
        first_name="Ottoline",
        last_name="Dupont",
        consent_research="no",
        consent_research_date="01/03/2026",
        record_label="MRN 884120",
    )
    answers = editing.current_answers(patient)
    answers.update(last_name="Quenneville")
    # As the route does: the form's answers, cleaned.
    from datetime import date

    from app.tasks.answers import clean_answers

    cleaned, errors = clean_answers(editing.edit_form(), answers, date(2026, 11, 21))
    assert not errors
    editing.edit_record(world.clinician, patient.id, cleaned, "Married name; born Dupont.", ORIGIN)
    rights.erase_identifying_data(world.clinician, patient.id, patient.cpms_id, "Written request.", LocalStorage("unused"), ORIGIN)
    notes = [row.note for row in db.session.query(PatientChange).filter_by(patient_id=patient.id)]
    assert not any("Dupont" in note for note in notes), notes
