"""Bulk migration with a dry run, and the instance inspector, on the real database."""

import html
import json

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.database import db
from app.database import transaction
from app.errors import Conflict
from app.processes import services
from app.tasks.models import OpenTask
from app.workflows import store
from app.workflows.models import InstanceEvent
from app.workflows.models import ProcessDefinition
from tests import factories
from tests.app.processes.conftest import PROCESSES
from tests.factories import DATA

XML = (DATA / "reminder.bpmn").read_bytes()


def start(world, ern=None):
    with transaction():
        instance, _ = store.start(
            "reminder",
            subject_type="test",
            subject_id=None,
            ern_id=(ern or world.ern).id,
            centre_id=world.leuven.id,
            data={"case_id": 12, "decision": "approve"},
            actor=world.clinician,
        )
    return instance


def open_tasks(instance):
    return list(db.session.scalars(select(OpenTask).where(OpenTask.instance_id == instance.id)))


@pytest.fixture
def relabelled(app, world, manager):
    """Two running cases on the shared version, then an ERN version that relabels the ready task."""
    cases = [start(world), start(world)]
    changed = XML.replace(b'name="Acknowledge case"', b'name="Acknowledge the case"')
    target = services.deploy(manager, world.ern.id, "reminder", changed, app.config["FORMS_DIR"])
    return cases, target


def test_the_dry_run_lists_each_case_and_migrating_moves_them_in_one_audited_step(world, login, manager, relabelled):
    cases, target = relabelled
    source = cases[0].definition_id
    task_ids = [open_tasks(case)[0].engine_task_id for case in cases]
    client = login(manager)
    assert "v1 (shared): 2" in client.get(f"{PROCESSES}/").text
    dry = client.get(f"{PROCESSES}/reminder/migration?from={source}&to={target.id}&status=running")
    assert dry.status_code == 200
    assert html.unescape(dry.text).count("can move; reset: Acknowledge case") == 2
    moved = client.post(f"{PROCESSES}/reminder/migration", data={"to": target.id, "instance": [case.id for case in cases]})
    assert moved.status_code == 302
    for case, task_id in zip(cases, task_ids, strict=True):
        db.session.refresh(case)
        assert case.definition_id == target.id
        [row] = open_tasks(case)
        assert (row.engine_task_id, row.label) == (task_id, "Acknowledge the case")  # same task, new label, same age
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "process.migrated")).all()
    assert sorted(int(entry.target_id) for entry in entries) == sorted(case.id for case in cases)
    assert entries[0].details["reset"] == ["Acknowledge case"] and entries[0].actor_id == manager.id
    logged = db.session.scalar(select(InstanceEvent).where(InstanceEvent.instance_id == cases[0].id, InstanceEvent.kind == "migration"))
    assert logged.label == "Moved to the ERN's version 1"
    completed = factories.complete(world.clinician, task_ids[0], {"comment": "seen"})
    assert completed.failure in (None, "")
    db.session.refresh(cases[0])
    assert cases[0].status == "completed"


def test_migration_is_all_or_nothing_and_says_which_case_cannot_move(app, world, login, manager):
    movable, stuck = start(world), start(world)
    stuck_task = open_tasks(stuck)[0].engine_task_id
    factories.complete(world.clinician, stuck_task, {"comment": "done"})  # stuck has finished 'Acknowledge case'
    renamed = XML.replace(b"acknowledge_case", b"confirm_case")
    target = services.deploy(manager, world.ern.id, "reminder", renamed, app.config["FORMS_DIR"])
    candidates = services.dry_run(manager, world.ern.id, "reminder", movable.definition_id, target.id, "running")
    assert [(c.instance.id, c.migratable) for c in candidates] == [(movable.id, False)]  # the finished case is not running
    assert candidates[0].reasons == ("the step 'Acknowledge case' is ready but is not in the new version",)
    with pytest.raises(Conflict, match=f"case {movable.id}: the step 'Acknowledge case' is ready"):
        services.migrate(manager, world.ern.id, "reminder", target.id, [movable.id], factories.ORIGIN)
    db.session.refresh(movable)
    assert movable.definition_id != target.id
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "process.migrated")) is None
    page = login(manager).post(f"{PROCESSES}/reminder/migration", data={"to": target.id, "instance": [movable.id]}, follow_redirects=True)
    assert "No case was migrated" in html.unescape(page.text)


def test_cases_of_another_ern_are_out_of_reach(app, world, login, manager):
    foreign = start(world, ern=world.other_ern)
    client = login(manager)
    assert client.get(f"{PROCESSES}/instances/{foreign.id}").status_code == 404
    shared = foreign.definition_id
    response = client.post(f"{PROCESSES}/reminder/migration", data={"to": shared, "instance": [foreign.id]})
    assert response.status_code == 404


def test_the_inspector_marks_the_diagram_and_lists_log_timers_and_data_keys(world, login, manager):
    case = start(world)
    page = login(manager).get(f"{PROCESSES}/instances/{case.id}")
    assert page.status_code == 200
    overlays = json.loads(page.text.split('<script type="application/json" id="bpmn-overlays">')[1].split("</script>")[0])
    assert overlays == {
        "acknowledge_case": {"state": "active", "count": 0},
        "start": {"state": "completed", "count": 1},
        "three_days": {"state": "waiting", "count": 0},
    }
    body = html.unescape(page.text)
    assert "<td><code>three_days</code></td><td>3 days</td><td>waiting</td><td>0</td>" in body  # the same facts as a table
    assert "3 days (<code>three_days</code>)" in body  # its due timer
    # Keys are listed; ids stay hidden, a routing value the definition does not name is hidden too.
    assert '<dt class="col-6"><code>case_id</code></dt><dd class="col-6">(not shown)</dd>' in body
    assert '<dt class="col-6"><code>decision</code></dt><dd class="col-6">(not shown)</dd>' in body


def test_a_routing_value_the_definition_names_is_shown(app, world, manager):
    named = b'<bpmn:endEvent id="done"><bpmn:documentation>decision == "approve"</bpmn:documentation></bpmn:endEvent>'
    gateway = XML.replace(b'<bpmn:endEvent id="done" />', named)
    services.deploy(manager, world.ern.id, "reminder", gateway, app.config["FORMS_DIR"])
    case = start(world)
    found = services.inspect(manager, world.ern.id, case.id)
    assert {item.key: item.value for item in found.data} == {"case_id": None, "decision": "approve", "instance_id": None}
    assert db.session.get(ProcessDefinition, case.definition_id).ern_id == world.ern.id
