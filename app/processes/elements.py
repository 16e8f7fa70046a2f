"""The elements of a definition as a table, and the difference between two versions, element by element.

Read from the XML only (parsed safely); nothing is run. An element is anything with an id directly in
the definitions, a process, a sub-process, a lane set or a collaboration: tasks, events, gateways,
flows, lanes, pools, messages. What is nested inside one (conditions, timers, forms, handlers,
lane members) belongs to it. The diagram layout is not compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field

from lxml import etree

from app.processes.importing import BPMN
from app.processes.importing import CONTAINERS
from app.processes.importing import SPIFF
from engine.parser import parse_xml

XSI = "http://www.w3.org/2001/XMLSchema-instance"
_IGNORED = {"incoming", "outgoing"}  # repeat what the flows say


@dataclass(frozen=True)
class Element:
    element_id: str
    kind: str  # the BPMN tag: userTask, sequenceFlow, ...
    name: str
    lane: str = ""
    uses: str = ""  # the form of a user task, the handler of a service task
    details: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    @property
    def kind_label(self) -> str:
        return re.sub(r"(?<!^)([A-Z])", r" \1", self.kind).lower()


@dataclass(frozen=True)
class Change:
    element: Element
    what: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diff:
    added: tuple[Change, ...]
    removed: tuple[Change, ...]
    changed: tuple[Change, ...]

    @property
    def same(self) -> bool:
        return not (self.added or self.removed or self.changed)


def elements(xml: bytes) -> list[Element]:
    """Every element of the definition, in document order."""
    root = parse_xml(xml).getroot()
    lanes = {
        (ref.text or "").strip(): lane.get("name") or str(lane.get("id"))
        for lane in root.iter(f"{{{BPMN}}}lane")
        for ref in lane.iterfind(f"{{{BPMN}}}flowNodeRef")
    }
    found = []
    for element in root.iter(f"{{{BPMN}}}*"):
        parent = element.getparent()
        if not element.get("id") or parent is None or _local(parent) not in CONTAINERS:
            continue
        element_id = str(element.get("id"))
        found.append(
            Element(element_id, _local(element), element.get("name") or "", lanes.get(element_id, ""), _uses(element), _details(element))
        )
    return found


def diff(old_xml: bytes, new_xml: bytes) -> Diff:
    """What changed from one version to the next: elements added, removed, and changed (and how)."""
    old = {element.element_id: element for element in elements(old_xml)}
    new = {element.element_id: element for element in elements(new_xml)}
    added = tuple(Change(element) for element_id, element in new.items() if element_id not in old)
    removed = tuple(Change(element) for element_id, element in old.items() if element_id not in new)
    changed = []
    for element_id, before in old.items():
        after = new.get(element_id)
        if after is not None and (what := _what_changed(before, after)):
            changed.append(Change(after, what))
    return Diff(added, removed, tuple(changed))


def _what_changed(before: Element, after: Element) -> tuple[str, ...]:
    what = []
    if before.kind != after.kind:
        what.append(f"type: {before.kind_label} → {after.kind_label}")
    if before.name != after.name:
        what.append(f"name: {before.name or '—'} → {after.name or '—'}")
    for key in sorted(before.details.keys() | after.details.keys()):
        old, new = before.details.get(key, ()), after.details.get(key, ())
        if old != new:
            what.append(f"{key}: {', '.join(old) or '—'} → {', '.join(new) or '—'}")
    return tuple(what)


def _details(element: etree._Element) -> dict[str, tuple[str, ...]]:
    """Attributes and nested settings, as path → values (not descending into other elements)."""
    details: dict[str, list[str]] = {}
    for key, value in element.attrib.items():
        name = etree.QName(key).localname
        if name not in ("id", "name"):
            details.setdefault(name, []).append(str(value))

    def walk(node: etree._Element, path: str) -> None:
        for child in node:
            if not isinstance(child.tag, str) or _local(child) in _IGNORED:
                continue
            if child.get("id") and _local(node) in CONTAINERS:
                continue  # another element
            step = _local(child)
            if child.get("name") and etree.QName(child).namespace == SPIFF:
                step += f"[{child.get('name')}]"
            here = f"{path}/{step}" if path else step
            attributes = [f"{etree.QName(k).localname}={v}" for k, v in sorted(child.attrib.items()) if not _noise(k)]
            text = (child.text or "").strip()
            if text or attributes:
                details.setdefault(here, []).append(" ".join(filter(None, [text, *attributes])))
            walk(child, here)

    walk(element, "")
    return {key: tuple(sorted(values)) for key, values in details.items()}


def _noise(attribute: str) -> bool:
    """Ids and xsi:type ("bpmn:tFormalExpression") say nothing a manager changes."""
    name = etree.QName(attribute)
    return name.localname == "id" or name.namespace == XSI


def _uses(element: etree._Element) -> str:
    for prop in element.iterfind(f"{{{BPMN}}}extensionElements/{{{SPIFF}}}properties/{{{SPIFF}}}property"):
        if prop.get("name") == "formKey":
            return str(prop.get("value") or "")
    operator = element.find(f"{{{BPMN}}}extensionElements/{{{SPIFF}}}serviceTaskOperator")
    return str(operator.get("id") or "") if operator is not None else ""


def _local(element: etree._Element) -> str:
    return str(etree.QName(element).localname)
