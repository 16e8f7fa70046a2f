"""Validate, preview, import and deploy run one check: what deployment refuses, each of them reports."""

import html

import pytest
from sqlalchemy import func
from sqlalchemy import select

from app.database import db
from app.workflows.models import ProcessDefinition
from tests import bpmn_builder as bpmn
from tests.app.processes.conftest import PROCESSES

ENTRY_POINTS = ("validate", "preview", "import", "deploy")


def post(client, entry_point, xml):
    if entry_point == "preview":
        return client.post(f"{PROCESSES}/reminder/preview", data={"xml": xml.decode()})
    if entry_point == "import":
        return client.post(f"{PROCESSES}/reminder/import", data={"xml": xml.decode()})
    return client.post(f"{PROCESSES}/reminder/edit", data={"xml": xml.decode(), "action": entry_point})


def versions():
    return db.session.scalar(select(func.count(ProcessDefinition.id)).where(ProcessDefinition.process_id == "reminder"))


def with_parameter(expression):
    return bpmn.single_task_process(bpmn.service_task("task", "assign_cpms_id", parameter=expression), process_id="reminder")


def test_a_safe_service_task_parameter_passes_every_entry_point(login, manager):
    client = login(manager)
    pages = {entry_point: post(client, entry_point, with_parameter("patient_id")) for entry_point in ENTRY_POINTS}
    assert "No problems found." in pages["validate"].text and "No problems found." in pages["preview"].text
    assert "Ready to deploy" in pages["import"].text
    assert pages["deploy"].status_code == 302


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("expression", ["eval('1 + 1')", "().__class__.__base__.__subclasses__()", "__import__('os').getcwd()"])
def test_an_unsafe_service_task_parameter_is_reported_by_every_entry_point(login, manager, entry_point, expression):
    client = login(manager)
    before = versions()
    response = post(client, entry_point, with_parameter(expression))
    page = html.unescape(response.text)
    assert "No problems found." not in page and "Ready to deploy" not in page
    assert 'data-element-id="task"' in response.text
    assert f"The parameter 'param' of the service task 'task' cannot be used: '{expression}'" in page
    assert response.status_code == (200 if entry_point == "preview" else 422)
    assert versions() == before


def named(name):
    task = bpmn.user_task("task").replace('name="task"', f'name="{html.escape(name)}"')
    return bpmn.single_task_process(task, process_id="reminder")


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("name", ["<img src=x onerror=alert(1)>", '<meta http-equiv="refresh" content="0;url=https://example.org">'])
def test_markup_in_a_name_is_refused_by_every_entry_point(login, manager, entry_point, name):
    client = login(manager)
    before = versions()
    response = post(client, entry_point, named(name))
    page = html.unescape(response.text)
    assert "No problems found." not in page and "Ready to deploy" not in page
    assert "Names are shown to people as text: remove the markup" in page
    assert name not in response.text  # the report itself shows the name as text
    assert versions() == before


@pytest.mark.parametrize("name", ["Occupation (% of full time)", "Enrol patient (100% checked)", "Age < 18 or %(x)s or %s"])
def test_a_name_with_percent_signs_or_a_lone_angle_bracket_is_deployable(login, manager, name):
    client = login(manager)
    before = versions()
    assert post(client, "deploy", named(name)).status_code == 302
    assert versions() == before + 1
