"""Exporting a signed outcome in standard formats: for the panel's lead, one panel's FHIR bundle or Phenopacket, each
download audited; for researchers, the FHIR bundles of the released panels their search found (the research routes
audit those with the search).

What is exported is the research ``Case`` of the panel (pseudonymised: pseudonym, sex, ages in years, coded answers)
with the signed outcome: never the patient's names, birth date or record label, nor the CPMS ID.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app import security
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.errors import Conflict
from app.errors import NotFound
from app.interop import fhir_export
from app.interop.fhir_export import SignedOutcome
from app.interop.phenopacket_export import outcome_phenopacket
from app.panels.models import Outcome
from app.panels.models import Panel
from app.research.search import Case
from app.research.search import Code
from app.research.search import case_of
from app.terminology.catalogue import ICD10
from app.terminology.catalogue import ORPHA
from app.terminology.catalogue import catalogue

FHIR, PHENOPACKET = "fhir", "phenopacket"
EXPORTED = "panel.outcome_exported"  # the audit action of a lead's download
# ORPHA and ICD-10 codes written in the outcome's diagnosis codes: "ORPHA:85443, E85.8 (suspected)".
_CODE = re.compile(r"\b(?:ORPHA\s*:?\s*(\d{1,7})|([A-Z]\d{2}(?:\.\d{1,4})?))\b", re.IGNORECASE)


@dataclass(frozen=True)
class Export:
    """One download: its non-identifying file name and its JSON."""

    filename: str
    data: dict[str, Any]

    def body(self) -> str:
        return json.dumps(self.data, indent=2, ensure_ascii=False)


def export_outcome(actor: User, panel_id: int, fmt: str, origin: RequestInfo) -> Export:
    """The panel's signed outcome as a FHIR document bundle or a Phenopacket, for its lead; the download is audited."""
    with transaction():
        panel = db.session.get(Panel, panel_id)
        if panel is None or not security.is_panel_lead(actor, panel):
            raise NotFound(_("No such panel."))
        outcome = db.session.scalar(select(Outcome).where(Outcome.panel_id == panel.id))
        if outcome is None or outcome.signed_at is None:
            raise Conflict(_("This panel has no signed-off outcome yet: it can be exported once the outcome is signed off."))
        case = case_of(panel.id)
        if case is None:  # the panel was read just above
            raise NotFound(_("No such panel."))
        signed = signed_outcome(panel, outcome)
        now = utcnow()
        if fmt == FHIR:
            export = Export(f"{case.pseudonym}-outcome.fhir.json", fhir_export.bundle(case, signed, now, _issuer()))
        else:
            export = Export(f"{case.pseudonym}-outcome.phenopacket.json", outcome_phenopacket(case, signed, now))
        audit.record(actor, EXPORTED, "panel", panel.id, origin, format=fmt)
        return export


def signed_outcome(panel: Panel, outcome: Outcome) -> SignedOutcome:
    """The outcome as the exports read it; the legal attester is who signed it off (the lead then), else the lead."""
    assert outcome.signed_at is not None
    signer = outcome.signed_by or panel.lead
    return SignedOutcome(
        case_question=outcome.case_question,
        recommendations=outcome.recommendations,
        follow_up=outcome.follow_up,
        codes=tuple(diagnosis_codes(outcome.diagnosis_codes)),
        signed_at=outcome.signed_at,
        lead_given=signer.first_name if signer else "",
        lead_family=signer.last_name if signer else "",
        ern=panel.ern.code,
    )


def diagnosis_codes(text: str) -> list[Code]:
    """The ORPHA and ICD-10 codes the catalogue knows among those written in the outcome (others are left out)."""
    terms = catalogue()
    found: dict[tuple[str, str], Code] = {}
    for match in _CODE.finditer(text):
        orpha, icd = match.group(1), match.group(2)
        term = terms.lookup(ORPHA, f"ORPHA:{orpha}") if orpha else terms.lookup(ICD10, icd.upper())
        if term is not None:
            found.setdefault((term.system, term.code), Code(term.system, term.code, term.label))
    return list(found.values())


def signed_outcomes(panel_ids: Iterable[int]) -> dict[int, SignedOutcome]:
    """The signed outcomes of these panels, by panel (for the research datasets: released panels only get there)."""
    ids = list(panel_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Panel, Outcome).join(Outcome, Outcome.panel_id == Panel.id).where(Panel.id.in_(ids), Outcome.signed_at.is_not(None))
    )
    return {panel.id: signed_outcome(panel, outcome) for panel, outcome in rows}


def fhir_bundles_zip(cases: Sequence[Case], outcomes: dict[int, SignedOutcome], created: datetime) -> bytes:
    """One validated FHIR document bundle per case that has a signed outcome, ``panel-<n>.fhir.json``, in a ZIP."""
    buffer = io.BytesIO()
    issuer = _issuer()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for case in cases:
            outcome = outcomes.get(case.panel_id)
            if outcome is None:
                continue
            data = fhir_export.bundle(case, outcome, created, issuer)
            archive.writestr(f"{case.pseudonym}.fhir.json", json.dumps(data, indent=2, ensure_ascii=False))
    return buffer.getvalue()


def _issuer() -> str:
    return str(current_app.config["PUBLIC_URL"])
