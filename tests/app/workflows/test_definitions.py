import pytest
from sqlalchemy import select

from app.database import db
from app.database import transaction
from app.errors import InvalidInput
from app.workflows import store
from app.workflows.models import ProcessDefinition
from app.workflows.services import deploy_definition
from app.workflows.services import deploy_shipped_definitions
from tests import bpmn_builder as bpmn
from tests.factories import DATA


def versions(process_id, ern_id=None):
    query = select(ProcessDefinition.version).where(ProcessDefinition.process_id == process_id)
    query = query.where(ProcessDefinition.ern_id.is_(None) if ern_id is None else ProcessDefinition.ern_id == ern_id)
    return list(db.session.scalars(query.order_by(ProcessDefinition.version)))


def test_shipped_definitions_are_deployed_once_per_content(app, database):
    before = versions("enrolment")
    assert deploy_shipped_definitions(app.config["BPMN_DIR"], app.config["FORMS_DIR"]) == []
    assert versions("enrolment") == before == [1]


def test_a_changed_definition_becomes_a_new_version_and_running_instances_keep_theirs(app, world):
    xml = (DATA / "reminder.bpmn").read_bytes()
    with transaction():
        running, _ = store.start("reminder", subject_type="test", subject_id=None, ern_id=world.ern.id, centre_id=None, data={}, actor=None)
    old_definition = running.definition_id
    changed = xml.replace(b'"P3D"', b'"P5D"')
    row = deploy_definition(changed, "reminder", app.config["FORMS_DIR"], ern_id=None, actor=world.coordinator)
    assert row.version == versions("reminder")[-1] == 2
    assert (row.deployed_by_id, row.checksum != db.session.get(ProcessDefinition, old_definition).checksum) == (world.coordinator.id, True)
    with transaction():
        fresh, _ = store.start("reminder", subject_type="test", subject_id=None, ern_id=world.ern.id, centre_id=None, data={}, actor=None)
    assert fresh.definition_id == row.id
    assert running.definition_id == old_definition


def test_an_ern_version_is_used_for_that_ern_only(app, world):
    xml = (DATA / "reminder.bpmn").read_bytes().replace(b'"P3D"', b'"P1D"')
    ern_row = deploy_definition(xml, "reminder", app.config["FORMS_DIR"], ern_id=world.ern.id, actor=world.coordinator)
    assert ern_row.version == 1 and ern_row.ern_id == world.ern.id
    assert store.current_definition("reminder", world.ern.id).id == ern_row.id
    assert store.current_definition("reminder", world.other_ern.id).ern_id is None


def test_an_invalid_definition_is_refused_at_deployment(app, world):
    with pytest.raises(InvalidInput, match="unsafe condition expression"):
        deploy_definition(bpmn.gateway_process("open('/etc/passwd')"), "checked", app.config["FORMS_DIR"], ern_id=None, actor=None)
    assert versions("checked") == []


def test_an_unsafe_expression_that_reached_the_runtime_fails_the_process_without_running(app, world, tmp_path):
    from datetime import date

    from app.tasks import services as task_services
    from engine import checksum
    from tests import factories

    marker = tmp_path / "pwned"
    xml = bpmn.gateway_process(f"__import__('os').system('touch {marker}') == 0", process_id="slipped")
    # Stored directly, as if validation had been bypassed: the runtime must still refuse.
    db.session.add(ProcessDefinition(process_id="slipped", version=1, checksum=checksum(xml), xml=xml))
    db.session.flush()
    with transaction():
        instance, advance = store.start(
            "slipped", subject_type="test", subject_id=None, ern_id=world.ern.id, centre_id=world.leuven.id, data={}, actor=None
        )
    completed = task_services.complete_task(
        world.clinician, advance.open_tasks[0].task_id, {}, factories.forms(), date(2026, 11, 21), factories.ORIGIN
    )
    assert "not allowed" in completed.failure
    assert instance.status == "failed"
    assert not marker.exists()
