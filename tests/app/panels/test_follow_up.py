"""Follow-up of a signed outcome (bpmn/follow_up.bpmn, app/panels/follow_up.py), through the services and the
scheduler's timer firing with a chosen clock, on a real database."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from flask import render_template
from sqlalchemy import select

from app.database import db
from app.database import transaction
from app.ernsettings.models import ErnSettings
from app.errors import InvalidInput
from app.notifications.models import Notification
from app.panels import follow_up
from app.panels import services
from app.panels.models import Outcome
from app.panels.models import Panel
from app.panels.models import Phase
from app.panels.models import TimelineEntry
from app.patients import transfer
from app.tasks import queries as task_queries
from app.workflows.models import InstanceStatus
from app.workflows.services import fire_due_timers
from tests import factories
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of

MINUTE = timedelta(minutes=1)
ANSWER = {
    "no_further_follow_up": "no",
    "advice_followed": "partly",
    "why": "Treatment B was not available; treatment C was given.",
    "current_status": "Stable, renal function improved.",
    "diagnosis": "changed",
    "diagnosis_codes": "ORPHA:85443",
}


def _names(user):
    return sorted(t.name for t in task_queries.open_tasks_for(user))


def _signed_off(world, months=None):
    """A panel of Leuven's patient with Brno's expert as member, its outcome signed off, and its follow-up started
    (start_for is idempotent: once sign_outcome starts it, this finds that one)."""
    if months is not None:
        db.session.add(ErnSettings(ern_id=world.ern.id, follow_up_months=months))
        db.session.commit()
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.give_areas(world.brno_clinician, world.ern)
    panel = db.session.get(Panel, factories.open_panel(world.clinician, patient))
    services.invite_experts(world.clinician, panel.id, [world.brno_clinician.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    complete(world.clinician, task_of(world.clinician, "select_experts"), {})
    drafted = {"case_question": "Which treatment?", "recommendations": "Treatment B.", "diagnosis_codes": "ORPHA:85443", "follow_up": ""}
    complete(world.clinician, task_of(world.clinician, "draft_outcome"), drafted)
    complete(world.clinician, task_of(world.clinician, "sign_off_outcome"), {"decision": "sign_off", "sign_off_early": ["yes"]})
    assert panel.phase == Phase.SIGNED
    outcome = db.session.scalar(select(Outcome).where(Outcome.panel_id == panel.id))
    with transaction():
        instance = follow_up.start_for(outcome, panel, world.clinician)
    return panel, outcome, instance


def _at(outcome, months):
    return follow_up.months_after(outcome.signed_at, months)


def test_the_follow_up_reaches_the_patients_centre_at_three_months_and_its_answer_is_stored(world):
    panel, outcome, instance = _signed_off(world)
    assert (instance.subject_type, instance.subject_id, instance.centre_id) == ("outcome", outcome.id, world.leuven.id)
    assert instance.next_timer_at == _at(outcome, 3)

    fire_due_timers(_at(outcome, 3) - MINUTE)
    assert "first_follow_up" not in _names(world.colleague)
    fire_due_timers(_at(outcome, 3))
    # The patient's centre: the lead and a Leuven colleague who is not on the panel; not Brno's member.
    assert _names(world.colleague) == ["first_follow_up"]
    assert "first_follow_up" in _names(world.clinician)
    assert "first_follow_up" not in _names(world.brno_clinician)
    told = db.session.scalars(select(Notification.text).where(Notification.user_id == world.colleague.id)).all()
    assert any("3-month follow-up" in text for text in told)

    complete(world.colleague, task_of(world.colleague, "first_follow_up"), ANSWER)
    [answer] = follow_up.follow_ups_of(panel.id)
    assert (answer.months, answer.advice_followed, answer.diagnosis, answer.answered_by_id) == (3, "partly", "changed", world.colleague.id)
    assert answer.diagnosis_codes.startswith("ORPHA:85443 — ") and answer.current_status == ANSWER["current_status"]
    assert answer.ended_reason == ""
    lines = db.session.scalars(select(TimelineEntry.text).where(TimelineEntry.panel_id == panel.id, TimelineEntry.kind == "follow_up"))
    assert list(lines) == ["Follow-up at 3 months: the advice was followed partly."]
    told_lead = db.session.scalars(select(Notification.text).where(Notification.user_id == world.clinician.id)).all()
    assert any("answered the 3-month follow-up" in text for text in told_lead)
    db.session.refresh(instance)
    assert instance.status == InstanceStatus.RUNNING and instance.next_timer_at == _at(outcome, 6)

    fire_due_timers(_at(outcome, 6))
    assert _names(world.colleague) == ["second_follow_up"]
    confirmed = {**ANSWER, "advice_followed": "fully", "diagnosis": "confirmed"}
    complete(world.colleague, task_of(world.colleague, "second_follow_up"), confirmed)
    fire_due_timers(_at(outcome, 12))
    complete(world.clinician, task_of(world.clinician, "third_follow_up"), {**ANSWER, "diagnosis": "unknown"})
    assert [(f.months, f.advice_followed, f.diagnosis) for f in follow_up.follow_ups_of(panel.id)] == [
        (3, "partly", "changed"),
        (6, "fully", "confirmed"),
        (12, "partly", "unknown"),
    ]
    db.session.refresh(instance)
    assert instance.status == InstanceStatus.COMPLETED and instance.next_timer_at is None


def test_answers_that_identify_the_patient_or_a_changed_diagnosis_without_codes_are_refused(world):
    panel, outcome, _instance = _signed_off(world)
    fire_due_timers(_at(outcome, 3))
    task = task_of(world.colleague, "first_follow_up")
    with pytest.raises(InvalidInput) as refused:
        complete(world.colleague, task, {**ANSWER, "current_status": "Roger Addel is stable."})
    assert "current_status" in refused.value.field_errors
    with pytest.raises(InvalidInput) as refused:
        complete(world.colleague, task, {**ANSWER, "diagnosis_codes": ""})
    assert "diagnosis_codes" in refused.value.field_errors
    assert follow_up.follow_ups_of(panel.id) == []
    assert _names(world.colleague) == ["first_follow_up"]


def test_no_further_follow_up_ends_it_with_its_reason_and_the_six_and_twelve_month_rounds_never_come(world):
    panel, outcome, instance = _signed_off(world)
    fire_due_timers(_at(outcome, 3))
    complete(world.colleague, task_of(world.colleague, "first_follow_up"), {"no_further_follow_up": "yes", "ended_reason": "died"})
    [ended] = follow_up.follow_ups_of(panel.id)
    assert (ended.months, ended.ended_reason, ended.advice_followed, ended.diagnosis) == (3, "died", "", "")
    db.session.refresh(instance)
    assert instance.status == InstanceStatus.COMPLETED and instance.next_timer_at is None
    fire_due_timers(_at(outcome, 12) + timedelta(days=1))
    assert _names(world.colleague) == [] and not {"second_follow_up", "third_follow_up"} & set(_names(world.clinician))
    assert len(follow_up.follow_ups_of(panel.id)) == 1


def test_closing_the_panel_does_not_cancel_the_follow_up(world):
    panel, outcome, instance = _signed_off(world)
    complete(world.clinician, task_of(world.clinician, "close_panel"), {"reason": "advice_given"})
    assert panel.phase == Phase.CLOSED
    db.session.refresh(instance)
    assert instance.status == InstanceStatus.RUNNING
    fire_due_timers(_at(outcome, 3))
    assert _names(world.colleague) == ["first_follow_up"]
    complete(world.colleague, task_of(world.colleague, "first_follow_up"), ANSWER)
    assert [f.months for f in follow_up.follow_ups_of(panel.id)] == [3]


def test_an_ern_asking_at_six_months_only_gets_one_round(world):
    panel, outcome, instance = _signed_off(world, months="6")
    fire_due_timers(_at(outcome, 3))
    assert _names(world.colleague) == []
    fire_due_timers(_at(outcome, 6))
    complete(world.colleague, task_of(world.colleague, "first_follow_up"), ANSWER)
    assert [f.months for f in follow_up.follow_ups_of(panel.id)] == [6]
    db.session.refresh(instance)
    assert instance.status == InstanceStatus.COMPLETED


def test_an_ern_asking_for_no_follow_up_starts_none(world):
    _panel, _outcome, instance = _signed_off(world, months="")
    assert instance is None


@pytest.mark.parametrize(
    ("text", "months"),
    [("3,6,12", [3, 6, 12]), (" 12, 3 ,6,6", [3, 6, 12]), ("1,2,3,4", [1, 2, 3]), ("6", [6]), ("", []), ("0,x,-2", [])],
)
def test_the_erns_months_are_read_leniently(text, months):
    assert follow_up.months_of(text) == months


def test_months_after_keeps_the_day_and_time_or_takes_the_months_last_day():
    signed = datetime(2027, 1, 31, 9, 30, tzinfo=UTC)
    assert follow_up.months_after(signed, 1) == datetime(2027, 2, 28, 9, 30, tzinfo=UTC)
    assert follow_up.months_after(signed, 3) == datetime(2027, 4, 30, 9, 30, tzinfo=UTC)
    assert follow_up.months_after(signed, 12) == datetime(2028, 1, 31, 9, 30, tzinfo=UTC)
    assert follow_up.months_after(datetime(2027, 11, 30, tzinfo=UTC), 3) == datetime(2028, 2, 29, tzinfo=UTC)


def test_the_task_shows_the_outcome_and_earlier_follow_ups_and_the_panel_lists_them(world, login):
    panel, outcome, _instance = _signed_off(world)
    fire_due_timers(_at(outcome, 3))
    complete(world.colleague, task_of(world.colleague, "first_follow_up"), ANSWER)
    fire_due_timers(_at(outcome, 6))
    page = login(world.colleague).get(f"/tasks/{task_of(world.colleague, 'second_follow_up')}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Treatment B." in html and "After 3 months" in html and "Treatment B was not available" in html
    assert "No further follow-up is needed" in html
    with login(world.brno_clinician).application.test_request_context():
        listed = render_template("panels/_follow_ups.html", follow_ups=follow_up.follow_ups_of(panel.id), panel=panel)
    assert "After 3 months" in listed and "Partly" in listed and "ORPHA:85443" in listed


def test_after_the_patient_moves_the_new_centre_answers_the_follow_up(world):
    """The follow-up is about the patient: when the record moves to Brno, Brno is asked, and Leuven no longer is."""
    panel, outcome, instance = _signed_off(world)
    transfer.request_transfer(world.clinician, panel.patient_id, world.brno.id, "Moves to Brno.", ORIGIN)
    factories.complete(
        world.brno_clinician, factories.task_of(world.brno_clinician, "decide_transfer"), {"decision": "accept", "comment": ""}
    )
    db.session.refresh(instance)
    assert instance.centre_id == world.brno.id
    fire_due_timers(_at(outcome, 3))
    assert "first_follow_up" not in _names(world.colleague)
    assert "first_follow_up" in _names(world.brno_clinician)
