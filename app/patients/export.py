"""Everything Consilium holds about one patient, as their centre hands it over on request (patients' rights): the
identifying data, the consents and the enrolment, the record's history, and the pseudonymised clinical record of each
panel (consultation answers, contributions, outcome), documents listed by name, type and date (never the files).

One structure (``held``) is built and then written as JSON (machine-readable, for another system) or as a PDF (for
the patient, fpdf2 as the panel reports). For a reader the services already allowed and audited; no transaction here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.documents.models import Document
from app.i18n import display_date
from app.i18n import display_datetime
from app.panels.models import Contribution
from app.panels.models import Outcome
from app.panels.models import Panel
from app.patients import history
from app.patients.models import Patient
from app.pdf import PdfDocument
from app.tasks.display import answer_text
from app.tasks.form_definitions import FormDefinition
from app.tasks.form_definitions import load_form_definitions
from app.tasks.forms import definition_for

FORMAT = "consilium-patient-record/1"
MEDIA_WORDS = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG", "application/dicom": "DICOM"}
# The fonts of the panel reports (app/panels/report.py), for names in any European script; else the PDF core font.


def held(patient: Patient, reader: User) -> dict[str, Any]:
    """What is held about the patient, as plain data (dates and times as objects; as_json and as_pdf write them)."""
    erased = patient.identifying_erased_at is not None
    return {
        "format": FORMAT,
        "produced": {"at": utcnow(), "by": reader.full_name},
        "patient": {
            "cpms_id": patient.cpms_id,
            "ern": {"code": patient.ern.code, "name": patient.ern.name},
            "centre": {"code": patient.centre.code, "name": patient.centre.name},
            "first_name": None if erased else patient.first_name,
            "last_name": None if erased else patient.last_name,
            "date_of_birth": None if erased else patient.date_of_birth,
            "record_label": None if erased else patient.record_label,
            "gender": patient.gender,
            "identifying_data_erased_at": patient.identifying_erased_at,
        },
        "enrolment": {
            "enrolled_on": patient.enrolled_on,
            "enrolled_by": patient.enrolled_by.full_name if patient.enrolled_by else None,
            "frozen": patient.frozen,
            "frozen_reason": patient.frozen_reason or None,
        },
        "consents": {
            "care": {"given": patient.consent_care, "date": patient.consent_care_date},
            "registries": {
                "given": patient.consent_registry,
                "date": patient.consent_registry_date,
                "registry": patient.registry_name or None,
            },
            "research_contact": {"given": patient.consent_research, "date": patient.consent_research_date},
        },
        "record_history": [
            {
                "what": entry.what,
                "at": entry.at,
                "by": entry.by or None,
                "note": entry.note or None,
                "changes": [{"field": c.label, "before": c.before, "after": c.after} for c in entry.changes],
            }
            for entry in history.entries(patient.id)
        ],
        "documents": _documents(Document.patient_id == patient.id, Document.panel_id.is_(None)),
        "panels": [_panel(panel) for panel in db.session.scalars(select(Panel).where(Panel.patient_id == patient.id).order_by(Panel.id))],
    }


def _panel(panel: Panel) -> dict[str, Any]:
    outcome = db.session.scalar(select(Outcome).where(Outcome.panel_id == panel.id))
    contributions = db.session.scalars(select(Contribution).where(Contribution.panel_id == panel.id).order_by(Contribution.created_at))
    return {
        "panel": panel.title,
        "ern": panel.ern.code,
        "thematic_area": panel.thematic_area.name,
        "centre": panel.centre.code,
        "status": panel.status_label,
        "opened_at": panel.created_at,
        "closed_at": panel.closed_at,
        "lead": panel.lead.full_name if panel.lead else None,
        "consultation": {"submitted_at": panel.consultation_submitted_at, "answers": _answers(panel)},
        "contributions": [
            {
                "by": c.author.full_name if c.author else None,
                "at": c.created_at,
                "minutes_spent": c.minutes_spent,
                "text": c.text,
            }
            for c in contributions
        ],
        "outcome": None if outcome is None else _outcome(outcome),
        "documents": _documents(Document.panel_id == panel.id),
    }


def _outcome(outcome: Outcome) -> dict[str, Any]:
    return {
        "case_question": outcome.case_question,
        "recommendations": outcome.recommendations,
        "diagnosis_codes": outcome.diagnosis_codes,
        "follow_up": outcome.follow_up,
        "signed_by": outcome.signed_by.full_name if outcome.signed_by else None,
        "signed_at": outcome.signed_at,
        "addenda": [{"by": a.author.full_name if a.author else None, "at": a.created_at, "text": a.text} for a in outcome.addenda],
    }


@dataclass(frozen=True)
class _PanelTask:
    """What ``definition_for`` reads of a task: the consultation form of a panel, in the version the panel was filled with."""

    subject_id: int
    subject_type: str = "panel"
    form_key: str = "consultation"


def _consultation_form(panel: Panel) -> FormDefinition:
    return definition_for(_PanelTask(panel.id), load_form_definitions(current_app.config["FORMS_DIR"]))


def _answers(panel: Panel) -> list[dict[str, str]]:
    """The consultation form's answered questions, section by section, as the pages put them in words."""
    if not panel.consultation:
        return []
    return [
        {"section": section.title, "question": field.label, "answer": text}
        for section in _consultation_form(panel).sections
        for field in section.fields
        if (text := answer_text(field, panel.consultation.get(field.name)))
    ]


def _documents(*where: Any) -> list[dict[str, Any]]:
    """Files by name, type and date; DICOM images one entry per series (a study is not hundreds of entries)."""
    found: list[dict[str, Any]] = []
    series: dict[str, dict[str, Any]] = {}
    for document in db.session.scalars(select(Document).where(*where).order_by(Document.uploaded_at, Document.id)):
        if document.series_uid:
            entry = series.get(document.series_uid)
            if entry is not None:
                entry["images"] += 1
                continue
            entry = series[document.series_uid] = {"name": document.series_label, "type": "DICOM", "images": 1}
        else:
            entry = {"name": document.title, "type": MEDIA_WORDS.get(document.media_type, document.media_type)}
        entry.update(kind=document.kind, uploaded_at=document.uploaded_at)  # document, summary (of the case), consent (signed)
        found.append(entry)
    return found


def as_json(record: dict[str, Any]) -> bytes:
    """The record as UTF-8 JSON, dates as ISO 8601 (times in UTC)."""
    return json.dumps(record, ensure_ascii=False, indent=2, default=_iso).encode()


def _iso(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def as_pdf(record: dict[str, Any]) -> bytes:
    """The record as a document to hand to the patient: identifying data first, then each panel."""
    patient = record["patient"]
    title = _("Record of patient %(cpms_id)s", cpms_id=patient["cpms_id"])
    pdf = _Document(title, f"Consilium · {patient['ern']['code']} · {patient['cpms_id']} · {_('Copy of the record')}")
    pdf.title_block(title)
    pdf.paragraph(
        _(
            "Everything Consilium holds about the patient, produced at their request by their centre on %(when)s by %(who)s. "
            "The files themselves are listed, not included: the centre hands them over separately.",
            when=_when(record["produced"]["at"]),
            who=record["produced"]["by"],
        ),
        size=9,
    )

    pdf.heading(_("Identifying data (kept at the patient's centre only)"))
    erased = patient["identifying_data_erased_at"]
    pdf.labelled(
        [
            (_("CPMS ID"), patient["cpms_id"]),
            (_("Network (ERN)"), f"{patient['ern']['code']} - {patient['ern']['name']}"),
            (_("Centre"), f"{patient['centre']['code']} - {patient['centre']['name']}"),
            *(
                [(_("Identifying data"), _("erased on %(date)s", date=_when(erased)))]
                if erased
                else [
                    (_("Last name"), patient["last_name"]),
                    (_("First name"), patient["first_name"]),
                    (_("Date of birth"), display_date(patient["date_of_birth"])),
                    (_("Record label"), patient["record_label"]),
                ]
            ),
            (_("Gender"), patient["gender"].capitalize()),
        ]
    )

    pdf.heading(_("Enrolment and consents"))
    enrolment, consents = record["enrolment"], record["consents"]
    pdf.labelled(
        [
            (_("Enrolled"), display_date(enrolment["enrolled_on"])),
            (_("Enrolled by"), enrolment["enrolled_by"] or ""),
            (_("Frozen"), _yes(enrolment["frozen"]) + (f": {enrolment['frozen_reason']}" if enrolment["frozen_reason"] else "")),
            (_("Consent for care"), _consent(consents["care"])),
            (_("Consent for registries"), _consent(consents["registries"], consents["registries"]["registry"])),
            (_("Consent to be contacted for research"), _consent(consents["research_contact"])),
        ],
        label_width=70,
    )

    if record["record_history"]:
        pdf.heading(_("History of the record"))
        for entry in record["record_history"]:
            pdf.subheading(" · ".join(filter(None, (entry["what"], _when(entry["at"]), entry["by"]))))
            lines = [f"{c['field']}: {c['before']} → {c['after']}" for c in entry["changes"]]
            pdf.paragraph("\n".join(filter(None, [*lines, entry["note"]])) or "-", size=9)

    pdf.heading(_("Documents at the centre"))
    pdf.documents(record["documents"])

    pdf.heading(_("Panels"))
    if not record["panels"]:
        pdf.paragraph(_("No panel."))
    for panel in record["panels"]:
        _write_panel(pdf, panel)

    pdf.heading(_("Please note"))
    pdf.paragraph(
        _(
            "Outside the patient's centre the patient is known by the CPMS ID only: the panels' experts never see the name or "
            "the date of birth. A panel's advice supported, and did not replace, the judgement of the treating physician."
        ),
        size=9,
    )
    return pdf.render()


def _write_panel(pdf: _Document, panel: dict[str, Any]) -> None:
    pdf.heading(_("Panel %(title)s", title=panel["panel"]))
    pdf.labelled(
        [
            (_("Thematic area"), panel["thematic_area"]),
            (_("Status"), panel["status"]),
            (_("Opened"), _when(panel["opened_at"])),
            (_("Closed"), _when(panel["closed_at"])),
            (_("Panel lead"), panel["lead"] or ""),
        ]
    )
    pdf.subheading(_("Consultation form"))
    if not panel["consultation"]["answers"]:
        pdf.paragraph(_("Not submitted."))
    for answer in panel["consultation"]["answers"]:
        pdf.paragraph(f"{answer['question']}: {answer['answer']}", size=9)
    pdf.subheading(_("Contributions"))
    if not panel["contributions"]:
        pdf.paragraph(_("None."))
    for contribution in panel["contributions"]:
        pdf.paragraph(f"{contribution['by'] or '-'} · {_when(contribution['at'])}\n{contribution['text']}", size=9)
    pdf.subheading(_("Outcome"))
    outcome = panel["outcome"]
    if outcome is None:
        pdf.paragraph(_("None yet."))
    else:
        pdf.labelled(
            [
                (_("Question to the panel"), outcome["case_question"]),
                (_("Recommendations"), outcome["recommendations"]),
                (_("Diagnosis codes"), outcome["diagnosis_codes"]),
                (_("Follow-up"), outcome["follow_up"]),
                (_("Signed off by"), outcome["signed_by"] or ""),
                (_("Signed off on"), _when(outcome["signed_at"]) or _("not signed")),
            ]
        )
        for addendum in outcome["addenda"]:
            said = _("Addendum by %(name)s, %(time)s", name=addendum["by"] or "-", time=_when(addendum["at"]))
            pdf.paragraph(f"{said}\n{addendum['text']}")
    pdf.subheading(_("Documents of the panel"))
    pdf.documents(panel["documents"])


def _when(value: datetime | None) -> str:
    return f"{display_datetime(value)} ({get_timezone()})" if value else ""


def _yes(value: bool) -> str:
    return _("Yes") if value else _("No")


def _consent(consent: dict[str, Any], detail: str | None = None) -> str:
    said = f"{_yes(consent['given'])}: {detail}" if detail else _yes(consent["given"])
    return f"{said} ({display_date(consent['date'])})" if consent["date"] else said


class _Document(PdfDocument):
    """The copy of the record: a running header with the CPMS ID (never the name), the documents as a table."""

    def documents(self, documents: list[dict[str, Any]]) -> None:
        if not documents:
            self.paragraph(_("None."))
            return
        self.set_font(self.family, "", 9)
        with self.table(col_widths=(90, 40, 44), text_align="LEFT", line_height=5, padding=1) as table:
            table.row([self.text_of(_("Name")), self.text_of(_("Type")), self.text_of(_("Added"))])
            for document in documents:
                kind = document["type"]
                if "images" in document:
                    kind = ngettext("DICOM, %(num)d image", "DICOM, %(num)d images", document["images"])
                elif document["kind"] == "consent":
                    kind = _("%(type)s, signed consent form", type=kind)
                elif document["kind"] == "summary":
                    kind = _("%(type)s, case summary", type=kind)
                table.row([self.text_of(document["name"]), self.text_of(kind), self.text_of(_when(document["uploaded_at"]))])
        self.ln(3)
