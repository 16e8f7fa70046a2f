"""Process administration through the browser: who may, the editor contract, import, deploy, hostile files."""

import html
import io
import json

import pytest
from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import Role
from app.database import db
from app.processes import importing
from app.workflows.models import ProcessDefinition
from tests import bpmn_builder as bpmn
from tests import factories
from tests.app.processes.conftest import PROCESSES
from tests.app.processes.conftest import sample
from tests.factories import DATA


def versions(process_id="reminder"):
    return db.session.scalar(select(func.count(ProcessDefinition.id)).where(ProcessDefinition.process_id == process_id))


def shared_version():
    return db.session.scalar(
        select(ProcessDefinition).where(ProcessDefinition.process_id == "reminder", ProcessDefinition.ern_id.is_(None))
    )


def upload(client, xml, name="process.bpmn", **fields):
    return client.post(f"{PROCESSES}/reminder/import", data={"file": (io.BytesIO(xml), name), **fields}, content_type="multipart/form-data")


def text(response):
    return html.unescape(response.text)


def test_managers_and_administrators_administer_processes_and_nobody_else(world, login, manager):
    client = login(manager)
    assert client.get(f"{PROCESSES}/").status_code == 200
    page = client.get(f"{PROCESSES}/reminder")
    assert page.status_code == 200 and "v1 (shared)" in page.text
    assert client.get(f"{PROCESSES}/no_such_process").status_code == 404
    client.post("/logout")
    admin = factories.make_user("admin@consilium.example", [])
    admin.is_admin = True
    assert login(admin).get(f"{PROCESSES}/reminder/edit").status_code == 200
    other = factories.make_user("other-manager@ern.example", [(world.other_ern, None, Role.ERN_MANAGER)])
    login(admin).post("/logout")
    for who in (world.coordinator, other):
        client = login(who)
        assert client.get(f"{PROCESSES}/").status_code == 403
        assert client.post(f"{PROCESSES}/reminder/edit", data={"xml": "x", "action": "deploy"}).status_code == 403
        client.post("/logout")


def test_the_editor_page_keeps_its_contract_with_the_modeler_bundle_and_works_without_it(login, manager):
    response = login(manager).get(f"{PROCESSES}/reminder/edit")
    page = response.text
    for piece in (
        'href="/static/vendor/modeler/modeler.css?v=',
        'src="/static/vendor/modeler/modeler.js?v=',
        '<div id="bpmn-modeler" class="bpmn-canvas"></div>',
        '<div id="bpmn-properties"></div>',
        '<ul id="bpmn-lint" class="list-unstyled" aria-live="polite">',
        '<div id="bpmn-messages" role="status">',
        '<form id="bpmn-form" method="post"',
        'name="xml" rows="24"',
        'value="validate">Validate</button>',
        'value="deploy">Deploy</button>',
    ):
        assert piece in page, piece
    assert 'id="bpmn-xml"' in page and "acknowledge_case" in text(response)  # the version in use, as text
    choices = json.loads(page.split('<script type="application/json" id="bpmn-choices">')[1].split("</script>")[0])
    assert "acknowledge" in choices["forms"] and "assign_cpms_id" in choices["handlers"]
    assert {"key": "panel_lead", "label": "Panel lead"} in choices["roles"]
    assert {"key": "ern_manager", "label": "ERN manager"} in choices["roles"]
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]


def test_validating_shows_each_problem_and_deploying_makes_a_new_ern_version(world, login, manager):
    client = login(manager)
    broken = (DATA / "reminder.bpmn").read_bytes().replace(b'value="acknowledge"', b'value="memo"', 1)
    checked = client.post(f"{PROCESSES}/reminder/edit", data={"xml": broken.decode(), "action": "validate"})
    assert checked.status_code == 422
    assert 'data-element-id="acknowledge_case"' in checked.text and "names the form 'memo', which does not exist" in text(checked)
    assert client.post(f"{PROCESSES}/reminder/edit", data={"xml": broken.decode(), "action": "deploy"}).status_code == 422
    changed = (DATA / "reminder.bpmn").read_bytes().replace(b'"P3D"', b'"P5D"')
    assert client.post(f"{PROCESSES}/reminder/edit", data={"xml": changed.decode(), "action": "validate"}).status_code == 200
    deployed = client.post(f"{PROCESSES}/reminder/edit", data={"xml": changed.decode(), "action": "deploy"})
    assert deployed.status_code == 302
    row = db.session.scalar(select(ProcessDefinition).where(ProcessDefinition.ern_id == world.ern.id))
    assert (row.process_id, row.version, row.deployed_by_id, bytes(row.xml)) == ("reminder", 1, manager.id, changed)
    again = client.post(f"{PROCESSES}/reminder/edit", data={"xml": changed.decode(), "action": "deploy"})
    assert again.status_code == 409 and "nothing to deploy" in again.text
    assert "v1 (EuroBloodNet)" in client.get(f"{PROCESSES}/").text


def test_an_imported_export_is_fixed_in_the_browser_and_deployed(world, login, manager):
    client = login(manager)
    report = upload(client, sample("camunda_export.bpmn"), "second-look.bpmn")
    assert report.status_code == 422
    assert 'data-element-id="Gateway_more"' in report.text and "Put timer values in quotes" in report.text
    xml = text(report).split('name="xml" rows="16" spellcheck="false">')[1].split("</textarea>")[0]
    fixes = ["executable:Process_0x1", "rename", "default_flows", "quote_timers", "drop_data_stores"]
    fixed = client.post(f"{PROCESSES}/reminder/import", data={"xml": xml, "fix": fixes})
    assert fixed.status_code == 200 and "Ready to deploy" in fixed.text and 'value="deploy">Deploy</button>' in fixed.text
    fixed_xml = text(fixed).split('name="xml" rows="16" spellcheck="false">')[1].split("</textarea>")[0]
    assert client.post(f"{PROCESSES}/reminder/edit", data={"xml": fixed_xml, "action": "deploy"}).status_code == 302
    assert versions() == 2


def test_an_upload_without_a_file_or_too_large_is_refused_with_a_reason(login, manager, monkeypatch):
    client = login(manager)
    empty = client.post(f"{PROCESSES}/reminder/import", data={})
    assert empty.status_code == 422 and "Choose a .bpmn file" in empty.text
    monkeypatch.setattr(importing, "MAX_BYTES", len(sample("no_layout.bpmn")) - 1)
    large = upload(client, sample("no_layout.bpmn"))
    assert large.status_code == 422 and "The file is larger than" in large.text


def _run(marker):
    return f"__import__('os').system('touch {marker}')"


def _task(inner="", extension=""):
    return (
        '<bpmn:userTask id="task" name="Task"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="formKey" value="acknowledge" /></spiffworkflow:properties>'
        f"{extension}</bpmn:extensionElements>{inner}</bpmn:userTask>"
    )


SCRIPT_TASK = '<bpmn:scriptTask id="task" name="Run"><bpmn:script>{}</bpmn:script></bpmn:scriptTask>'


def _multi(inner):
    return _task(f"<bpmn:multiInstanceLoopCharacteristics>{inner}</bpmn:multiInstanceLoopCharacteristics>")


HOSTILE = {
    "script task": (
        lambda run: bpmn.single_task_process(SCRIPT_TASK.format(run), "reminder"),
        "task",
        "The script task 'Run' runs a script. Scripts can run any code on the server",
    ),
    "condition": (
        lambda run: bpmn.gateway_process(f"{run} == 0", process_id="reminder"),
        "to_yes",
        "The condition of the sequence flow 'to_yes' cannot be used",
    ),
    "timer": (
        lambda run: bpmn.single_task_process(
            _task(),
            "reminder",
            extra=f'<bpmn:boundaryEvent id="timer" attachedToRef="task"><bpmn:timerEventDefinition id="timer_definition">'
            f"<bpmn:timeDuration>{run}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>",
        ),
        "timer",
        "The timer of the boundary event 'timer' cannot be used",
    ),
    "loop cardinality": (
        lambda run: bpmn.single_task_process(_multi(f"<bpmn:loopCardinality>{run}</bpmn:loopCardinality>"), "reminder"),
        "task",
        "The number of instances of the user task 'Task' (multi-instance) cannot be used",
    ),
    "completion condition": (
        lambda run: bpmn.single_task_process(
            _multi(f"<bpmn:loopCardinality>2</bpmn:loopCardinality><bpmn:completionCondition>{run}</bpmn:completionCondition>"), "reminder"
        ),
        "task",
        "The completion condition of the user task 'Task' (multi-instance) cannot be used",
    ),
    "loop input": (
        lambda run: bpmn.single_task_process(_multi(f"<bpmn:loopDataInputRef>{run}</bpmn:loopDataInputRef>"), "reminder"),
        "task",
        "The collection of the user task 'Task' (multi-instance) must be the name of a task data item",
    ),
    "pre-script": (
        lambda run: bpmn.single_task_process(_task(extension=f"<spiffworkflow:preScript>{run}</spiffworkflow:preScript>"), "reminder"),
        "task",
        "The user task 'Task' has a script that would run before it.",
    ),
    "post-script": (
        lambda run: bpmn.single_task_process(_task(extension=f"<spiffworkflow:postScript>{run}</spiffworkflow:postScript>"), "reminder"),
        "task",
        "The user task 'Task' has a script that would run after it.",
    ),
    "conditional event": (
        lambda run: bpmn.single_task_process(
            _task(),
            "reminder",
            extra=f'<bpmn:intermediateCatchEvent id="wait"><bpmn:conditionalEventDefinition id="wait_condition">'
            f"<bpmn:condition>{run}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>",
        ),
        "wait",
        "The condition of the intermediate catch event 'wait' cannot be used",
    ),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_definition_is_rejected_with_a_clear_reason_and_nothing_runs(login, manager, tmp_path, kind):
    build, element_id, reason = HOSTILE[kind]
    marker = tmp_path / "ran"
    xml = build(_run(marker))
    client = login(manager)
    before = versions()
    imported = upload(client, xml)
    assert imported.status_code == 422
    assert f'data-element-id="{element_id}"' in imported.text and reason in text(imported)
    assert "Traceback" not in imported.text
    deployed = client.post(f"{PROCESSES}/reminder/edit", data={"xml": xml.decode(), "action": "deploy"})
    assert deployed.status_code == 422 and reason in text(deployed)
    assert client.post(f"{PROCESSES}/reminder/preview", data={"xml": xml.decode()}).status_code == 200
    assert versions() == before
    assert not marker.exists()


@pytest.mark.parametrize("name", ["entity_bomb.bpmn", "external_entity.bpmn"])
def test_an_xml_entity_file_is_refused_through_the_browser(login, manager, name):
    client = login(manager)
    response = upload(client, sample(name))
    assert response.status_code == 422 and "declares a DOCTYPE or XML entities" in response.text
    assert 'name="xml"' not in response.text  # the refused text is not echoed back
    deployed = client.post(f"{PROCESSES}/reminder/edit", data={"xml": sample(name).decode(), "action": "deploy"})
    assert deployed.status_code == 422 and versions() == 1


def test_preview_version_and_diff_pages_show_the_diagram_and_the_same_facts_as_a_table(world, login, manager):
    client = login(manager)
    changed = (DATA / "reminder.bpmn").read_bytes().replace(b'"P3D"', b'"P5D"').replace(b'name="Acknowledge case"', b'name="Acknowledge"')
    preview = client.post(f"{PROCESSES}/reminder/preview", data={"xml": changed.decode()})
    assert preview.status_code == 200
    assert '<div id="bpmn-viewer" class="bpmn-canvas" data-xml-source="bpmn-xml"></div>' in preview.text
    assert 'src="/static/vendor/modeler/viewer.js?v=' in preview.text
    row = "<td><code>follow_up</code></td><td>user task</td><td>Follow up unacknowledged case</td><td>Coordinator</td><td>acknowledge</td>"
    assert row in preview.text
    client.post(f"{PROCESSES}/reminder/edit", data={"xml": changed.decode(), "action": "deploy"})
    shared = shared_version()
    assert "Definition as XML" in client.get(f"{PROCESSES}/reminder/versions/{shared.id}").text
    diff = client.get(f"{PROCESSES}/reminder/diff")
    assert diff.status_code == 200
    overlays = json.loads(diff.text.split('<script type="application/json" id="bpmn-overlays">')[1].split("</script>")[0])
    assert overlays == {"acknowledge_case": {"state": "changed", "count": 0}, "three_days": {"state": "changed", "count": 0}}
    assert "name: Acknowledge case → Acknowledge" in text(diff)
    other = db.session.get(ProcessDefinition, shared.id + 10_000)
    assert other is None and client.get(f"{PROCESSES}/reminder/diff?from={shared.id + 10_000}").status_code == 404


def test_rolling_back_deploys_the_earlier_text_as_the_next_version(world, login, manager):
    client = login(manager)
    changed = (DATA / "reminder.bpmn").read_bytes().replace(b'"P3D"', b'"P5D"')
    client.post(f"{PROCESSES}/reminder/edit", data={"xml": changed.decode(), "action": "deploy"})
    shared = shared_version()
    assert client.post(f"{PROCESSES}/reminder/versions/{shared.id}/rollback").status_code == 302
    newest = db.session.scalar(
        select(ProcessDefinition).where(ProcessDefinition.ern_id == world.ern.id).order_by(ProcessDefinition.version.desc()).limit(1)
    )
    assert (newest.version, newest.checksum) == (2, shared.checksum)
    other_erns = factories.make_ern("ERKNet", ("Kidney",))
    foreign = client.post(f"{PROCESSES}/reminder/versions/{newest.id}/rollback".replace("EuroBloodNet", other_erns.code))
    assert foreign.status_code == 403
