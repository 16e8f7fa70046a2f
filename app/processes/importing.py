"""The import check: every problem of a BPMN file in the manager's words, tied to its element, and safe fixes.

The file is XML from a stranger. It is parsed without entities, network or huge trees, refused
outright when it declares a DOCTYPE, and nothing in it is ever evaluated or run here: expressions
are only checked against the safe evaluator's allow-list. The checks are those of deployment (the
CLI's ``engine.validate``) plus the ones foreign files need, in plain words; a few problems have a
fix that keeps the process's meaning (mark executable, rename the process, add a default flow,
quote timers, drop data stores).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from lxml import etree

import engine
from app.text import markup_in
from engine import expressions
from engine.parser import parse_xml

MAX_BYTES = 2 * 1024 * 1024
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "spiffworkflow": SPIFF}

RENAME = "rename"
QUOTE_TIMERS = "quote_timers"
DEFAULT_FLOWS = "default_flows"
DROP_DATA_STORES = "drop_data_stores"
EXECUTABLE = "executable:"  # + the process id to run

_TIMER_TAGS = ("timeDuration", "timeDate", "timeCycle")
_UNQUOTED_ISO = re.compile(r"^(P[0-9TYMWDHS.,]+|R\d*/\S+|\d{4}-\d{2}-\d{2}\S*)$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_GATEWAYS = ("exclusiveGateway", "inclusiveGateway")
# Elements whose children with an id are diagram elements of their own (tasks, events, flows, lanes, pools).
CONTAINERS = {"definitions", "process", "subProcess", "transaction", "adHocSubProcess", "laneSet", "childLaneSet", "collaboration"}


@dataclass(frozen=True)
class Finding:
    """One problem (or, when not blocking, a note), tied to an element id, with the fix that resolves it if any."""

    element_id: str
    message: str
    fix: str = ""
    blocking: bool = True


@dataclass(frozen=True)
class Fix:
    key: str
    label: str

    @property
    def exclusive(self) -> bool:
        """One of several choices (which process to run), not a fix to add to the others."""
        return self.key.startswith(EXECUTABLE)


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    fixes: tuple[Fix, ...] = ()
    readable: bool = True  # False: refused before reading (too large, not XML, entities): the text is not shown again

    @property
    def blocking(self) -> bool:
        return any(finding.blocking for finding in self.findings)

    @property
    def problems(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.blocking]

    @property
    def notes(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.blocking]


@dataclass(frozen=True)
class Known:
    """What a definition may name in this installation."""

    forms: Collection[str]
    handlers: Collection[str]
    roles: Collection[str]  # role keys ('panel_lead')
    role_labels: Collection[str]  # the lane names that give those roles ('Panel lead')


def read(xml: bytes) -> etree._ElementTree | Report:
    """The parsed file, or a Report refusing it (too large, empty, not XML, entities, not BPMN)."""
    if len(xml) > MAX_BYTES:
        return too_large()
    if not xml.strip():
        return _refused(_("The file is empty."))
    try:
        tree = parse_xml(xml)
    except etree.XMLSyntaxError as error:
        # libxml2 stops entity bombs at once (amplification limit); say why rather than how.
        if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
            return _entities_refused()
        return _refused(_("The file is not well-formed XML: %(reason)s (line %(line)s).", reason=error.msg, line=error.lineno))
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        return _entities_refused()
    root = tree.getroot()
    if root.tag != f"{{{BPMN}}}definitions":
        return _refused(_("This is not a BPMN 2.0 file: its root element is %(tag)s, not bpmn:definitions.", tag=_local(root)))
    return tree


def as_text(xml: bytes) -> str:
    """The definition as text for a text area (posted back as UTF-8): other encodings are re-serialised without their declaration."""
    try:
        return xml.decode("utf-8")
    except UnicodeDecodeError:
        tree = read(xml)
        return xml.decode("utf-8", "replace") if isinstance(tree, Report) else str(etree.tostring(tree, encoding="unicode"))


def too_large() -> Report:
    """The refusal of a file above MAX_BYTES."""
    return _refused(_("The file is larger than %(size)s; process definitions are far smaller.", size=f"{MAX_BYTES / 2**20:g} MB"))


def _entities_refused() -> Report:
    return _refused(
        _(
            "The file declares a DOCTYPE or XML entities. BPMN files never need them, and they can be used to attack a server, "
            "so the file is refused. Export it again from your modeler."
        )
    )


def _refused(message: str) -> Report:
    return Report((Finding("(file)", message),), readable=False)


def check(xml: bytes, process_id: str, known: Known, problems_of: Callable[[bytes], list[engine.Problem]]) -> Report:
    """Every problem of ``xml`` as the process ``process_id``: ours in plain words, then deployment's.

    ``problems_of(xml)`` is the deployment validation (the same checks as the CLI), run on the same text.
    """
    tree = read(xml)
    if isinstance(tree, Report):
        return tree
    root = tree.getroot()
    names = _names(root)
    findings = _file_findings(root, process_id)
    findings += _script_findings(root, names)
    findings += _expression_findings(root, names)
    findings += _gateway_findings(root, names)
    findings += _lane_findings(root, names, known)
    findings += _data_store_findings(root, names)
    findings += _markup_findings(root, names)
    if not root.findall(".//bpmndi:BPMNShape", NS):
        findings.append(Finding("(file)", _("The file has no diagram layout: the editor lays it out when you open it."), blocking=False))
    findings += [finding for problem in problems_of(xml) if (finding := _translate(problem, root, names, known)) is not None]
    return Report(tuple(_unique(findings)), _offered_fixes(root, findings, process_id))


def _unique(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    result = []
    for finding in findings:
        message = finding.message[:1].upper() + finding.message[1:]
        if (finding.element_id, message) not in seen:
            seen.add((finding.element_id, message))
            result.append(Finding(finding.element_id, message, finding.fix, finding.blocking))
    return result


# What we check ourselves -------------------------------------------------------------------------


def _file_findings(root: etree._Element, process_id: str) -> list[Finding]:
    processes = root.findall("bpmn:process", NS)
    if not processes:
        return [Finding("(file)", _("The file holds no process (only a diagram or a collaboration without processes)."))]
    findings = []
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    if len(executable) != 1:
        if len(processes) == 1:
            message = _("The process is not marked as executable (modelers leave this off by default).")
        else:
            message = _(
                "The file holds %(n)d processes (pools) and %(e)d of them are marked as executable; "
                "Consilium runs one process per definition. Choose the one to run below.",
                n=len(processes),
                e=len(executable),
            )
        findings.append(Finding("(file)", message, fix=EXECUTABLE))
    if all(p.get("id") != process_id for p in processes):
        ids = ", ".join(str(p.get("id")) for p in (executable or processes))
        findings.append(
            Finding("(file)", _("The process id is %(ids)s; this page deploys the process '%(id)s'.", ids=ids, id=process_id), fix=RENAME)
        )
    return findings


# what the manager calls an expression, by tag or else by kind (engine.expression_sites); each names the element it belongs to
def _expression_kinds() -> dict[str, str]:
    return {
        "condition": _("The condition of %(element)s"),
        "loopCardinality": _("The number of instances of %(element)s (multi-instance)"),
        "completionCondition": _("The completion condition of %(element)s (multi-instance)"),
        "loopCondition": _("The loop condition of %(element)s"),
        "timer": _("The timer of %(element)s"),
        "message": _("The message expression of %(element)s"),
        "parameter": _("The parameter '%(name)s' of %(element)s"),
    }


def _rule() -> str:
    return _(
        "Expressions may only use task data names, values, comparisons, and/or/not, arithmetic and the functions %(functions)s.",
        functions=", ".join(expressions.ALLOWED_FUNCTIONS),
    )


def _script_findings(root: etree._Element, names: dict[str, str]) -> list[Finding]:
    findings = []
    for element in root.iter(f"{{{BPMN}}}*", f"{{{SPIFF}}}*"):
        tag, owner = _local(element), _owner(element)
        if element.tag == f"{{{SPIFF}}}{tag}" and tag in ("preScript", "postScript", "script"):
            when = {"preScript": _("before"), "postScript": _("after")}.get(tag, _("in"))
            message = _(
                "%(element)s has a script that would run %(when)s it. Scripts can run any code on the server, so Consilium refuses "
                "them: remove it, and do the work in a service task that names a registered handler.",
                element=_called(owner, names),
                when=when,
            )
            findings.append(Finding(owner, message))
        elif element.tag == f"{{{BPMN}}}scriptTask":
            message = _(
                "%(element)s runs a script. Scripts can run any code on the server, so Consilium refuses them: "
                "replace it with a service task that names a registered handler.",
                element=_called(owner, names),
            )
            findings.append(Finding(owner, message))
        elif element.tag in (f"{{{BPMN}}}loopDataInputRef", f"{{{BPMN}}}loopDataOutputRef"):
            text = (element.text or "").strip()
            if not _NAME.match(text):
                message = _(
                    "The collection of %(element)s (multi-instance) must be the name of a task data item, such as experts; "
                    "'%(text)s' is not a name.",
                    element=_called(owner, names),
                    text=_short(text),
                )
                findings.append(Finding(owner, message))
    return findings


def _expression_findings(root: etree._Element, names: dict[str, str]) -> list[Finding]:
    """Every expression deployment checks (the same sites, the same allow-list), in the manager's words."""
    kinds = _expression_kinds()
    findings = []
    for element, kind, expression in engine.expression_sites(root):
        owner, text = _owner(element), expression.strip()
        what = (kinds.get(_local(element)) or kinds[kind]) % {"element": _called(owner, names), "name": element.get("id", "")}
        if kind == "timer" and _UNQUOTED_ISO.match(text):
            message = _('%(what)s, %(text)s, must be in quotes ("%(text)s") to be read as a date or duration.', what=what, text=text)
            findings.append(Finding(owner, message, fix=QUOTE_TIMERS))
            continue
        try:
            expressions.check(text)
        except engine.UnsafeExpression as error:
            message = _(
                "%(what)s cannot be used: '%(text)s' — %(reason)s. %(rule)s", what=what, text=_short(text), reason=error, rule=_rule()
            )
            findings.append(Finding(owner, message))
    return findings


def _gateway_findings(root: etree._Element, names: dict[str, str]) -> list[Finding]:
    findings = []
    for gateway in _elements(root, _GATEWAYS):
        flows = [flow for flow in root.iter(f"{{{BPMN}}}sequenceFlow") if flow.get("sourceRef") == gateway.get("id")]
        if len(flows) < 2 or gateway.get("default"):
            continue
        plain = [flow for flow in flows if flow.find("bpmn:conditionExpression", NS) is None]
        called = _called(str(gateway.get("id")), names)
        if len(plain) == 1:
            message = _(
                "%(element)s has one outgoing flow without a condition that is not marked as the default flow; "
                "it can be marked as the default (taken when no condition holds).",
                element=called,
            )
            findings.append(Finding(str(gateway.get("id")), message, fix=DEFAULT_FLOWS))
        elif plain:
            message = _(
                "%(element)s has %(n)d outgoing flows without a condition: give each a condition, and mark at most one as the default.",
                element=called,
                n=len(plain),
            )
            findings.append(Finding(str(gateway.get("id")), message))
        else:
            message = _(
                "If none of the conditions of %(element)s holds, the case stops with an error: consider a default flow.", element=called
            )
            findings.append(Finding(str(gateway.get("id")), message, blocking=False))
    return findings


def _lane_findings(root: etree._Element, names: dict[str, str], known: Known) -> list[Finding]:
    findings = []
    for process in root.findall("bpmn:process", NS):
        in_lanes = {(ref.text or "").strip() for ref in process.iter(f"{{{BPMN}}}flowNodeRef")}
        for task in process.iter(f"{{{BPMN}}}userTask", f"{{{BPMN}}}manualTask"):
            task_id = str(task.get("id"))
            if _local(task) == "manualTask":
                message = _("Manual tasks are not supported: make %(element)s a user task with a form.", element=_called(task_id, names))
                findings.append(Finding(task_id, message))
            elif task_id not in in_lanes:
                message = _(
                    "%(element)s is in no lane, so no one could do it: put it in a lane named after a role (%(roles)s).",
                    element=_called(task_id, names),
                    roles=", ".join(known.role_labels),
                )
                findings.append(Finding(task_id, message))
    return findings


def _data_store_findings(root: etree._Element, names: dict[str, str]) -> list[Finding]:
    message = _(
        "%(element)s is a data store. Consilium has no data stores (the case's data lives in its own records), so it can be dropped."
    )
    return [
        Finding(str(store.get("id")), message % {"element": _called(str(store.get("id")), names)}, fix=DROP_DATA_STORES)
        for store in _elements(root, ("dataStore", "dataStoreReference"))
    ]


def _markup_findings(root: etree._Element, names: dict[str, str]) -> list[Finding]:
    findings = []
    for element in root.iter(f"{{{BPMN}}}*"):
        if markup := markup_in(element.get("name") or ""):
            owner = _owner(element)
            message = _(
                "The name of %(element)s holds markup, %(markup)s. Names are shown to people as text: remove the markup.",
                element=_called(owner, names),
                markup=_short(markup),
            )
            findings.append(Finding(owner, message))
    return findings


# Deployment's problems, in the manager's words ----------------------------------------------------

# Problems our own checks above already explain; the others, matched by the engine's wording.
_COVERED = re.compile(
    r"^(expected exactly one executable process|no process with id |unsafe |timer expression .* must be quoted|"
    r"script tasks are not allowed|spiffworkflow:\w+ runs code|Non-default exclusive outgoing sequence flow)"
)
_LANE = re.compile(r"^lane '(?P<name>.*)' names no known role")
_NO_FORM = re.compile(r"^user task names no form")
_UNKNOWN_FORM = re.compile(r"^unknown form '(?P<name>.*)'")
_NO_HANDLER = re.compile(r"^service task names no handler")
_UNKNOWN_HANDLER = re.compile(r"^unknown handler '(?P<name>.*)'")


def _translate(problem: engine.Problem, root: etree._Element, names: dict[str, str], known: Known) -> Finding | None:
    element_id, message = problem.element_id, problem.message
    called = _called(element_id, names)
    forms, handlers = ", ".join(sorted(known.forms)), ", ".join(sorted(known.handlers))
    if _COVERED.match(message):
        return None
    if match := _LANE.match(message):
        text = _(
            "The lane '%(name)s' does not name a role. Rename it to one of: %(roles)s.",
            name=match["name"],
            roles=", ".join(known.role_labels),
        )
    elif _NO_FORM.match(message):
        foreign = _foreign_form(root, element_id)
        text = _(
            "%(element)s does not name a form to fill in%(foreign)s. Choose one of: %(forms)s.",
            element=called,
            foreign=foreign,
            forms=forms,
        )
    elif match := _UNKNOWN_FORM.match(message):
        text = _(
            "%(element)s names the form '%(name)s', which does not exist. Choose one of: %(forms)s.",
            element=called,
            name=match["name"],
            forms=forms,
        )
    elif _NO_HANDLER.match(message):
        foreign = _(" (Camunda's Java classes and expressions are not run here)") if _mentions_camunda(_by_id(root, element_id)) else ""
        text = _(
            "%(element)s does not name a registered handler%(foreign)s. Choose one of: %(handlers)s.",
            element=called,
            foreign=foreign,
            handlers=handlers,
        )
    elif match := _UNKNOWN_HANDLER.match(message):
        text = _(
            "%(element)s names the handler '%(name)s', which is not registered. Choose one of: %(handlers)s.",
            element=called,
            name=match["name"],
            handlers=handlers,
        )
    elif element_id in names:
        text = _("%(element)s: %(reason)s.", element=called, reason=message.strip().rstrip(" ."))
    else:
        text = _("The process cannot be read: %(reason)s.", reason=message.strip().rstrip(" ."))
    return Finding(element_id, text)


def _foreign_form(root: etree._Element, element_id: str) -> str:
    element = _by_id(root, element_id)
    if element is None:
        return ""
    if any(prop.get("name") == "formJsonSchemaFilename" for prop in element.iter(f"{{{SPIFF}}}property")):
        return _(" (SpiffArena's JSON-schema forms are not used here)")
    if _mentions_camunda(element):
        return _(" (Camunda form settings are not used here)")
    return ""


def _mentions_camunda(element: etree._Element | None) -> bool:
    if element is None:
        return False
    namespaces = [etree.QName(key).namespace for key in element.attrib]
    namespaces += [etree.QName(child).namespace for child in element.iter() if isinstance(child.tag, str)]
    return any("camunda" in (namespace or "") for namespace in namespaces)


# The fixes ---------------------------------------------------------------------------------------


def _offered_fixes(root: etree._Element, findings: list[Finding], process_id: str) -> tuple[Fix, ...]:
    wanted = {finding.fix for finding in findings if finding.fix}
    offered = []
    if EXECUTABLE in wanted:
        processes = root.findall("bpmn:process", NS)
        for process in processes:
            pid, label = str(process.get("id")), process.get("name") or str(process.get("id"))
            text = _("Run the process '%(name)s'", name=label) if len(processes) > 1 else _("Mark the process as executable")
            offered.append(Fix(f"{EXECUTABLE}{pid}", text))
    labels = {
        RENAME: _("Use the executable process as '%(id)s' (rename its id)", id=process_id),
        DEFAULT_FLOWS: _("Mark the one flow without a condition as the default flow of its gateway"),
        QUOTE_TIMERS: _("Put timer values in quotes"),
        DROP_DATA_STORES: _("Drop the data stores"),
    }
    offered += [Fix(key, label) for key, label in labels.items() if key in wanted]
    return tuple(offered)


def apply_fixes(xml: bytes, keys: Collection[str], process_id: str) -> bytes:
    """The file with the chosen safe fixes applied (in a fixed order); unknown keys are ignored."""
    tree = read(xml)
    if isinstance(tree, Report):
        return xml
    root = tree.getroot()
    chosen = [key.removeprefix(EXECUTABLE) for key in keys if key.startswith(EXECUTABLE)]
    if chosen:
        for process in root.findall("bpmn:process", NS):
            process.set("isExecutable", "true" if process.get("id") == chosen[0] else "false")
    if RENAME in keys:
        _rename_process(root, process_id)
    if QUOTE_TIMERS in keys:
        for timer in _elements(root, _TIMER_TAGS):
            if _UNQUOTED_ISO.match((timer.text or "").strip()):
                timer.text = f'"{(timer.text or "").strip()}"'
    if DEFAULT_FLOWS in keys:
        for gateway in _elements(root, _GATEWAYS):
            flows = [flow for flow in root.iter(f"{{{BPMN}}}sequenceFlow") if flow.get("sourceRef") == gateway.get("id")]
            plain = [flow for flow in flows if flow.find("bpmn:conditionExpression", NS) is None]
            if len(flows) > 1 and len(plain) == 1 and not gateway.get("default"):
                gateway.set("default", str(plain[0].get("id")))
    if DROP_DATA_STORES in keys:
        _drop_data_stores(root)
    return bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))


def _rename_process(root: etree._Element, process_id: str) -> None:
    executable = [p for p in root.findall("bpmn:process", NS) if p.get("isExecutable") == "true"]
    taken = {element.get("id") for element in root.iter() if isinstance(element.tag, str)}
    if len(executable) != 1 or process_id in taken:
        return
    old = executable[0].get("id")
    executable[0].set("id", process_id)
    for element in root.iter():
        for attribute in ("processRef", "bpmnElement", "calledElement"):
            if isinstance(element.tag, str) and element.get(attribute) == old:
                element.set(attribute, process_id)


def _drop_data_stores(root: etree._Element) -> None:
    dropped = {str(store.get("id")) for store in _elements(root, ("dataStore", "dataStoreReference"))}
    for association in _elements(root, ("dataInputAssociation", "dataOutputAssociation")):
        refs = {(ref.text or "").strip() for ref in association if _local(ref) in ("sourceRef", "targetRef")}
        if refs & dropped:
            dropped.add(str(association.get("id")))
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        if element.get("id") in dropped or element.get("bpmnElement") in dropped:
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)


# Helpers ----------------------------------------------------------------------------------------


def _local(element: etree._Element) -> str:
    return str(etree.QName(element).localname)


def _elements(root: etree._Element, tags: Iterable[str]) -> list[etree._Element]:
    return list(root.iter(*(f"{{{BPMN}}}{tag}" for tag in tags)))


def _by_id(root: etree._Element, element_id: str) -> etree._Element | None:
    return next((element for element in root.iter(f"{{{BPMN}}}*") if element.get("id") == element_id), None)


def _owner(element: etree._Element) -> str:
    """The id of the diagram element something belongs to (a timer's event, not its event definition)."""
    node: etree._Element | None = element
    nearest = ""
    while node is not None:
        parent = node.getparent()
        if node.get("id") and etree.QName(node).namespace == BPMN:
            nearest = nearest or str(node.get("id"))
            if parent is not None and _local(parent) in CONTAINERS:
                return str(node.get("id"))
        node = parent
    return nearest or "(file)"


def _names(root: etree._Element) -> dict[str, str]:
    """element id → how to call it in a sentence: "the user task 'Complete form'"."""
    names = {}
    for element in root.iter(f"{{{BPMN}}}*"):
        element_id = element.get("id")
        if element_id:
            kind = re.sub(r"(?<!^)([A-Z])", r" \1", _local(element)).lower()
            label = element.get("name") or element_id
            names[str(element_id)] = f"the {kind} '{label}'"
    return names


def _called(element_id: str, names: dict[str, str]) -> str:
    return names.get(element_id, f"'{element_id}'")


def _short(text: str) -> str:
    return text if len(text) <= 120 else text[:117] + "…"
