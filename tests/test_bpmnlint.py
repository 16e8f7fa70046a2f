"""The browser modeler's BPMN checks, run in CI with node (installed by `make install`).

- bpmnlint, with the modeler's own configuration (frontend/.bpmnlintrc: bpmnlint's recommended rules and
  Consilium's dialect rules from frontend/bpmnlint-plugin-consilium), passes every shipped BPMN file;
  the same configuration is compiled into the editor bundle, so the browser shows the same problems.
- The modeler's spiffworkflow moddle descriptor keeps every extension element on load and save
  (frontend/roundtrip.mjs), and what it saves still validates as a Consilium definition.
- The built bundle (app/static/vendor/modeler, `make` builds it) needs neither eval nor inline styles.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from engine import validate

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = ROOT / "frontend"
BPMNLINT = ROOT / "node_modules" / "bpmnlint" / "bin" / "bpmnlint.js"
BUNDLE = ROOT / "app" / "static" / "vendor" / "modeler"
SHIPPED = sorted((ROOT / "bpmn").glob("*.bpmn")) + sorted((ROOT / "benchmarks").glob("*.bpmn"))
ENROLMENT = (ROOT / "bpmn" / "enrolment.bpmn").read_text(encoding="utf-8")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CLOSE_PROPERTIES = "</spiffworkflow:properties>"
OPEN_PROPERTIES = "<spiffworkflow:properties>"


def node() -> str:
    path = shutil.which("node")
    if path is None or not BPMNLINT.exists():
        pytest.fail("node and node_modules are needed: run `make install` (npm ci)")
    return path


def bpmnlint(*files: Path) -> subprocess.CompletedProcess[str]:
    """bpmnlint's CLI from node_modules, run where frontend/.bpmnlintrc is found."""
    return subprocess.run(
        [node(), str(BPMNLINT), *map(str, files)],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_shipped_bpmn_files_pass_bpmnlint():
    result = bpmnlint(*SHIPPED)
    output = ANSI.sub("", result.stdout + result.stderr)
    assert result.returncode == 0, output
    assert " error " not in output, output


def _without(text: str, fragment: str) -> str:
    assert fragment in text
    return text.replace(fragment, "")


def _replaced(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


FORM_KEY = '<spiffworkflow:property name="formKey" value="enrolment" />'
OPERATOR = re.search(r"<spiffworkflow:serviceTaskOperator .*?</spiffworkflow:serviceTaskOperator>", ENROLMENT, re.S)

BROKEN = {
    "user task without a form": (_without(ENROLMENT, FORM_KEY), "consilium/user-task-form", "enrol_patient"),
    "service task without a handler": (
        _without(ENROLMENT, OPERATOR.group(0) if OPERATOR else "(missing)"),
        "consilium/service-task-handler",
        "assign_cpms_id_task",
    ),
    "handler named like its task": (
        _replaced(ENROLMENT, 'serviceTaskOperator id="assign_cpms_id"', 'serviceTaskOperator id="assign_cpms_id_task"'),
        "consilium/service-task-handler",
        "assign_cpms_id_task",
    ),
    "handler named like another task": (
        _replaced(ENROLMENT, 'serviceTaskOperator id="assign_cpms_id"', 'serviceTaskOperator id="enrol_patient"'),
        "consilium/no-shared-id",
        "assign_cpms_id_task",
    ),
    "script task": (
        _replaced(_replaced(ENROLMENT, "<bpmn:serviceTask ", "<bpmn:scriptTask "), "</bpmn:serviceTask>", "</bpmn:scriptTask>"),
        "consilium/no-script-task",
        "assign_cpms_id_task",
    ),
    "pre-script": (
        _replaced(
            ENROLMENT, FORM_KEY, FORM_KEY + CLOSE_PROPERTIES + "<spiffworkflow:preScript>x = 1</spiffworkflow:preScript>" + OPEN_PROPERTIES
        ),
        "consilium/no-spiff-script",
        "enrol_patient",
    ),
    "flow node in no lane": (
        _without(ENROLMENT, "<bpmn:flowNodeRef>patient_enrolled</bpmn:flowNodeRef>"),
        "consilium/lane-membership",
        "patient_enrolled",
    ),
    # An element the modeler's descriptor does not know would be dropped on save: an import error.
    "unknown spiffworkflow element": (
        _replaced(
            ENROLMENT,
            FORM_KEY,
            FORM_KEY + CLOSE_PROPERTIES + "<spiffworkflow:somethingNew>1</spiffworkflow:somethingNew>" + OPEN_PROPERTIES,
        ),
        "Import warning: unparsable content <spiffworkflow:somethingNew>",
        "",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN), ids=lambda case: case.replace(" ", "-"))
def test_bpmnlint_reports_dialect_problems(case, tmp_path):
    xml, expected, element_id = BROKEN[case]
    path = tmp_path / "enrolment.bpmn"
    path.write_text(xml, encoding="utf-8")
    result = bpmnlint(path)
    output = ANSI.sub("", result.stdout + result.stderr)
    assert result.returncode == 1, output
    lines = [line for line in output.splitlines() if expected in line]
    assert lines, output
    assert all(" error " in line for line in lines), output
    if element_id:
        assert any(line.split()[0] == element_id for line in lines), output


def test_round_trip_keeps_every_spiffworkflow_element(tmp_path):
    files = [*SHIPPED, *sorted((FRONTEND / "fixtures").glob("*.bpmn"))]
    result = subprocess.run(
        [node(), str(FRONTEND / "roundtrip.mjs"), "--out", str(tmp_path), *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    checked = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("ok ")]
    assert sorted(set(checked)) == sorted(map(str, files)), result.stdout


def test_saved_definitions_still_validate(app, tmp_path):  # the app registers the effect handlers
    """What the modeler writes is still a valid Consilium definition (same checks as `flask bpmn validate`)."""
    from app.accounts.models import PROCESS_ROLES
    from app.tasks.form_definitions import load_form_definitions
    from app.workflows.effects import EFFECT_HANDLERS

    shipped = sorted((ROOT / "bpmn").glob("*.bpmn"))
    subprocess.run(
        [node(), str(FRONTEND / "roundtrip.mjs"), "--out", str(tmp_path), *map(str, shipped)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    forms = load_form_definitions(str(ROOT / "forms")).keys()
    for path in shipped:
        saved = (tmp_path / path.name).read_bytes()
        problems = validate(
            saved,
            known_forms=forms,
            known_handlers=EFFECT_HANDLERS.keys(),
            known_roles=PROCESS_ROLES,
            expected_process_id=path.stem,
        )
        assert problems == [], (path.name, problems)


@pytest.mark.parametrize("name", ["modeler.js", "viewer.js"])
def test_bundle_needs_no_eval_and_no_inline_styles(name):
    bundle = BUNDLE / name
    if not bundle.exists():
        pytest.fail(f"{bundle.relative_to(ROOT)} is missing: run `make {BUNDLE.relative_to(ROOT)}/modeler.js`")
    code = bundle.read_text(encoding="utf-8")
    assert not re.search(r"\beval\(", code)
    assert not re.search(r"new Function\b|[^\w.$]Function\(", code)
    assert not re.search(r"""style=\\?["'][^"']""", code), "style attributes in markup need 'unsafe-inline'"
