from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.patients import services
from app.tasks import services as task_services
from app.tasks.models import OpenTask
from app.workflows.models import InstanceEvent
from app.workflows.models import ProcessInstance
from tests import factories
from tests.factories import ORIGIN


def test_enrolment_creates_the_patient_with_the_first_cpms_id(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    assert patient.cpms_id == "ERN-BE10-EuroBloodNet-001"
    assert (patient.first_name, patient.last_name, patient.date_of_birth) == ("Roger", "Addel", date(1976, 2, 5))
    assert patient.record_label == "Addel, Roger DOB: 05/02/1976 (M)"
    assert patient.consent_care and not patient.consent_registry


def test_cpms_sequence_is_per_centre_and_ern(world):
    first = factories.enrol(world.clinician, world.leuven, world.ern)
    second = factories.enrol(world.colleague, world.leuven, world.ern, first_name="Ana")
    brno = factories.enrol(world.brno_clinician, world.brno, world.ern)
    assert [first.cpms_id, second.cpms_id, brno.cpms_id] == [
        "ERN-BE10-EuroBloodNet-001",
        "ERN-BE10-EuroBloodNet-002",
        "ERN-CZ08-EuroBloodNet-001",
    ]


def test_enrolment_process_completes_and_leaves_no_open_task(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    instance = factories.db.session.scalar(select(ProcessInstance).where(ProcessInstance.subject_id == patient.id))
    assert instance.status == "completed" and instance.subject_type == "patient"
    assert factories.db.session.scalars(select(OpenTask).where(OpenTask.instance_id == instance.id)).all() == []
    events = factories.db.session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance.id)).all()
    manual = [e for e in events if e.actor_id is not None]
    assert [(e.task_name, e.actor_id) for e in manual] == [("enrol_patient", world.clinician.id)]
    assert manual[0].changed_keys == ["patient_id"]


def test_event_log_and_task_data_hold_no_identifying_values(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern, first_name="Zyxwvut", last_name="Qponmlk")
    instance = factories.db.session.scalar(select(ProcessInstance).where(ProcessInstance.subject_id == patient.id))
    assert "Zyxwvut" not in instance.state and "Qponmlk" not in instance.state and "1976" not in instance.state
    events = factories.db.session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance.id)).all()
    assert all("Zyxwvut" not in " ".join(e.changed_keys) for e in events)
    details = " ".join(str(e.details) for e in factories.db.session.scalars(select(AuditEntry)))
    assert "Zyxwvut" not in details


def test_only_clinicians_of_the_centre_can_start_an_enrolment(world):
    for outsider in (world.brno_clinician, world.coordinator, world.researcher):
        with pytest.raises(NotAllowed):
            factories.start_enrolment(outsider, world.leuven, world.ern)


def test_a_colleague_of_the_same_centre_can_complete_the_enrolment_form(world):
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    task = task_services.task_for(world.colleague, task_id)
    assert task.form_key == "enrolment"
    with pytest.raises(NotAllowed):
        task_services.task_for(world.brno_clinician, task_id)


def test_completing_a_task_twice_names_who_completed_it(world):
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    task_services.complete_task(world.clinician, task_id, factories.enrolment_answers(), factories.forms(), date(2026, 11, 21), ORIGIN)
    with pytest.raises(Exception) as second:
        task_services.complete_task(world.colleague, task_id, factories.enrolment_answers(), factories.forms(), date(2026, 11, 21), ORIGIN)
    assert type(second.value).__name__ == "Conflict"
    assert "already completed by Hanna Peeters" in second.value.message
    assert len(factories.db.session.scalars(select(factories.Patient)).all()) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"consent_care": "no"}, "consent_care", "Consent for care is required"),
        ({"date_of_birth": "31/02/2020"}, "date_of_birth", "is not a real date"),
        ({"date_of_birth": "05/02/2999"}, "date_of_birth", "cannot be in the future"),
        ({"date_of_birth": "1976-02-05"}, "date_of_birth", "dd/mm/yyyy"),
        ({"first_name": "  "}, "first_name", "First name is required"),
        ({"consent_registry": "yes", "registry_name": ""}, "registry_name", "Registry name is required"),
        ({"gender": "robot"}, "gender", "Choose one of the options"),
        ({"first_name": "a\x00b"}, "first_name", "control characters"),
        ({"date_of_birth": "01/01/0001"}, "date_of_birth", "from 1800 on"),
    ],
)
def test_bad_enrolment_answers_are_refused_with_a_message_on_the_field(world, changes, field, message):
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    with pytest.raises(InvalidInput) as refused:
        task_services.complete_task(
            world.clinician, task_id, factories.enrolment_answers(**changes), factories.forms(), date(2026, 11, 21), ORIGIN
        )
    assert message in refused.value.field_errors[field][0]
    assert task_services.task_for(world.clinician, task_id) is not None  # still open, nothing lost


def test_registry_name_is_ignored_when_registry_consent_is_not_given(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern, consent_registry="no", registry_name="Should vanish")
    assert patient.registry_name == ""


def test_patient_list_is_searched_without_accents_or_case(world):
    factories.enrol(world.clinician, world.leuven, world.ern, first_name="Hélène", last_name="Dupré")
    factories.enrol(world.clinician, world.leuven, world.ern, first_name="Roger", last_name="Addel")
    for term in ("helene", "HÉLÈNE", "dupre", "ERN-BE10-EuroBloodNet-001"):
        page = services.list_patients(world.clinician, world.leuven.id, ORIGIN, search=term)
        assert [p.first_name for p in page.items] == ["Hélène"], term


def test_patient_list_sorts_and_pages(world):
    for index in range(53):
        factories.enrol(world.clinician, world.leuven, world.ern, last_name=f"Name{index:02d}")
    first = services.list_patients(world.clinician, world.leuven.id, ORIGIN, sort="last_name")
    assert (first.total, first.pages, len(first.items)) == (53, 2, 50)
    assert first.items[0].last_name == "Name00"
    last = services.list_patients(world.clinician, world.leuven.id, ORIGIN, sort="last_name", descending=True, page=2)
    assert [p.last_name for p in last.items] == ["Name02", "Name01", "Name00"]


def test_patients_of_another_centre_are_invisible(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    assert services.list_patients(world.brno_clinician, world.leuven.id, ORIGIN).total == 0
    assert services.list_patients(world.coordinator, None, ORIGIN).total == 0
    with pytest.raises(NotFound):
        services.view_patient(world.brno_clinician, patient.id, ORIGIN)
    assert services.view_patient(world.colleague, patient.id, ORIGIN).id == patient.id


def test_reading_identifying_data_is_audited(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    services.view_patient(world.colleague, patient.id, ORIGIN)
    entry = factories.db.session.scalars(select(AuditEntry).where(AuditEntry.action == "patient.viewed")).one()
    assert (entry.actor_id, entry.target_id, entry.remote_addr) == (world.colleague.id, str(patient.id), "127.0.0.1")


def test_longest_names_and_names_that_grow_when_folded_are_stored(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern, first_name="ß" * 100, last_name="ﷺ" * 100)
    assert len(patient.record_label) <= 200 and patient.record_label.endswith("DOB: 05/02/1976 (M)")
    page = services.list_patients(world.clinician, world.leuven.id, ORIGIN, search="ss")
    assert [p.id for p in page.items] == [patient.id]


def test_control_characters_in_a_search_are_ignored(world):
    factories.enrol(world.clinician, world.leuven, world.ern)
    assert services.list_patients(world.clinician, world.leuven.id, ORIGIN, search="\x00add\x00el").total == 1


def test_guests_see_only_the_patients_they_enrolled_themselves(world):
    from app.accounts.models import Role

    guest_centre = factories.make_centre("GUEST-EuroBloodNet", [world.ern], "EuroBloodNet guest virtual centre")
    guest_centre.is_guest = True
    first = factories.make_user("guest1@elsewhere.example", [(world.ern, guest_centre, Role.GUEST_EXPERT)], "Gina", "One")
    second = factories.make_user("guest2@elsewhere.example", [(world.ern, guest_centre, Role.GUEST_EXPERT)], "Gus", "Two")
    patient = factories.enrol(first, guest_centre, world.ern, last_name="Guestpatient")
    assert [p.id for p in services.list_patients(first, guest_centre.id, ORIGIN).items] == [patient.id]
    assert services.list_patients(second, guest_centre.id, ORIGIN).total == 0
    with pytest.raises(NotFound):
        services.view_patient(second, patient.id, ORIGIN)
    task_id = factories.start_enrolment(first, guest_centre, world.ern)
    with pytest.raises(NotAllowed):
        task_services.task_for(second, task_id)
    assert task_services.task_for(first, task_id).assignee_id == first.id


def test_who_completed_a_task_is_told_only_to_those_who_follow_the_case(world):
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    task_services.complete_task(world.clinician, task_id, factories.enrolment_answers(), factories.forms(), date(2026, 11, 21), ORIGIN)
    with pytest.raises(NotFound):
        task_services.task_for(world.brno_clinician, task_id)
    with pytest.raises(Conflict) as told:
        task_services.task_for(world.colleague, task_id)
    assert "Hanna Peeters" in told.value.message


def test_an_assistant_prepares_the_enrolment_and_a_clinician_submits_it(world, login):
    from app.accounts.models import Role
    from app.errors import NotAllowed
    from app.tasks.services import save_draft

    assistant = factories.make_user("assistant@leuven.example", [(world.ern, world.leuven, Role.ASSISTANT)], "Ada", "Assistant")
    task_id = factories.start_enrolment(assistant, world.leuven, world.ern)
    save_draft(assistant, task_id, {"first_name": "Zoë"}, 0, factories.ORIGIN)
    with pytest.raises(NotAllowed, match="assistant"):
        factories.complete(assistant, task_id, factories.enrolment_answers())
    page = login(assistant).get(f"/tasks/{task_id}").text
    assert "a clinician of the centre submits it" in page and "Enrol patient</button>" not in page
    completed = factories.complete(world.clinician, task_id, factories.enrolment_answers())
    assert completed.subject_type == "patient"


def test_an_assistant_cannot_open_a_panel(world):
    from app.accounts.models import Role
    from app.errors import NotAllowed
    from app.panels import services as panel_services

    assistant = factories.make_user("assistant@leuven.example", [(world.ern, world.leuven, Role.ASSISTANT)], "Ada", "Assistant")
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    with pytest.raises(NotAllowed):
        panel_services.open_panel(assistant, patient.id, world.ern.thematic_areas[0].id, factories.ORIGIN)


BIRTH = date(1976, 2, 5)


def test_a_possible_duplicate_is_found_whatever_the_case_accents_or_order_of_the_names(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern, first_name="Hélène", last_name="Dupré-Martin")
    task_id = factories.start_enrolment(world.colleague, world.leuven, world.ern)
    for names in (("helene", "DUPRE-MARTIN"), (" Hélène ", "dupré martin"), ("Dupre Martin", "HELENE")):
        assert services.possible_duplicates(world.colleague, task_id, names, BIRTH, ORIGIN) == [patient], names


def test_another_birth_date_or_another_name_is_no_duplicate(world):
    factories.enrol(world.clinician, world.leuven, world.ern, first_name="Hélène", last_name="Dupré")
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    assert services.possible_duplicates(world.clinician, task_id, ("Hélène", "Dupré"), date(1976, 2, 6), ORIGIN) == []
    assert services.possible_duplicates(world.clinician, task_id, ("Hélèna", "Dupré"), BIRTH, ORIGIN) == []
    assert services.possible_duplicates(world.clinician, task_id, ("Hélène", ""), BIRTH, ORIGIN) == []
    assert services.possible_duplicates(world.clinician, task_id, ("Hélène", "Dupré"), None, ORIGIN) == []


def test_only_patients_of_the_enrolments_centre_and_ern_are_possible_duplicates(world):
    from app.accounts.models import Role

    here = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.enrol(world.brno_clinician, world.brno, world.ern)
    vascular = factories.make_user("vascern@leuven.example", [(world.other_ern, world.leuven, Role.MEMBER_EXPERT)], "Vera", "Vascular")
    factories.enrol(vascular, world.leuven, world.other_ern)
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    assert services.possible_duplicates(world.clinician, task_id, ("Roger", "Addel"), BIRTH, ORIGIN) == [here]
    brno_task = factories.start_enrolment(world.brno_clinician, world.brno, world.ern)
    found = services.possible_duplicates(world.brno_clinician, brno_task, ("Roger", "Addel"), BIRTH, ORIGIN)
    assert [p.centre_id for p in found] == [world.brno.id]


def test_only_who_may_fill_in_the_enrolment_may_look_for_duplicates(world):
    factories.enrol(world.clinician, world.leuven, world.ern)
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    for outsider in (world.brno_clinician, world.coordinator, world.researcher):
        with pytest.raises(NotAllowed):
            services.possible_duplicates(outsider, task_id, ("Roger", "Addel"), BIRTH, ORIGIN)
    with pytest.raises(NotFound):
        services.possible_duplicates(world.clinician, "00000000-0000-0000-0000-000000000000", ("Roger", "Addel"), BIRTH, ORIGIN)


def test_in_a_guest_centre_only_the_guests_own_patients_are_possible_duplicates(world):
    from app.accounts.models import Role

    guest_centre = factories.make_centre("GUEST-EuroBloodNet", [world.ern], "EuroBloodNet guest virtual centre")
    guest_centre.is_guest = True
    first = factories.make_user("guest1@elsewhere.example", [(world.ern, guest_centre, Role.GUEST_EXPERT)], "Gina", "One")
    second = factories.make_user("guest2@elsewhere.example", [(world.ern, guest_centre, Role.GUEST_EXPERT)], "Gus", "Two")
    patient = factories.enrol(first, guest_centre, world.ern)
    own = factories.start_enrolment(first, guest_centre, world.ern)
    assert services.possible_duplicates(first, own, ("Roger", "Addel"), BIRTH, ORIGIN) == [patient]
    task_id = factories.start_enrolment(second, guest_centre, world.ern)
    assert services.possible_duplicates(second, task_id, ("Roger", "Addel"), BIRTH, ORIGIN) == []


def test_looking_for_duplicates_is_audited_without_the_names(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern, first_name="Zyxwvut", last_name="Qponmlk")
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    services.possible_duplicates(world.clinician, task_id, ("Zyxwvut", "Qponmlk"), BIRTH, ORIGIN)
    entry = factories.db.session.scalars(select(AuditEntry).where(AuditEntry.action == "enrolment.duplicates_checked")).one()
    assert (entry.actor_id, entry.details) == (world.clinician.id, {"found": [patient.id]})
    assert "Zyxwvut" not in str(entry.details) and "1976" not in str(entry.details)
