"""What happens to a panel outside its tasks reaches its process as a BPMN signal, so that the diagram, the
instance log and the timeline agree; running cases of an earlier shipped version move on with `flask bpmn migrate`."""

import re
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

import engine
from app.audit.models import AuditEntry
from app.database import db
from app.panels import services
from app.panels.models import Panel
from app.panels.models import TimelineEntry
from app.tasks.models import OpenTask
from app.workflows import store
from app.workflows.models import InstanceEvent
from app.workflows.models import ProcessDefinition
from app.workflows.models import ProcessInstance
from tests import factories
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of

SHIPPED = (Path(__file__).resolve().parents[3] / "bpmn" / "panel.bpmn").read_bytes()


@pytest.fixture(autouse=True)
def parsed_definitions_forgotten_after_each_test():
    """The versions these tests deploy are rolled back, and a later test's get the same row ids: the parsed
    definitions cached for them must not answer for those."""
    yield
    store._DEFINITIONS.clear()


def panel_with_a_member(world):
    """A panel of Leuven whose lead invited Brno's expert, who accepted."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    for user in (world.clinician, world.brno_clinician):
        factories.give_areas(user, world.ern)
    panel = db.session.get(Panel, factories.open_panel(world.clinician, patient))
    services.invite_experts(world.clinician, panel.id, [world.brno_clinician.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    return panel


@pytest.fixture
def case(world):
    return panel_with_a_member(world)


def panel_process(panel):
    return db.session.scalar(select(ProcessInstance).where(ProcessInstance.process_id == "panel", ProcessInstance.subject_id == panel.id))


def signals(instance):
    query = select(InstanceEvent).where(InstanceEvent.instance_id == instance.id, InstanceEvent.kind == "signal")
    return [(event.task_name, event.actor_id) for event in db.session.scalars(query.order_by(InstanceEvent.id))]


def deploy_shared(xml: bytes) -> ProcessDefinition:
    newest = db.session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_id == "panel"))
    row = ProcessDefinition(process_id="panel", version=newest + 1, checksum=engine.checksum(xml), xml=xml)
    db.session.add(row)
    db.session.commit()
    return row


def without_course_events(xml: bytes) -> bytes:
    """The panel process as shipped before it modelled the events (no signals, no event subprocesses)."""
    text = xml.decode()
    for pattern in (
        r"\s*<bpmn:signal [^>]*/>",
        r"\s*<bpmn:subProcess .*?</bpmn:subProcess>",
        r"\s*<bpmn:flowNodeRef>on_[a-z_]+</bpmn:flowNodeRef>",
    ):
        text = re.sub(pattern, "", text, flags=re.S)
    # and the diagram's shapes of what is gone
    kept = set(re.findall(r'<bpmn:\w+ id="([^"]+)"', text))
    shapes = r'\s*<bpmndi:BPMN(Shape|Edge) id="[^"]+" bpmnElement="([^"]+)".*?</bpmndi:BPMN\1>'
    text = re.sub(shapes, lambda shape: shape[0] if shape[2] in kept else "", text, flags=re.S)
    assert "<bpmn:signal" not in text and "triggeredByEvent" not in text
    return text.encode()


def test_invitations_a_hand_over_contributions_and_reminders_are_events_of_the_panel_process(case, world):
    services.hand_over_lead(world.clinician, case.id, world.brno_clinician.id, ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "record_contribution"), {"text": "Try B.", "hours": "1", "minutes": "0"})
    services.request_contributions(world.brno_clinician, case.id, ORIGIN)
    instance = panel_process(case)
    assert signals(instance) == [
        ("experts_invited", world.clinician.id),
        ("lead_handed_over", world.clinician.id),
        ("contribution_recorded", world.brno_clinician.id),
        ("contributions_requested", world.brno_clinician.id),
    ]
    logged = [event.label for event in db.session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance.id))]
    for label in ("Experts invited", "Lead handed over", "Contribution recorded", "Contributions requested"):
        assert label in logged
    timeline = [entry.kind for entry in db.session.scalars(select(TimelineEntry).where(TimelineEntry.panel_id == case.id))]
    assert {"invitation", "lead", "contribution", "reminder"} <= set(timeline)
    assert instance.status == "running" and task_of(world.brno_clinician, "select_experts")  # the course goes on


def test_cases_on_the_earlier_version_ignore_the_events_until_migrate_moves_them(app, world):
    earlier = deploy_shared(without_course_events(SHIPPED))
    panel = panel_with_a_member(world)
    instance = panel_process(panel)
    assert instance.definition_id == earlier.id
    services.hand_over_lead(world.clinician, panel.id, world.brno_clinician.id, ORIGIN)
    assert signals(instance) == []  # nothing in that version listens: the hand-over itself happened
    newest = deploy_shared(SHIPPED)

    runner = app.test_cli_runner()
    dry = runner.invoke(args=["bpmn", "migrate", "panel", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"instance {instance.id} (panel {panel.id}): can move" in dry.output
    assert f"dry run: 1 of 1 running instance(s) can move to panel version {newest.version}" in dry.output
    db.session.refresh(instance)
    assert instance.definition_id == earlier.id

    moved = runner.invoke(args=["bpmn", "migrate", "panel"])
    assert f"moved 1 of 1 running instance(s) to panel version {newest.version}" in moved.output
    db.session.refresh(instance)
    assert instance.definition_id == newest.id
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "process.migrated", AuditEntry.target_id == str(instance.id)))
    services.hand_over_lead(world.brno_clinician, panel.id, world.clinician.id, ORIGIN)
    assert signals(instance) == [("lead_handed_over", world.brno_clinician.id)]
    assert task_of(world.clinician, "select_experts")  # the lead's task followed the hand-over back


def test_closing_early_is_the_process_ending_through_its_close_requested_event(case, world):
    services.close_now(world.clinician, case.id, "duplicate", "", ORIGIN)
    instance = panel_process(case)
    assert signals(instance) == [("experts_invited", world.clinician.id), ("close_requested", world.clinician.id)]
    assert instance.status == "completed"  # ended by its own interrupting event subprocess, not cancelled from outside
    logged = [event.label for event in db.session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance.id))]
    assert "Close now" in logged and "Panel closed early" in logged
    assert case.closed and case.phase == "closed"
    invitation = db.session.scalar(select(ProcessInstance).where(ProcessInstance.process_id == "invitation"))
    assert invitation.status == "cancelled"
    assert db.session.scalar(select(func.count()).select_from(OpenTask).where(OpenTask.subject_id == case.id)) == 0


def test_a_case_on_a_version_without_the_event_is_closed_from_outside(world):
    deploy_shared(without_course_events(SHIPPED))
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel = db.session.get(Panel, factories.open_panel(world.clinician, patient))
    services.close_now(world.clinician, panel.id, "duplicate", "", ORIGIN)
    assert panel.closed and panel_process(panel).status == "cancelled"
