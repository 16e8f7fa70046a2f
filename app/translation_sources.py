"""Babel extractors for the texts people read that live outside Python and templates: the shipped form definitions
(forms/*.json: titles, labels, help, choices) and the BPMN processes (bpmn/*.bpmn: the names of processes and of the
user tasks a person is given). ``make messages`` puts them in the catalogue; app.tasks.form_definitions.in_language
and app.i18n.render show them in the reader's language."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO
from typing import Any

from lxml import etree

FORM_TEXTS = ("title", "description", "submit_label", "label", "help", "placeholder", "entry_label", "must_equal_message")
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMN_NAMED = (f"{BPMN}process", f"{BPMN}userTask")

Extracted = Iterator[tuple[int, str, str, list[str]]]


def form_texts(definition: Any) -> Iterator[str]:
    """Every text of a form definition a person reads, in order (the same walk as in_language's)."""
    if isinstance(definition, dict):
        for key in FORM_TEXTS:
            value = definition.get(key)
            if isinstance(value, str) and value.strip():
                yield value
        for value in definition.values():
            if isinstance(value, list | dict):
                yield from form_texts(value)
    elif isinstance(definition, list):
        for item in definition:
            yield from form_texts(item)


def extract_form(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Extracted:
    for text in form_texts(json.load(fileobj)):
        yield 1, "gettext", text, ["form definition"]


def extract_bpmn(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Extracted:
    tree = etree.parse(fileobj, etree.XMLParser(resolve_entities=False, no_network=True))  # noqa: S320 - our own files
    for element in tree.iter(*BPMN_NAMED):
        name = " ".join((element.get("name") or "").split())
        if name:
            yield element.sourceline or 1, "gettext", name, ["BPMN name"]
