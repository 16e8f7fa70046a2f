"""A signed outcome as a GA4GH Phenopacket v2: the research dataset's Phenopacket of the case (app/research/datasets.py:
the individual by pseudonym, sex, ages in years, HPO features present and excluded, the diagnosis with its genetic
findings), with the diseases the signed outcome names added. Checked by a strict protobuf re-parse before it is
returned."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import phenopackets as pp

from app.interop.fhir_export import SignedOutcome
from app.research import datasets
from app.research.search import Case
from app.terminology.catalogue import ICD10


def outcome_phenopacket(case: Case, outcome: SignedOutcome, created: datetime) -> dict[str, Any]:
    """The case and the outcome's diagnoses as a Phenopacket v2 (JSON), read back by the package's own classes."""
    packet = datasets.phenopacket(case, created)
    listed = {disease.term.id for disease in packet.diseases}
    for code in outcome.codes:
        term_id = f"ICD10:{code.code}" if code.system == ICD10 else code.code
        if term_id not in listed:
            listed.add(term_id)
            packet.diseases.append(pp.Disease(term=pp.OntologyClass(id=term_id, label=code.label or code.code)))
    return datasets.phenopacket_json(packet)
