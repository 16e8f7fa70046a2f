"""The signed outcome as a PDF report (fpdf2). Pseudonymised: CPMS ID and nickname, never a name of the patient."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from fpdf import FPDF

from app.panels.models import Contribution
from app.panels.models import Outcome
from app.panels.models import Panel
from app.tasks.display import answer_text
from app.tasks.form_definitions import FormDefinition

# A Unicode font where the system has one (Debian: fonts-dejavu-core); otherwise the PDF core font,
# which only knows Latin-1, and text outside it is transliterated (Dvořák → Dvorak).
UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
UNICODE_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


class _Report(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.unicode = UNICODE_FONT.exists() and UNICODE_BOLD.exists()
        if self.unicode:
            self.add_font("report", "", str(UNICODE_FONT))
            self.add_font("report", "B", str(UNICODE_BOLD))
        self.family = "report" if self.unicode else "helvetica"
        self.set_auto_page_break(auto=True, margin=15)

    def text_of(self, value: str) -> str:
        if self.unicode:
            return value
        return "".join(c if ord(c) < 256 else unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode() or "?" for c in value)

    def heading(self, value: str, size: int = 12) -> None:
        self.set_font(self.family, "B", size)
        self.multi_cell(0, 7, self.text_of(value), new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, value: str) -> None:
        self.set_font(self.family, "", 10)
        self.multi_cell(0, 5, self.text_of(value or "-"), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)


def consultation_pdf(panel: Panel, form: FormDefinition) -> bytes:
    """The submitted consultation form, section by section (only answered fields)."""
    pdf = _Report()
    pdf.set_title(f"Panel {panel.title} - consultation form")
    pdf.add_page()
    pdf.heading(f"Consilium - consultation form of panel {panel.title}", 15)
    submitted = panel.consultation_submitted_at.strftime("%d/%b/%Y %H:%M UTC") if panel.consultation_submitted_at else "not submitted"
    pdf.paragraph(
        f"CPMS ID: {panel.patient.cpms_id}\nERN: {panel.ern.code} - {panel.thematic_area.name}\n"
        f"Centre: {panel.centre.display_name}\nSubmitted: {submitted}"
    )
    for section in form.sections:
        answered = [(field, answer_text(field, panel.consultation.get(field.name))) for field in section.fields]
        answered = [(field, text) for field, text in answered if text]
        if not answered:
            continue
        pdf.heading(section.title)
        for field, text in answered:
            pdf.paragraph(f"{field.label}: {text}")
    return bytes(pdf.output())


def outcome_pdf(panel: Panel, outcome: Outcome, contributions: list[Contribution]) -> bytes:
    """Render the report: header, the signed outcome, addenda and the contributions' authors and time."""
    pdf = _Report()
    pdf.set_title(f"Panel {panel.title} - outcome")
    pdf.add_page()
    pdf.heading(f"Consilium - outcome of panel {panel.title}", 15)
    signed = outcome.signed_at.strftime("%d/%b/%Y %H:%M UTC") if outcome.signed_at else "not signed"
    lead = outcome.signed_by.full_name if outcome.signed_by else ""
    pdf.paragraph(
        f"CPMS ID: {panel.patient.cpms_id}\nERN: {panel.ern.code} - {panel.thematic_area.name}\n"
        f"Centre: {panel.centre.display_name}\nSigned off: {signed} by {lead}"
    )
    for title, text in (
        ("Summary of the case question", outcome.case_question),
        ("Recommendations", outcome.recommendations),
        ("Diagnosis codes", outcome.diagnosis_codes),
        ("Follow-up", outcome.follow_up),
    ):
        pdf.heading(title)
        pdf.paragraph(text)
    for addendum in outcome.addenda:
        pdf.heading(f"Addendum of {addendum.created_at.strftime('%d/%b/%Y')}")
        pdf.paragraph(addendum.text)
    pdf.heading("Contributions")
    total = sum(c.minutes_spent for c in contributions)
    authors = sorted({c.author.full_name for c in contributions if c.author})
    pdf.paragraph(f"{len(contributions)} contribution(s) by {', '.join(authors) or '-'}; time spent {total // 60} h {total % 60} min.")
    return bytes(pdf.output())
