"""Editing a patient's record after enrolment: identifying data, the enrolment date and the three consents.

The form is the enrolment form's (same fields, same rules) except that consent for care may now be withdrawn.
Each change goes to the record's history; what a change implies happens in the same transaction: withdrawn consent
for care freezes the record, withdrawn registry consent withdraws the research release of the patient's panels, and a
new name or birth date must not turn up in a panel's nickname (panels are read outside the centre)."""

from __future__ import annotations

import dataclasses
from datetime import date
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
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.i18n import N_
from app.panels.models import Panel
from app.panels.models import TimelineEntry
from app.patients import history
from app.patients import privacy
from app.patients import queries
from app.patients.models import Patient
from app.patients.services import change_frozen
from app.patients.steps import standard_label
from app.tasks.form_definitions import FieldDefinition
from app.tasks.form_definitions import FormDefinition
from app.tasks.form_definitions import in_language
from app.tasks.form_definitions import load_form_definitions

IDENTIFYING = ("first_name", "last_name", "date_of_birth", "record_label")
CONSENTS = (
    ("consent_care", "consent_care_date"),
    ("consent_registry", "consent_registry_date"),
    ("consent_research", "consent_research_date"),
)
MAX_NOTE = 1000


def edit_form() -> FormDefinition:
    """The enrolment form's fields and rules, without the one that makes consent for care a condition of enrolling."""
    enrolment = in_language(load_form_definitions(current_app.config["FORMS_DIR"])["enrolment"])
    sections = tuple(dataclasses.replace(section, fields=tuple(_editable(f) for f in section.fields)) for section in enrolment.sections)
    by_name = {f.name: f for section in sections for f in section.fields}
    return dataclasses.replace(enrolment, id="patient_record", submit_label=_("Save changes"), sections=sections, by_name=by_name)


def _editable(field: FieldDefinition) -> FieldDefinition:
    return dataclasses.replace(field, must_equal=None, must_equal_message="", default="") if field.name.startswith("consent") else field


def current_answers(patient: Patient) -> dict[str, Any]:
    """The record as the edit form shows it: dates typed as dd/mm/yyyy, consents as yes/no."""
    answers: dict[str, Any] = {}
    for field in edit_form().fields:
        value = getattr(patient, field.name, None)
        if isinstance(value, bool):
            # An optional consent never answered (no, without a date) stays unanswered: no date is asked for it.
            unanswered = not value and field.name != "consent_care" and getattr(patient, f"{field.name}_date", None) is None
            answers[field.name] = "" if unanswered else ("yes" if value else "no")
        elif isinstance(value, date):
            answers[field.name] = value.strftime("%d/%m/%Y")
        else:
            answers[field.name] = value or ""
    return answers


@dataclasses.dataclass(frozen=True)
class Edited:
    patient: Patient
    changed: list[str]
    frozen_now: bool = False
    releases_withdrawn: int = 0


def edit_record(actor: User, patient_id: int, answers: dict[str, Any], note: str, origin: RequestInfo) -> Edited:
    """Take the edited record (answers cleaned by the edit form's rules); keep what changed in the history; audited."""
    with transaction():
        patient = queries.visible_patient(actor, patient_id)
        if patient is None:
            raise NotFound(_("No such patient."))
        if not security.can_change_record(actor, patient):
            raise NotAllowed(_("Only the health professionals of the patient's centre edit the record."))
        if patient.identifying_erased_at is not None:
            raise Conflict(_("This patient's identifying data were erased: the record no longer changes."))
        note = _plain(note)
        new_values = _new_values(patient, answers)
        changes = history.differences(patient, new_values)
        if not changes:
            return Edited(patient, [])
        changed = [c["field"] for c in changes]
        if patient.frozen and set(changed) - {name for pair in CONSENTS for name in pair} - {"registry_name"}:
            raise Conflict(_("This record is frozen: only its consents can change. Unfreeze it first to edit the rest."))
        _check_consent_dates(patient, new_values, changed)
        care_withdrawn = patient.consent_care and not new_values["consent_care"]
        registry_withdrawn = patient.consent_registry and not new_values["consent_registry"]
        for name, value in new_values.items():
            setattr(patient, name, value)
        patient.refresh_search_text()
        if set(changed) & set(IDENTIFYING):
            _refuse_identifying_nicknames(patient)
        history.record(patient, "edited", actor, changes, note)
        frozen_now = care_withdrawn and not patient.frozen
        if frozen_now:
            change_frozen(patient, True, _("Consent for care withdrawn."), actor)
        withdrawn = _withdraw_releases(patient, actor) if registry_withdrawn else 0
        audit.record(actor, "patient.edited", "patient", patient.id, origin, fields=changed, releases_withdrawn=withdrawn)
    return Edited(patient, changed, frozen_now, withdrawn)


def _plain(note: str) -> str:
    text = (note or "").strip()
    if len(text) > MAX_NOTE or any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise InvalidInput(_("The reason must be plain text of at most %(n)d characters.", n=MAX_NOTE))
    return text


def _new_values(patient: Patient, answers: dict[str, Any]) -> dict[str, Any]:
    values = {name: answers.get(name) for name in ("first_name", "last_name", "gender", "date_of_birth", "enrolled_on")}
    # An empty label, or the standard one of the earlier values, becomes the standard label of the new values.
    typed = answers.get("record_label") or ""
    was_standard = typed == standard_label(patient.first_name, patient.last_name, patient.date_of_birth, patient.gender)
    if not typed or was_standard:
        typed = standard_label(values["first_name"], values["last_name"], values["date_of_birth"], values["gender"])
    values["record_label"] = typed
    for consent, consent_date in CONSENTS:
        values[consent] = answers.get(consent) == "yes"
        values[consent_date] = answers.get(consent_date)
    values["consent_care_date"] = values["consent_care_date"] or patient.consent_care_date  # the column is never empty
    values["registry_name"] = (answers.get("registry_name") or "") if values["consent_registry"] else ""
    return values


def _check_consent_dates(patient: Patient, new_values: dict[str, Any], changed: list[str]) -> None:
    """A changed consent carries the date it was given or withdrawn: keeping the earlier answer's date would misdate it."""
    errors = {
        consent_date: [_("Give the date of the new answer: this is still the date of the earlier one.")]
        for consent, consent_date in CONSENTS
        if consent in changed and consent_date not in changed and getattr(patient, consent_date) is not None
    }
    if errors:
        raise InvalidInput(_("A changed consent needs the date of the change."), errors)


def _refuse_identifying_nicknames(patient: Patient) -> None:
    """As when a panel is opened: a nickname must not hold the patient's name or birth date, now the new ones."""
    panels = db.session.scalars(select(Panel).where(Panel.patient_id == patient.id).order_by(Panel.id))
    clashing = [f"#{panel.id}" for panel in panels if panel.nickname and privacy.problem_with(panel.nickname, patient)]
    if clashing:
        raise InvalidInput(
            _(
                "The nickname of panel %(panels)s would identify the patient with these names or birth date, and panels are "
                "read outside your centre: change the nickname on the panel's consultation form first, then save this again.",
                panels=", ".join(clashing),
            )
        )


def _withdraw_releases(patient: Patient, actor: User) -> int:
    """Registry consent withdrawn: the ERN's researchers no longer see the patient's released panels."""
    released = list(db.session.scalars(select(Panel).where(Panel.patient_id == patient.id, Panel.released_at.is_not(None))))
    for panel in released:
        panel.released_at = None
        db.session.add(
            TimelineEntry(
                panel_id=panel.id,
                kind="release",
                text="Research release withdrawn: the patient withdrew the registry consent.",
                message=N_("Research release withdrawn: the patient withdrew the registry consent."),
                actor_id=actor.id,
            )
        )
    db.session.flush()
    return len(released)
