"""Process definitions: validate BPMN, parse it into specs, cache parsed specs by (process id, version)."""

from __future__ import annotations

import ast
import hashlib
import re
import threading
from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine import expressions
from engine.errors import DefinitionError
from engine.errors import Problem
from engine.errors import UnsafeExpression
from engine.parser import ConsiliumParser
from engine.parser import parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}
FORM_KEY = "formKey"

_CODE_ELEMENTS = {
    "scriptTask": "script tasks are not allowed: use a service task that names a registered handler",
}
_SPIFF_SCRIPTS = ("preScript", "postScript", "script")
_TIMER_TAGS = ("timeDuration", "timeDate", "timeCycle")
# Every element whose text (a parameter: its value) the evaluator runs, and what kind of expression it is.
EXPRESSION_TAGS = {
    **{
        f"{{{BPMN}}}{tag}": "condition"
        for tag in ("conditionExpression", "condition", "completionCondition", "loopCardinality", "loopCondition")
    },
    **{f"{{{BPMN}}}{tag}": "message" for tag in ("formalExpression", "messagePath", "dataPath")},
    **{f"{{{SPIFF}}}{tag}": "message" for tag in ("messagePayload", "messageVariable", "calledDecisionId")},
    f"{{{SPIFF}}}parameter": "parameter",
    **{f"{{{BPMN}}}{tag}": "timer" for tag in _TIMER_TAGS},
}
_LOOKS_LIKE_ISO = re.compile(r"^(P\w+|R\d*/\S+|\d{4}-\S+)$")


@dataclass(frozen=True)
class UserTaskInfo:
    """What the application needs to know about one user task of a definition."""

    name: str
    label: str
    form_key: str
    role: str


@dataclass(frozen=True)
class Definition:
    """A parsed, validated process definition at one version."""

    process_id: str
    version: int
    checksum: str
    spec: Any
    subprocess_specs: dict[str, Any]
    user_tasks: dict[str, UserTaskInfo]
    # Start events of event subprocesses that interrupt the case (BPMN's default, isInterrupting="true").
    interrupting_starts: frozenset[str] = frozenset()


def checksum(xml: bytes) -> str:
    """The content hash that identifies a definition's text."""
    return hashlib.sha256(xml).hexdigest()


def role_key(lane_name: str | None) -> str:
    """The role a lane names: 'Panel lead' → 'panel_lead'."""
    return re.sub(r"[^a-z0-9]+", "_", (lane_name or "").strip().lower()).strip("_")


def validate(
    xml: bytes,
    *,
    known_forms: Collection[str],
    known_handlers: Collection[str],
    known_roles: Collection[str],
    expected_process_id: str | None = None,
) -> list[Problem]:
    """Every problem that keeps a definition from being deployed, each tied to its element id."""
    try:
        tree = parse_xml(xml)
    except etree.XMLSyntaxError as error:
        return [Problem("(file)", f"the XML does not parse: {error.msg} (line {error.lineno})")]
    root = tree.getroot()
    processes = root.findall("bpmn:process", NS)
    if not processes:
        return [Problem("(file)", "no bpmn:process element")]
    problems: list[Problem] = []
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    if len(executable) != 1:
        problems.append(Problem("(file)", f"expected exactly one executable process, found {len(executable)}"))
    if expected_process_id and all(p.get("id") != expected_process_id for p in processes):
        problems.append(Problem("(file)", f"no process with id '{expected_process_id}' (the file name names the process)"))
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        problems.extend(_element_problems(element, known_forms, known_handlers, known_roles))
    for element, kind, expression in expression_sites(root):
        check = _timer_problems if kind == "timer" else _expression_problems
        problems.extend(check(_owner_id(element), expression, kind))
    problems.extend(_shared_id_problems(root))
    if not problems:
        problems.extend(_parser_problems(xml, executable[0].get("id", "")))
    return problems


def _shared_id_problems(root: etree._Element) -> list[Problem]:
    """SpiffWorkflow indexes every element by id and the last one wins: a handler or parameter named
    like a task silently replaces that task. BPMN ids must be unique and unused by extension elements
    (handlers and parameters may repeat among themselves)."""
    bpmn_ids: list[str] = [e.get("id") for e in root.iter(f"{{{BPMN}}}*") if e.get("id")]
    extension_ids = {e.get("id") for e in root.iter(f"{{{SPIFF}}}*") if e.get("id")}
    problems, seen = [], set()
    for element_id in bpmn_ids:
        if element_id in seen or element_id in extension_ids:
            problems.append(Problem(element_id, f"the id '{element_id}' is used by more than one element; rename one"))
        seen.add(element_id)
    return problems


def _element_problems(
    element: etree._Element, known_forms: Collection[str], known_handlers: Collection[str], known_roles: Collection[str]
) -> list[Problem]:
    namespace, _, tag = element.tag.rpartition("}")
    namespace = namespace.lstrip("{")
    element_id = _owner_id(element)
    problems: list[Problem] = []
    if namespace == BPMN and tag in _CODE_ELEMENTS:
        problems.append(Problem(element_id, _CODE_ELEMENTS[tag]))
    elif namespace == SPIFF and tag in _SPIFF_SCRIPTS:
        problems.append(Problem(element_id, f"spiffworkflow:{tag} runs code and is not allowed"))
    elif namespace == BPMN and tag == "userTask":
        form_key = _form_key(element)
        if not form_key:
            problems.append(Problem(element_id, 'user task names no form (spiffworkflow:property name="formKey")'))
        elif form_key not in known_forms:
            problems.append(Problem(element_id, f"unknown form '{form_key}' (no forms/{form_key}.json)"))
    elif namespace == BPMN and tag == "serviceTask":
        operator = element.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        if operator is None or not operator.get("id"):
            problems.append(Problem(element_id, "service task names no handler (spiffworkflow:serviceTaskOperator id)"))
        elif operator.get("id") not in known_handlers:
            problems.append(Problem(element_id, f"unknown handler '{operator.get('id')}'"))
    elif namespace == BPMN and tag == "lane":
        if role_key(element.get("name")) not in known_roles:
            problems.append(Problem(element_id, f"lane '{element.get('name') or ''}' names no known role"))
    return problems


def expression_sites(root: etree._Element) -> Iterator[tuple[etree._Element, str, str]]:
    """Every expression of a definition: the element holding it, its kind (condition, message, parameter, timer) and its text."""
    for element in root.iter(*EXPRESSION_TAGS):
        kind = EXPRESSION_TAGS[element.tag]
        yield element, kind, str(element.get("value", "")) if kind == "parameter" else (element.text or "")


def _owner_id(element: etree._Element) -> str:
    """The id of the nearest BPMN element: extension elements' ids name handlers and parameters, not diagram elements."""
    node: etree._Element | None = element
    while node is not None:
        if node.get("id") and not str(node.tag).startswith(f"{{{SPIFF}}}"):
            return str(node.get("id"))
        node = node.getparent()
    return "(file)"


def _form_key(user_task: etree._Element) -> str | None:
    for prop in user_task.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS):
        if prop.get("name") == FORM_KEY:
            value = prop.get("value")
            return str(value) if value is not None else None
    return None


def _expression_problems(element_id: str, expression: str, what: str) -> list[Problem]:
    try:
        expressions.check(expression)
    except UnsafeExpression as error:
        return [Problem(element_id, f"unsafe {what} expression '{expression.strip()}': {error}")]
    return []


def _timer_problems(element_id: str, expression: str, what: str) -> list[Problem]:
    problems = _expression_problems(element_id, expression, what)
    if problems:
        return problems
    try:
        # Constants only: an expression over task data is evaluated when the timer starts.
        value = ast.literal_eval(expression.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        if _LOOKS_LIKE_ISO.match(expression.strip()):
            return [Problem(element_id, f'timer expression {expression.strip()} must be quoted, e.g. "{expression.strip()}"')]
        return []
    if not isinstance(value, str):
        return [Problem(element_id, f'timer expression {expression.strip()} must be a quoted literal such as "P3D"')]
    try:
        TimerEventDefinition.parse_time_or_duration(value) if not value.startswith("R") else None
    except (ValueError, SpiffWorkflowException) as error:
        return [Problem(element_id, f"timer value {value!r} is not an ISO 8601 date or duration: {error}")]
    return []


def _parser_problems(xml: bytes, process_id: str) -> list[Problem]:
    try:
        parse(xml, process_id, version=0)
    except DefinitionError as error:
        return error.problems
    return []


def parse(xml: bytes, process_id: str, *, version: int) -> Definition:
    """Parse a definition's XML into specs; raise DefinitionError with the offending element."""
    parser = ConsiliumParser()
    try:
        parser.add_bpmn_bytes(xml, filename=f"{process_id}.bpmn")
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except SpiffWorkflowException as error:
        element_id = getattr(error, "id", "") or "(file)"
        raise DefinitionError([Problem(element_id, str(error).splitlines()[0])]) from None
    except (etree.XMLSyntaxError, ValueError) as error:
        raise DefinitionError([Problem("(file)", str(error))]) from None
    user_tasks = {}
    for task_spec in _all_task_specs(spec, subprocess_specs):
        if getattr(task_spec, "manual", False):
            properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
            user_tasks[task_spec.name] = UserTaskInfo(
                name=task_spec.name,
                label=task_spec.bpmn_name or task_spec.name,
                form_key=properties.get(FORM_KEY, ""),
                role=role_key(task_spec.lane),
            )
    return Definition(process_id, version, checksum(xml), spec, subprocess_specs, user_tasks, _interrupting_starts(xml))


def _interrupting_starts(xml: bytes) -> frozenset[str]:
    tree = parse_xml(xml)
    starts = tree.iterfind(f".//{{{BPMN}}}subProcess[@triggeredByEvent='true']/{{{BPMN}}}startEvent")
    return frozenset(start.get("id", "") for start in starts if start.get("isInterrupting", "true") != "false")


def _all_task_specs(spec: Any, subprocess_specs: dict[str, Any]) -> list[Any]:
    specs = list(spec.task_specs.values())
    for subprocess_spec in subprocess_specs.values():
        specs.extend(subprocess_spec.task_specs.values())
    return specs


class DefinitionCache:
    """Parsed definitions by (process id, version): parsing is slow, a version never changes."""

    def __init__(self) -> None:
        self._definitions: dict[tuple[str, int], Definition] = {}
        self._lock = threading.Lock()

    def get(self, process_id: str, version: int, load_xml: Callable[[], bytes]) -> Definition:
        key = (process_id, version)
        definition = self._definitions.get(key)
        if definition is None:
            definition = parse(load_xml(), process_id, version=version)
            with self._lock:
                self._definitions[key] = definition
        return definition

    def clear(self) -> None:
        with self._lock:
            self._definitions.clear()
