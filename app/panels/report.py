"""The consultation form and the signed outcome as PDF documents a hospital can file (fpdf2).

Pseudonymised: the patient is the CPMS ID, never a name. Times are in the reader's time zone, formatted as the pages
format them (app/i18n.py), with the zone named; partial dates read as they were typed (03/2026).
"""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime
from typing import Any

from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import ngettext

from app.database import utcnow
from app.i18n import display_date
from app.i18n import display_datetime
from app.panels.models import ConsultationVersion
from app.panels.models import Contribution
from app.panels.models import InvitationStatus
from app.panels.models import Outcome
from app.panels.models import Panel
from app.pdf import PdfDocument
from app.tasks.display import answer_text
from app.tasks.form_definitions import FieldDefinition
from app.tasks.form_definitions import FormDefinition
from app.terminology.catalogue import HPO
from app.terminology.catalogue import ICD10
from app.terminology.catalogue import ORPHA
from app.terminology.catalogue import catalogue

# Codes written in the outcome's free-text field: ORPHA:85443, HP:0001250, E85.8.
_CODE = re.compile(r"\b(?:(ORPHA)\s*:?\s*(\d{1,7})|(HP:\d{7})|([A-Z]\d{2}(?:\.\d{1,4})?))\b", re.IGNORECASE)


def _when(value: datetime | None) -> str:
    """A time as the pages show it, in the reader's time zone, with the zone named (a filed copy travels)."""
    if value is None:
        return ""
    return f"{display_datetime(value)} ({get_timezone()})"


def _patient_rows(panel: Panel, *more: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        (_("Network (ERN)"), f"{panel.ern.code} - {panel.ern.name}"),
        (_("Thematic area"), panel.thematic_area.name),
        (_("Centre"), panel.centre.display_name),
        (_("Panel"), panel.title),
        (_("Patient (CPMS ID)"), panel.patient.cpms_id or ""),
        *more,
        (_("Produced"), _when(utcnow())),
    ]


def _running_header(panel: Panel, what: str) -> str:
    return f"Consilium · {panel.ern.code} · {_('Panel')} {panel.title} · {panel.patient.cpms_id or ''} · {what}"


def _as_typed(field: FieldDefinition, value: Any) -> Any:
    """Dates as the pages write them (05/Feb/2026), partial dates as they were typed (03/2026, 2026); groups entry by entry."""
    if field.type == "group" and isinstance(value, list):
        subfields = {sub.name: sub for sub in field.entry_fields}
        return [
            {name: _as_typed(subfields[name], item) if name in subfields else item for name, item in entry.items()}
            if isinstance(entry, dict)
            else entry
            for entry in value
        ]
    if field.type not in ("date", "partial_date") or not isinstance(value, str | date):
        return value
    text = value.isoformat() if isinstance(value, date) else value
    parts = text.split("-")
    if not all(part.isdigit() for part in parts):
        return value
    if field.type == "date" and len(parts) == 3:
        return display_date(date(int(parts[0]), int(parts[1]), int(parts[2])))
    return "/".join(reversed(parts))


def consultation_pdf(panel: Panel, form: FormDefinition, version: ConsultationVersion | None = None) -> bytes:
    """The submitted consultation form (its current version), section by section (only answered fields)."""
    title = _("Consultation form")
    pdf = PdfDocument(f"{_('Panel')} {panel.title} - {title}", _running_header(panel, title))
    pdf.title_block(title)
    rows = [(_("Submitted"), _when(panel.consultation_submitted_at) or _("not submitted"))]
    if version is not None:
        by = version.submitted_by.full_name if version.submitted_by else ""
        said = _("%(number)s, of %(when)s by %(who)s", number=version.number, when=_when(version.submitted_at), who=by)
        rows.append((_("Version"), said))
    pdf.labelled(_patient_rows(panel, *rows))
    for section in form.sections:
        answered = [(field, answer_text(field, _as_typed(field, panel.consultation.get(field.name)))) for field in section.fields]
        answered = [(field, text) for field, text in answered if text]
        if not answered:
            continue
        pdf.heading(section.title)
        for field, text in answered:
            pdf.subheading(field.label)
            pdf.paragraph(text)
    return pdf.render()


def diagnosis_lines(text: str) -> list[str]:
    """The outcome's diagnosis codes, each with its label ("ORPHA:85443 AL amyloidosis"), then whatever else was
    written there, as written."""
    matches = list(_CODE.finditer(text))
    if not matches:
        return [text.strip()] if text.strip() else []
    terms = catalogue()  # built in the background at start-up (app/factory.py)
    lines, rest = [], text
    for match in matches:
        orpha_number, hpo_code, icd_code = match.group(2), match.group(3), match.group(4)
        if orpha_number:
            term = terms.lookup(ORPHA, orpha_number)
        else:
            term = terms.lookup(HPO, hpo_code) if hpo_code else terms.lookup(ICD10, icd_code)
        if term is not None:
            lines.append(f"{term.code} {term.label}")
            rest = rest.replace(match.group(0), " ", 1)
    rest = rest.strip(" \t\r\n,;/")
    return [*lines, rest] if rest else lines


def _duration(minutes: int) -> str:
    return _("%(hours)d h %(minutes)02d min", hours=minutes // 60, minutes=minutes % 60)


def outcome_pdf(panel: Panel, outcome: Outcome, contributions: list[Contribution]) -> bytes:
    """The signed outcome as a document to file: who advised (and their specialties), on what question, what they
    contributed, the advice with its codes named, who signed it off and when, addenda, and what the advice is not."""
    title = _("Outcome of the expert panel")
    pdf = PdfDocument(f"{_('Panel')} {panel.title} - {title}", _running_header(panel, _("Outcome")))
    pdf.title_block(title)
    pdf.labelled(_patient_rows(panel))

    pdf.heading(_("Panel members"))
    members = [m for m in panel.members if m.status == InvitationStatus.ACCEPTED or m.user_id == panel.lead_id]
    members.sort(key=lambda m: (m.user_id != panel.lead_id, m.user.last_name, m.user.first_name))
    rows: list[tuple[str, str, str, str]] = []
    for member in members:
        centres = sorted({ms.centre.display_name for ms in member.user.memberships if ms.ern_id == panel.ern_id and ms.centre is not None})
        role = _("Panel lead") if member.user_id == panel.lead_id else _("Member")
        rows.append((member.user.full_name, member.user.specialisation or "-", ", ".join(centres) or "-", role))
    pdf.rows((_("Name"), _("Specialty"), _("Centre"), _("Role")), rows, (45, 40, 65, 24))

    pdf.heading(_("Question to the panel"))
    pdf.paragraph(outcome.case_question)

    pdf.heading(_("Contributions"))
    experts = len({c.author_id for c in contributions})
    pdf.paragraph(
        " ".join(
            (
                ngettext("%(num)d contribution", "%(num)d contributions", len(contributions)),
                ngettext("from %(num)d expert;", "from %(num)d experts;", experts),
                _("time spent in all: %(time)s.", time=_duration(sum(c.minutes_spent for c in contributions))),
            )
        )
    )
    for contribution in contributions:
        author = contribution.author
        who = f"{author.full_name} ({author.specialisation})" if author and author.specialisation else (author.full_name if author else "-")
        pdf.subheading(f"{who} · {_when(contribution.created_at)} · {_duration(contribution.minutes_spent)}")
        pdf.paragraph(contribution.text)

    pdf.heading(_("Outcome"))
    pdf.subheading(_("Recommendations"))
    pdf.paragraph(outcome.recommendations)
    pdf.subheading(_("Diagnosis codes"))
    pdf.paragraph("\n".join(diagnosis_lines(outcome.diagnosis_codes)) or "-")
    pdf.subheading(_("Follow-up"))
    pdf.paragraph(outcome.follow_up)

    pdf.heading(_("Sign-off"))
    signer = outcome.signed_by.full_name if outcome.signed_by else "-"
    pdf.labelled([(_("Signed off by"), signer), (_("Signed off on"), _when(outcome.signed_at) or _("not signed"))])
    for addendum in outcome.addenda:
        author_name = addendum.author.full_name if addendum.author else "-"
        pdf.subheading(_("Addendum by %(name)s, %(time)s", name=author_name, time=_when(addendum.created_at)))
        pdf.paragraph(addendum.text)

    pdf.heading(_("Please note"))
    pdf.paragraph(
        _(
            "This document holds pseudonymised data only: the patient is named by the CPMS ID, which only the patient's "
            "own centre can link to the person. The panel's advice rests on the information shared with it. It supports, "
            "and does not replace, the judgement of the treating physician, who remains responsible for the patient's care."
        ),
        size=9,
    )
    return pdf.render()
