"""The de-identification profile as people read it: every attribute of the standard's table and of
Consilium's additions, and what Consilium does to it, read from the data files the code applies (so the
page cannot drift)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from app.documents.deidentify import TABLE
from app.documents.deidentify import Options
from app.documents.deidentify import action_for
from app.documents.deidentify import additions

ACTIONS = {
    "X": "removed",
    "Z": "emptied",
    "D": "replaced by a dummy value",
    "U": "replaced by a new UID (the same for the same patient)",
    "C": "cleaned (dates shifted; a text kept only if nothing in it may identify anyone, else removed)",
    "K": "kept",
}


@dataclass(frozen=True)
class Row:
    tag: str
    name: str
    standard: str  # the basic profile's code(s), as the table has them ("" for Consilium's additions)
    done: str  # what Consilium does with the ERN's options off
    with_clean_descriptors: str
    with_patient_characteristics: str
    with_device_identity: str
    why: str = ""  # for Consilium's additions: why an attribute the table does not list is treated


@cache
def source() -> dict[str, str]:
    """Which standard, table and edition the data file was generated from."""
    return dict(json.loads(TABLE.read_text(encoding="utf-8"))["source"])


def _action(tag: str, basic: str, options: Options) -> str:
    if "x" in tag.lower():
        return basic.split("/")[-1].rstrip("*")
    return action_for(int(tag, 16), options)


@cache
def rows() -> tuple[Row, ...]:
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    listed = []
    for rule in table["rules"] + additions():
        tag = rule["tag"]
        if tag == "PRIVATE":
            continue
        listed.append(
            Row(
                tag=f"({tag[:4]},{tag[4:]})",
                name=rule["name"],
                standard="" if "why" in rule else rule["basic"],
                done=_action(tag, rule["basic"], Options()),
                with_clean_descriptors=_action(tag, rule["basic"], Options(clean_descriptors=True)),
                with_patient_characteristics=_action(tag, rule["basic"], Options(retain_patient_characteristics=True)),
                with_device_identity=_action(tag, rule["basic"], Options(retain_device_identity=True)),
                why=rule.get("why", ""),
            )
        )
    return tuple(sorted(listed, key=lambda row: row.tag))
