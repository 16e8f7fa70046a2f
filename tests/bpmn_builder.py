"""Small BPMN documents for tests of validation and of what the engine refuses to run."""

from __future__ import annotations

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="defs" targetNamespace="http://consilium.eu/test">"""


def user_task(task_id: str, form: str = "acknowledge") -> str:
    return (
        f'<bpmn:userTask id="{task_id}" name="{task_id}"><bpmn:extensionElements><spiffworkflow:properties>'
        f'<spiffworkflow:property name="formKey" value="{form}" /></spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>'
    )


def service_task(task_id: str, handler: str, parameter: str = "patient_id") -> str:
    return (
        f'<bpmn:serviceTask id="{task_id}" name="{task_id}"><bpmn:extensionElements>'
        f'<spiffworkflow:serviceTaskOperator id="{handler}" resultVariable=""><spiffworkflow:parameters>'
        f'<spiffworkflow:parameter id="param" type="str" value="{_escape(parameter)}" />'
        f"</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>"
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def gateway_process(condition: str, process_id: str = "checked", lane: str = "Clinician") -> bytes:
    """start → first (user) → gateway: [condition] → yes (user) | default → no (user) → end."""
    body = f"""
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane" name="{lane}">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>first</bpmn:flowNodeRef><bpmn:flowNodeRef>gateway</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>yes</bpmn:flowNodeRef><bpmn:flowNodeRef>no</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first" />
    {user_task("first")}
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="gateway" />
    <bpmn:exclusiveGateway id="gateway" default="to_no" />
    <bpmn:sequenceFlow id="to_yes" sourceRef="gateway" targetRef="yes">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{_escape(condition)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_no" sourceRef="gateway" targetRef="no" />
    {user_task("yes")}
    {user_task("no")}
    <bpmn:sequenceFlow id="f3" sourceRef="yes" targetRef="end" />
    <bpmn:sequenceFlow id="f4" sourceRef="no" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>"""
    return (HEADER + body + "\n</bpmn:definitions>\n").encode()


def single_task_process(task_xml: str, process_id: str = "single", extra: str = "") -> bytes:
    """start → the given task (id 'task') → end, all in a Clinician lane."""
    body = f"""
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane" name="Clinician">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>task</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task" />
    {task_xml}
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end" />
    <bpmn:endEvent id="end" />
    {extra}
  </bpmn:process>"""
    return (HEADER + body + "\n</bpmn:definitions>\n").encode()


def timers_in_a_row(process_id: str = "timers") -> bytes:
    """start → a subprocess (a timer at ``first_at``, a service task, a timer at ``then_at``) → a user task → end: the
    second timer is FUTURE, after a FUTURE task, while the first waits; both instants come from the task data."""
    timer = (
        '<bpmn:intermediateCatchEvent id="{id}"><bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">'
        "{at}</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    body = f"""
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:subProcess id="wait">
      <bpmn:startEvent id="wait_start" />
      <bpmn:sequenceFlow id="w1" sourceRef="wait_start" targetRef="first" />
      {timer.format(id="first", at="first_at")}
      <bpmn:sequenceFlow id="w2" sourceRef="first" targetRef="between" />
      {service_task("between", "note_first", "first_at")}
      <bpmn:sequenceFlow id="w4" sourceRef="between" targetRef="then" />
      {timer.format(id="then", at="then_at")}
      <bpmn:sequenceFlow id="w3" sourceRef="then" targetRef="wait_end" />
      <bpmn:endEvent id="wait_end" />
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="task" />
    {user_task("task")}
    <bpmn:sequenceFlow id="f4" sourceRef="task" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>"""
    return (HEADER + body + "\n</bpmn:definitions>\n").encode()
