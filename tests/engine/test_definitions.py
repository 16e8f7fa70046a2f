from pathlib import Path

import pytest

from engine import DefinitionError
from engine import Problem
from engine import parse
from engine import validate
from tests import bpmn_builder as bpmn

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parents[2]
KNOWN = {
    "known_forms": {path.stem for path in (ROOT / "forms").glob("*.json")},
    "known_handlers": {
        "assign_cpms_id",
        "create_account",
        "notify_rejection",
        "remind_coordinators",
        "set_panel_phase",
        "notify_panel",
        "sign_outcome",
        "finish_panel",
        "notify_invitation",
        "remind_invitee",
        "expire_invitation",
        "notify_data_request",
        "notify_data_provided",
        "transfer_patient",
        "decline_transfer",
        "send_meeting_invitations",
        "remind_meeting",
        "send_meeting_update",
        "cancel_meeting",
        "prepare_minutes",
        "notify_follow_up_due",
    },
    "known_roles": {"clinician", "coordinator", "system", "panel_lead", "panel_member", "invitee"},
}


def problems_of(xml: bytes, **overrides):
    return validate(xml, **{**KNOWN, **overrides})


@pytest.mark.parametrize("path", sorted((ROOT / "bpmn").glob("*.bpmn")), ids=lambda p: p.name)
def test_shipped_definitions_are_valid(path):
    assert problems_of(path.read_bytes(), expected_process_id=path.stem) == []


def test_valid_gateway_process_has_no_problem():
    assert problems_of(bpmn.gateway_process('decision == "yes"')) == []


@pytest.mark.parametrize(
    "condition",
    ["__import__('os').system('touch /tmp/pwned')", "open('/etc/passwd')", "().__class__.__bases__"],
)
def test_unsafe_condition_is_reported_with_its_flow_id(condition):
    problems = problems_of(bpmn.gateway_process(condition))
    assert len(problems) == 1
    assert problems[0].element_id == "to_yes"
    assert "unsafe condition expression" in problems[0].message


def test_unknown_form_is_reported():
    xml = bpmn.single_task_process(bpmn.user_task("task", form="no_such_form"))
    assert problems_of(xml) == [Problem("task", "unknown form 'no_such_form' (no forms/no_such_form.json)")]


def test_user_task_without_form_is_reported():
    xml = bpmn.single_task_process('<bpmn:userTask id="task" name="Task" />')
    assert [p.element_id for p in problems_of(xml)] == ["task"]


def test_unknown_handler_is_reported():
    xml = bpmn.single_task_process(bpmn.service_task("task", "send_bitcoin"))
    assert problems_of(xml) == [Problem("task", "unknown handler 'send_bitcoin'")]


def test_unsafe_service_parameter_is_reported():
    xml = bpmn.single_task_process(bpmn.service_task("task", "assign_cpms_id", parameter="open('/etc/passwd')"))
    problems = problems_of(xml)
    assert [p.element_id for p in problems] == ["task"]
    assert "unsafe parameter expression" in problems[0].message


def test_script_task_is_reported():
    xml = bpmn.single_task_process('<bpmn:scriptTask id="task" name="Run"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>')
    problems = problems_of(xml)
    assert problems[0].element_id == "task"
    assert "script tasks are not allowed" in problems[0].message


def test_spiff_pre_script_is_reported():
    task = (
        '<bpmn:userTask id="task" name="Task"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="formKey" value="acknowledge" /></spiffworkflow:properties>'
        "<spiffworkflow:preScript>import os</spiffworkflow:preScript></bpmn:extensionElements></bpmn:userTask>"
    )
    problems = problems_of(bpmn.single_task_process(task))
    assert any(p.element_id == "task" and "preScript" in p.message for p in problems)


def test_lane_naming_no_role_is_reported():
    problems = problems_of(bpmn.gateway_process('decision == "yes"', lane="Janitor"))
    assert problems == [Problem("lane", "lane 'Janitor' names no known role")]


def test_unquoted_timer_is_reported():
    timer = (
        '<bpmn:boundaryEvent id="late" attachedToRef="task"><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P3D</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    )
    problems = problems_of(bpmn.single_task_process(bpmn.user_task("task"), extra=timer))
    assert any(p.element_id == "late" and "must be quoted" in p.message for p in problems)


def test_broken_xml_is_reported_with_its_line():
    problems = problems_of(b"<bpmn:definitions><unclosed>")
    assert problems[0].element_id == "(file)"
    assert "does not parse" in problems[0].message


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xml = (
        bpmn.gateway_process('decision == "yes"')
        .replace(
            b'<?xml version="1.0" encoding="UTF-8"?>',
            f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode(),
        )
        .replace(b'name="first"', b'name="&xxe;"')
    )
    problems = validate(xml, **KNOWN)
    assert problems and problems[0].element_id == "(file)"
    assert all("TOPSECRET" not in p.message for p in problems)
    with pytest.raises(DefinitionError) as refused:
        parse(xml, "checked", version=1)
    assert "TOPSECRET" not in str(refused.value)


def test_expected_process_id_must_match_file_name():
    problems = problems_of(bpmn.gateway_process('decision == "yes"'), expected_process_id="enrolment")
    assert problems[0].element_id == "(file)"
    assert "enrolment" in problems[0].message


def test_parsed_definition_knows_each_user_task_form_and_role():
    definition = parse((ROOT / "bpmn" / "enrolment.bpmn").read_bytes(), "enrolment", version=1)
    task = definition.user_tasks["enrol_patient"]
    assert (task.label, task.form_key, task.role) == ("Enrol patient", "enrolment", "clinician")


def test_unsafe_correlation_expression_is_reported():
    xml = (ROOT / "tests" / "data" / "correlated.bpmn").read_text().replace("EXPRESSION", "__import__('os').system('id')").encode()
    problems = problems_of(xml)
    assert any(p.element_id == "case" and "unsafe message expression" in p.message for p in problems)


def test_timers_are_not_evaluated_at_validation_unless_constant():
    timer = (
        '<bpmn:boundaryEvent id="late" attachedToRef="task"><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P3D" if min(delays) else "P1D"</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    )
    assert problems_of(bpmn.single_task_process(bpmn.user_task("task"), extra=timer)) == []


def test_a_handler_named_like_a_task_is_refused_before_it_replaces_the_task():
    xml = (
        (ROOT / "bpmn" / "enrolment.bpmn")
        .read_bytes()
        .replace(b'serviceTaskOperator id="assign_cpms_id"', b'serviceTaskOperator id="enrol_patient"')
    )
    problems = problems_of(xml, known_handlers={"enrol_patient"})
    assert Problem("enrol_patient", "the id 'enrol_patient' is used by more than one element; rename one") in problems


def test_unsafe_loop_condition_is_reported_with_its_task_id():
    condition = "<bpmn:loopCondition>().__class__.__subclasses__()</bpmn:loopCondition>"
    loop = f"<bpmn:standardLoopCharacteristics>{condition}</bpmn:standardLoopCharacteristics>"
    task = bpmn.user_task("task").replace("</bpmn:userTask>", f"{loop}</bpmn:userTask>")
    problems = problems_of(bpmn.single_task_process(task))
    assert [p.element_id for p in problems] == ["task"]
    assert "unsafe condition expression" in problems[0].message
