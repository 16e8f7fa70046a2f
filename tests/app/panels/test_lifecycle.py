"""The panel lifecycle run by its BPMN processes, through the services a user's clicks call."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.database import db
from app.database import utcnow
from app.errors import Conflict
from app.errors import NotAllowed
from app.errors import NotFound
from app.mail.models import OutgoingMail
from app.notifications.models import Notification
from app.panels import services
from app.panels.models import DataRequest
from app.panels.models import InvitationStatus
from app.panels.models import Outcome
from app.panels.models import Panel
from app.panels.models import Phase
from app.tasks import queries as task_queries
from app.workflows.models import InstanceStatus
from app.workflows.models import ProcessInstance
from app.workflows.services import fire_due_timers
from tests import factories
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of


@pytest.fixture
def case(world):
    """A patient of Leuven with a panel whose consultation form is submitted; Brno's expert and the
    Leuven colleague have thematic areas set, so they can be invited."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    for user in (world.clinician, world.colleague, world.brno_clinician):
        factories.give_areas(user, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    return db.session.get(Panel, panel_id)


def _names(user):
    return sorted(t.name for t in task_queries.open_tasks_for(user))


def test_opening_a_panel_makes_the_opener_its_lead_and_asks_for_the_consultation_form(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient, submit=False)
    panel = db.session.get(Panel, panel_id)
    assert panel.lead_id == world.clinician.id and panel.phase == Phase.CREATION
    assert _names(world.clinician) == ["fill_consultation"]
    assert panel.status_label == "Panel in creation"


def test_submitting_the_consultation_form_moves_the_panel_to_selection(case, world):
    assert case.phase == Phase.SELECTION
    assert case.nickname == "blue heron" and case.consultation["request_description"] == "Which treatment next?"
    assert _names(world.clinician) == ["select_experts"]


@pytest.mark.parametrize("change", [{"frozen": True}, {"consent_care": False}])
def test_a_frozen_patient_or_one_without_consent_for_care_gets_no_panel(world, change):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    for name, value in change.items():
        setattr(patient, name, value)
    db.session.commit()
    with pytest.raises(Conflict):
        factories.open_panel(world.clinician, patient)
    assert db.session.scalar(select(Panel)) is None


def test_another_centre_cannot_open_a_panel_on_the_patient(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    with pytest.raises(NotFound):
        factories.open_panel(world.brno_clinician, patient)


def test_invitees_accept_or_decline_and_accepted_members_are_asked_to_contribute(case, world):
    invited = services.invite_experts(world.clinician, case.id, [world.brno_clinician.id, world.colleague.id], ORIGIN)
    assert sorted(invited) == sorted([world.brno_clinician.full_name, world.colleague.full_name])
    assert _names(world.brno_clinician) == ["answer_invitation"]
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    # The lead answers for the colleague: the invitee's task, completed on their behalf.
    colleague_task = task_of(world.colleague, "answer_invitation")
    complete(world.clinician, colleague_task, {"answer": "decline", "reason": "On leave"})
    statuses = {m.user_id: (m.status, m.reason, m.answered_by_id) for m in case.members}
    assert statuses[world.brno_clinician.id] == (InvitationStatus.ACCEPTED, "", world.brno_clinician.id)
    assert statuses[world.colleague.id] == (InvitationStatus.DECLINED, "On leave", world.clinician.id)
    assert _names(world.brno_clinician) == ["record_contribution"]
    assert _names(world.colleague) == []
    complete(world.brno_clinician, task_of(world.brno_clinician, "record_contribution"), {"text": "Try B.", "hours": "1", "minutes": "30"})
    page = services.view_panel(world.clinician, case.id)
    assert [(c.text, c.minutes_spent) for c in page.contributions] == [("Try B.", 90)]


def test_only_experts_with_thematic_areas_and_not_yet_on_the_panel_can_be_invited(case, world):
    world.colleague.thematic_areas = []
    db.session.commit()
    with pytest.raises(Exception, match="cannot be invited"):
        services.invite_experts(world.clinician, case.id, [world.colleague.id], ORIGIN)
    services.invite_experts(world.clinician, case.id, [world.brno_clinician.id], ORIGIN)
    with pytest.raises(Exception, match="cannot be invited"):
        services.invite_experts(world.clinician, case.id, [world.brno_clinician.id], ORIGIN)


def test_members_cannot_invite_and_strangers_cannot_see_the_panel(case, world):
    services.invite_experts(world.clinician, case.id, [world.brno_clinician.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    with pytest.raises(NotAllowed):
        services.invite_experts(world.brno_clinician, case.id, [world.colleague.id], ORIGIN)
    with pytest.raises(NotFound):
        services.view_panel(world.researcher, case.id)


def test_invitations_are_reminded_after_three_days_and_expire_after_fourteen(case, world):
    services.invite_experts(world.clinician, case.id, [world.brno_clinician.id], ORIGIN)
    start = utcnow()
    assert fire_due_timers(start + timedelta(days=2)) == 0
    assert fire_due_timers(start + timedelta(days=3, minutes=1)) == 1
    member = next(m for m in case.members if m.user_id == world.brno_clinician.id)
    db.session.refresh(member)
    assert member.reminded_at is not None and member.status == InvitationStatus.INVITED
    assert _names(world.brno_clinician) == ["answer_invitation"]
    assert fire_due_timers(start + timedelta(days=14, minutes=1)) == 1
    db.session.refresh(member)
    assert member.status == InvitationStatus.EXPIRED
    assert _names(world.brno_clinician) == []


def test_urgent_panels_remind_sooner(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.give_areas(world.brno_clinician, world.ern)
    panel_id = factories.open_panel(world.clinician, patient, urgent="yes")
    services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id], ORIGIN)
    mail = db.session.scalars(select(OutgoingMail).where(OutgoingMail.recipient == world.brno_clinician.email)).all()
    assert any("URGENT" in m.body for m in mail)
    assert fire_due_timers(utcnow() + timedelta(days=1, minutes=1)) == 1


def test_additional_data_is_asked_by_a_member_and_provided_by_the_patients_centre(case, world):
    services.invite_experts(world.clinician, case.id, [world.brno_clinician.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    services.request_additional_data(world.brno_clinician, case.id, "Latest MRI report, please.", ORIGIN)
    # The colleague of the patient's centre (not on the panel) and the lead may provide it.
    assert "provide_additional_data" in _names(world.colleague)
    assert "provide_additional_data" in _names(world.clinician)
    complete(world.colleague, task_of(world.colleague, "provide_additional_data"), {"answer": "MRI: no change."})
    request = db.session.scalar(select(DataRequest))
    assert (request.answer, request.provided_by_id) == ("MRI: no change.", world.colleague.id)
    assert request.completed_at is not None
    told = db.session.scalars(select(Notification.text).where(Notification.user_id == world.brno_clinician.id)).all()
    assert any("additional data you asked for was provided" in t for t in told)


def test_the_outcome_is_drafted_reviewed_revised_signed_off_and_never_changes_after(case, world):
    services.invite_experts(world.clinician, case.id, [world.brno_clinician.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    complete(world.clinician, task_of(world.clinician, "select_experts"), {})
    assert case.phase == Phase.ASSESSMENT
    outcome = {"case_question": "Which treatment?", "recommendations": "Treatment B.", "diagnosis_codes": "ORPHA:85443", "follow_up": ""}
    complete(world.clinician, task_of(world.clinician, "draft_outcome"), outcome)
    assert case.phase == Phase.REVIEW
    assert db.session.scalar(
        select(Notification).where(Notification.user_id == world.brno_clinician.id, Notification.text.contains("review"))
    )
    complete(world.clinician, task_of(world.clinician, "sign_off_outcome"), {"decision": "revise"})
    assert case.phase == Phase.ASSESSMENT
    complete(world.clinician, task_of(world.clinician, "draft_outcome"), {**outcome, "recommendations": "Treatment C."})
    complete(world.clinician, task_of(world.clinician, "sign_off_outcome"), {"decision": "sign_off", "sign_off_early": ["yes"]})
    assert case.phase == Phase.SIGNED
    signed = db.session.scalar(select(Outcome))
    assert signed.recommendations == "Treatment C." and signed.signed_by_id == world.clinician.id
    services.add_addendum(world.clinician, case.id, "Dose corrected: 5 mg.", ORIGIN)
    assert [a.text for a in signed.addenda] == ["Dose corrected: 5 mg."]
    panel, pdf = services.outcome_report(world.brno_clinician, case.id, ORIGIN)
    assert pdf.startswith(b"%PDF")
    complete(world.clinician, task_of(world.clinician, "close_panel"), {"reason": "advice_given"})
    assert case.phase == Phase.CLOSED and case.closing_reason.value == "advice_given"
    assert db.session.get(ProcessInstance, case.instance_id).status == InstanceStatus.COMPLETED


def test_a_closed_panel_refuses_every_change_and_cancels_its_open_processes(case, world):
    services.invite_experts(world.clinician, case.id, [world.brno_clinician.id], ORIGIN)
    services.close_now(world.clinician, case.id, "withdrawn", "", ORIGIN)
    assert case.phase == Phase.CLOSED
    assert _names(world.brno_clinician) == [] and _names(world.clinician) == []
    running = db.session.scalars(
        select(ProcessInstance).where(ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.subject_type == "panel")
    )
    assert list(running) == []
    assert case.members[-1].status == InvitationStatus.WITHDRAWN
    for attempt in (
        lambda: services.add_comment(world.clinician, case.id, "hello", ORIGIN),
        lambda: services.invite_experts(world.clinician, case.id, [world.colleague.id], ORIGIN),
        lambda: services.close_now(world.clinician, case.id, "other", "again", ORIGIN),
    ):
        with pytest.raises(Conflict, match="closed"):
            attempt()


def test_restarting_opens_a_linked_panel_and_the_old_one_stays_read_only(case, world):
    services.close_now(world.clinician, case.id, "insufficient_data", "", ORIGIN)
    new_id, task_id = services.restart(world.clinician, case.id, ORIGIN)
    new = db.session.get(Panel, new_id)
    assert new.previous_panel_id == case.id and new.phase == Phase.CREATION and case.closed
    assert task_of(world.clinician, "fill_consultation") == task_id


def test_handing_over_the_lead_moves_the_leads_tasks_at_once(case, world):
    services.invite_experts(world.clinician, case.id, [world.brno_clinician.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    services.hand_over_lead(world.clinician, case.id, world.brno_clinician.id, ORIGIN)
    assert "select_experts" in _names(world.brno_clinician)
    assert "select_experts" not in _names(world.clinician)
    with pytest.raises(NotAllowed):
        complete(world.clinician, task_of(world.brno_clinician, "select_experts"), {})


def test_notifications_never_name_the_patient(case, world):
    patient = case.patient
    services.invite_experts(world.clinician, case.id, [world.brno_clinician.id], ORIGIN)
    services.add_comment(world.clinician, case.id, "See the consultation.", ORIGIN)
    texts = [n.text for n in db.session.scalars(select(Notification))] + [m.body for m in db.session.scalars(select(OutgoingMail))]
    assert texts
    for text in texts:
        assert patient.first_name not in text and patient.last_name not in text


def test_a_guests_panel_gets_its_lead_from_the_coordinator_and_guests_never_lead(world):
    from app.accounts.models import Role
    from app.organisations.models import Centre

    guest_centre = Centre(code="GUEST-EuroBloodNet", name="Guest centre", country="EU", is_guest=True, erns=[world.ern])
    db.session.add(guest_centre)
    db.session.flush()
    guest = factories.make_user("guest@guest.example", [(world.ern, guest_centre, Role.GUEST_EXPERT)], "Greta", "Guest")
    patient = factories.enrol(guest, guest_centre, world.ern)
    panel_id = factories.open_panel(guest, patient)
    panel = db.session.get(Panel, panel_id)
    assert panel.lead_id is None and panel.phase == Phase.SELECTION
    assert db.session.scalar(select(Notification).where(Notification.user_id == world.coordinator.id, Notification.text.contains("assign")))
    with pytest.raises(NotAllowed):
        services.invite_experts(guest, panel_id, [world.clinician.id], ORIGIN)
    with pytest.raises(Exception, match="cannot lead"):
        services.hand_over_lead(world.coordinator, panel_id, guest.id, ORIGIN)
    services.hand_over_lead(world.coordinator, panel_id, world.brno_clinician.id, ORIGIN)
    assert panel.lead_id == world.brno_clinician.id
    assert _names(world.brno_clinician) == ["select_experts"]
    assert services.view_panel(guest, panel_id).panel.id == panel_id


def test_an_expert_group_is_invited_in_one_click(case, world):
    from app.panels.models import ExpertGroup

    group = ExpertGroup(ern_id=world.ern.id, name="Lymphoma experts", members=[world.colleague, world.brno_clinician])
    db.session.add(group)
    db.session.commit()
    assert sorted(services.invite_group(world.clinician, case.id, group.id, ORIGIN)) == ["Elise Janssens", "Jan Novak"]
    assert _names(world.colleague) == ["answer_invitation"] and _names(world.brno_clinician) == ["answer_invitation"]


def test_coordinator_assistance_puts_a_task_in_the_coordinators_queue_and_tells_the_lead(case, world):
    from app.accounts.models import Role

    services.request_assistance(world.clinician, case.id, ORIGIN)
    assert _names(world.coordinator) == ["suggest_experts"]
    dispatcher = factories.make_user("dispatcher@ern.example", [(world.ern, None, Role.DISPATCHER)], "Dora", "Dispatcher")
    assert _names(dispatcher) == ["suggest_experts"]
    complete(dispatcher, task_of(dispatcher, "suggest_experts"), {"suggestion": "Jan Novak, Brno"})
    assert _names(world.coordinator) == []
    page = services.view_panel(world.clinician, case.id)
    assert any("Jan Novak, Brno" in entry.text for entry in page.timeline)
    assert db.session.scalar(
        select(Notification).where(Notification.user_id == world.clinician.id, Notification.text.contains("suggested"))
    )


def test_an_invitation_reaches_the_invitees_mailbox_through_a_real_smtp_server(case, world, inbox):
    from tests.smtp import deliver

    services.invite_experts(world.clinician, case.id, [world.brno_clinician.id], ORIGIN)
    delivered = deliver(inbox)
    to_invitee = [body for recipients, body in delivered if world.brno_clinician.email in recipients]
    assert len(to_invitee) == 1
    assert f"Panel #{case.id} blue heron" in to_invitee[0] and f"/panels/{case.id}" in to_invitee[0]
    assert case.patient.last_name not in to_invitee[0]


@pytest.mark.parametrize("nickname", ["Addel case", "roger ADDEL", "case 05/02/1976", "born 05021976", "05/Feb/1976"])
def test_a_nickname_that_identifies_the_patient_is_refused_and_nothing_is_lost(world, nickname):
    from app.errors import InvalidInput

    patient = factories.enrol(world.clinician, world.leuven, world.ern, first_name="Roger", last_name="Addel", date_of_birth="05/02/1976")
    panel_id = factories.open_panel(world.clinician, patient, submit=False)
    task_id = task_of(world.clinician, "fill_consultation")
    with pytest.raises(InvalidInput) as refused:
        complete(world.clinician, task_id, {**factories.CONSULTATION, "nickname": nickname})
    assert "identify the patient" in refused.value.field_errors["nickname"][0]
    assert db.session.get(Panel, panel_id).phase == Phase.CREATION
    assert task_of(world.clinician, "fill_consultation") == task_id
    complete(world.clinician, task_id, {**factories.CONSULTATION, "nickname": "amber fox"})
    assert db.session.get(Panel, panel_id).nickname == "amber fox"
