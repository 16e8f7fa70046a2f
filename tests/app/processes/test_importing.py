"""The import check: each problem with its element id and a plain reason, safe fixes, refusals; never a traceback."""

import time

import pytest
from lxml import etree

from app.processes import elements
from app.processes import importing
from app.processes import services
from tests import bpmn_builder as bpmn
from tests.app.processes.conftest import sample
from tests.factories import DATA

BPMN = {"bpmn": importing.BPMN, "bpmndi": importing.BPMNDI}


@pytest.fixture
def check(app, world):
    return lambda xml, process_id="reminder": services.check(xml, process_id, app.config["FORMS_DIR"], world.ern.id)


def by_element(report):
    return {(finding.element_id, finding.fix) for finding in report.problems}


def test_a_camunda_export_is_reported_element_by_element_and_the_safe_fixes_make_it_deployable(check):
    report = check(sample("camunda_export.bpmn"))
    assert by_element(report) == {
        ("(file)", "executable:"),
        ("(file)", "rename"),
        ("three_days", "quote_timers"),
        ("Gateway_more", "default_flows"),
        ("DataStore_registry", "drop_data_stores"),
        ("DataStoreReference_1", "drop_data_stores"),
    }
    assert [fix.key for fix in report.fixes] == ["executable:Process_0x1", "rename", "default_flows", "quote_timers", "drop_data_stores"]
    timer = next(f for f in report.problems if f.element_id == "three_days")
    assert timer.message == "The timer of the boundary event '3 days', P3D, must be in quotes (\"P3D\") to be read as a date or duration."

    fixed = importing.apply_fixes(sample("camunda_export.bpmn"), [fix.key for fix in report.fixes], "reminder")
    again = check(fixed)
    assert not again.blocking, again.problems
    root = etree.fromstring(fixed)
    [process] = root.findall("bpmn:process", BPMN)
    assert (process.get("id"), process.get("isExecutable")) == ("reminder", "true")
    assert root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", BPMN).get("bpmnElement") == "reminder"
    assert root.find(".//bpmn:exclusiveGateway", BPMN).get("default") == "Flow_done"
    assert root.find(".//bpmn:timeDuration", BPMN).text == '"P3D"'
    assert b"DataStore" not in fixed and b"DataOutputAssociation" not in fixed


def test_a_file_without_layout_is_deployable_with_a_note(check):
    report = check(sample("no_layout.bpmn"))
    assert not report.blocking
    assert [note.message for note in report.notes] == [
        "The file has no diagram layout: the editor lays it out when you open it.",
        "The version in use has the user task 'Follow up unacknowledged case', which this definition does not have: "
        "parts of Consilium may rely on it.",
    ]


def test_with_two_pools_the_manager_chooses_the_process_that_runs(check):
    report = check(sample("two_pools.bpmn"))
    assert [fix.key for fix in report.fixes] == ["executable:sid-process-hospital", "executable:sid-process-lab", "rename"]
    assert [fix.exclusive for fix in report.fixes] == [True, True, False]
    fixed = importing.apply_fixes(sample("two_pools.bpmn"), ["executable:sid-process-hospital", "rename"], "reminder")
    assert not check(fixed).blocking
    root = etree.fromstring(fixed)
    executable = {p.get("id"): p.get("isExecutable") for p in root.findall("bpmn:process", BPMN)}
    assert executable == {"reminder": "true", "sid-process-lab": "false"}
    assert root.find(".//bpmn:participant[@name='Hospital']", BPMN).get("processRef") == "reminder"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("entity_bomb.bpmn", "declares a DOCTYPE or XML entities"),
        ("external_entity.bpmn", "declares a DOCTYPE or XML entities"),
    ],
)
def test_entities_are_refused_at_once(check, name, message):
    started = time.perf_counter()
    report = check(sample(name))
    assert time.perf_counter() - started < 1
    assert not report.readable and message in report.findings[0].message
    assert "root:" not in report.findings[0].message  # nothing of /etc/passwd


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (b"", "The file is empty."),
        (b"<bpmn:definitions", "The file is not well-formed XML"),
        (b"<html><body>hello</body></html>", "This is not a BPMN 2.0 file: its root element is html"),
        (b'<!DOCTYPE d SYSTEM "http://example.org/d.dtd"><bpmn:definitions xmlns:bpmn="' + importing.BPMN.encode() + b'"/>', "DOCTYPE"),
        (b"<x/>" + b" " * importing.MAX_BYTES, "larger than 2 MB"),
    ],
)
def test_what_is_not_a_bpmn_file_is_refused_with_a_reason(check, xml, message):
    report = check(xml)
    assert not report.readable and report.blocking and message in report.findings[0].message


def test_a_file_in_another_encoding_is_shown_as_text_that_posts_back_as_utf8(check):
    latin = (
        sample("no_layout.bpmn")
        .replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
        .replace(b"Acknowledge case", "Accusé de réception".encode("latin-1"))
    )
    text = importing.as_text(latin)
    assert "Accusé de réception" in text and "ISO-8859-1" not in text
    assert not check(text.encode()).blocking


def test_the_checks_of_deployment_come_in_plain_words(check):
    xml = bpmn.gateway_process('decision == "yes"', process_id="reminder", lane="Bigwigs")
    xml = xml.replace(b'value="acknowledge"', b'value="memo"', 1)
    report = check(xml)
    messages = {finding.element_id: finding.message for finding in report.problems}
    assert messages["lane"].startswith("The lane 'Bigwigs' does not name a role. Rename it to one of: Administrator, Assistant, Clinician")
    assert messages["first"].startswith("The user task 'first' names the form 'memo', which does not exist. Choose one of: account_review")


def test_the_diff_names_added_removed_and_changed_elements():
    old = (DATA / "reminder.bpmn").read_bytes()
    new = old.replace(b'"P3D"', b'"P5D"').replace(b'name="Acknowledge case"', b'name="Acknowledge the case"')
    new = new.replace(b'<bpmn:endEvent id="followed_up" />', b'<bpmn:endEvent id="closed" />')
    new = new.replace(b'targetRef="followed_up"', b'targetRef="closed"')
    new = new.replace(b"<bpmn:flowNodeRef>followed_up</bpmn:flowNodeRef>", b"<bpmn:flowNodeRef>closed</bpmn:flowNodeRef>")
    diff = elements.diff(old, new)
    assert [c.element.element_id for c in diff.added] == ["closed"]
    assert [c.element.element_id for c in diff.removed] == ["followed_up"]
    changed = {c.element.element_id: c.what for c in diff.changed}
    assert changed["three_days"] == ('timerEventDefinition/timeDuration: "P3D" → "P5D"',)
    assert changed["acknowledge_case"] == ("name: Acknowledge case → Acknowledge the case",)
    assert changed["f4"] == ("targetRef: followed_up → closed",)
    assert changed["lane_coordinator"] == ("flowNodeRef: follow_up, followed_up, three_days → closed, follow_up, three_days",)
    assert elements.diff(old, old).same
