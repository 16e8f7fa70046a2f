"""Released panels for the research tests, made the way users make them (enrolment, consultation form), then
released as after a signed-off, closed panel (tests/app/panels cover the release itself)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft201909Validator
from referencing import Registry
from referencing import Resource

from app.database import db
from app.database import utcnow
from app.panels.models import Panel
from tests import factories

# A patient whose identifying values must never reach a dataset: names, birth date, record label.
CANARY = {"first_name": "Zoltanna", "last_name": "Quibbleworth", "date_of_birth": "17/09/1983", "record_label": "MRN-55731-QX"}
CANARY_SPELLINGS = (
    "Zoltanna",
    "Quibbleworth",
    "MRN-55731-QX",
    "1983-09-17",
    "17/09/1983",
    "17.09.1983",
    "09/17/1983",
    "19830917",
    "17-09-1983",
)


def released_panel(user, centre, ern, *, release: bool = True, patient_values: dict[str, Any] | None = None, **answers: Any) -> int:
    patient = factories.enrol(user, centre, ern, **(patient_values or {}))
    patient.consent_registry = True
    panel_id = factories.open_panel(user, patient, **answers)
    if release:
        db.session.get(Panel, panel_id).released_at = utcnow()
    db.session.commit()
    return panel_id


# The GA4GH schemas and their licence stay in the shared test fixtures beside the checkout (../shared/fixtures).
PHENOPACKET_SCHEMAS = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "phenopacket-schemas"
_CLASSPATH = "classpath:/org/phenopackets/phenopackettools/validator/jsonschema/"


def phenopacket_schema_validator() -> Draft201909Validator:
    """The Phenopacket v2 JSON schema, with the schemas it refers to by their classpath names."""
    registry: Registry = Registry()
    for path in [*PHENOPACKET_SCHEMAS.glob("*.json"), *(PHENOPACKET_SCHEMAS / "v2").glob("*.json")]:
        schema = json.loads(path.read_text(encoding="utf-8"))
        registry = registry.with_resource(_CLASSPATH + str(path.relative_to(PHENOPACKET_SCHEMAS)), Resource.from_contents(schema))
    main = json.loads((PHENOPACKET_SCHEMAS / "v2" / "phenopacket-schema.json").read_text(encoding="utf-8"))
    return Draft201909Validator(main, registry=registry)
