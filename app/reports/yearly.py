"""The yearly report of an ERN's virtual consultations for the European Commission, as one PDF (small cells
suppressed: it leaves the ERN)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.pdf import PdfDocument
from app.reports.queries import Report
from app.reports.tables import Cells
from app.reports.tables import Section
from app.reports.tables import centres_section
from app.reports.tables import closed_section
from app.reports.tables import countries_section
from app.reports.tables import follow_up_section
from app.reports.tables import invitations_section
from app.reports.tables import panels_section
from app.reports.tables import times_section


def yearly_pdf(ern_code: str, ern_name: str, year: int, result: Report) -> bytes:
    """Panels opened and closed, time to advice, contributing centres and countries, invitations, follow-up."""
    cells = Cells(result.threshold, suppress=True)
    title = _("Virtual consultations of %(ern)s in %(year)s", ern=ern_code, year=year)
    document = PdfDocument(title, f"{ern_code} - {ern_name}")
    document.title_block(title)
    document.paragraph(
        _(
            "Counts from 1 to %(n)s are shown as \u201c< %(threshold)s\u201d (small-cell suppression), and so are the times, "
            "minutes and rates measured on so few cases; a count marked \u201chidden\u201d is withheld so that no small one "
            "can be worked out from a total.",
            n=result.threshold - 1,
            threshold=result.threshold,
        ),
        size=9,
    )
    contributing = [c for c in result.centres if c.code]
    document.labelled(
        [
            (_("Period"), f"{result.period.start:%Y-%m-%d} - {result.period.end:%Y-%m-%d}"),
            (_("Contributing centres"), str(cells.count(len(contributing)))),
            (_("Contributing countries"), str(cells.count(len({c.country for c in contributing})))),
        ]
    )
    for section in (
        panels_section(result, cells),
        closed_section(result, cells),
        times_section(result, cells),
        centres_section(result, cells),
        countries_section(result, cells),
        invitations_section(result, cells),
        follow_up_section(result, cells),
    ):
        _table(document, section)
    return document.render()


def _table(document: PdfDocument, section: Section) -> None:
    document.heading(section.title)
    if not section.rows:
        document.paragraph(_("None in this period."))
        return
    columns = len(section.header)
    first = 70 if columns > 2 else 110
    rest = (174 - first) // max(1, columns - 1)
    widths = (first, *([rest] * (columns - 1)))
    document.rows(section.header, [tuple(str(cell) for cell in row) for row in section.rows], widths)
