"""The BPMN parser: SpiffWorkflow's spiff dialect, with XML parsed defensively."""

from __future__ import annotations

from lxml import etree
from SpiffWorkflow.spiff.parser import VALIDATOR
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

# No entities, no network, no huge trees: an uploaded definition cannot read files or exhaust memory.
SAFE_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


def parse_xml(xml: bytes) -> etree._ElementTree:
    """Parse BPMN XML without resolving entities or fetching anything."""
    return etree.ElementTree(etree.fromstring(xml, parser=SAFE_XML_PARSER))


class ConsiliumParser(SpiffBpmnParser):  # type: ignore[misc]
    """SpiffBpmnParser with schema validation and the safe XML parser."""

    def __init__(self) -> None:
        super().__init__(validator=VALIDATOR)

    def add_bpmn_bytes(self, xml: bytes, filename: str) -> None:
        self.add_bpmn_xml(parse_xml(xml), filename=filename)
