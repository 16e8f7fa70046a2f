"""The certificate of a person's contributions for a period, as a PDF (for continuing-education credit and their
hospital's records). It names the person and the panels by number only: nothing about any patient."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from app.accounts.models import User
from app.i18n import display_date
from app.pdf import PdfDocument
from app.recognition.queries import ContributionLine


def duration(minutes: int) -> str:
    """2 h 05 min."""
    return str(_("%(hours)d h %(minutes)02d min", hours=minutes // 60, minutes=minutes % 60))


def certificate_pdf(user: User, start: date, end: date, lines: list[ContributionLine]) -> bytes:
    title = _("Certificate of contributions")
    pdf = PdfDocument(title, f"Consilium · {title}")
    pdf.title_block(title)
    centres = sorted({f"{m.centre.code} {m.centre.name}" for m in user.memberships if m.centre is not None})
    erns = sorted({m.ern.name for m in user.memberships})
    period = _("%(start)s to %(end)s", start=display_date(start), end=display_date(end))
    pdf.labelled(
        [
            (_("Name"), user.full_name),
            (_("Specialisation"), user.specialisation),
            (_("Centre(s)"), "; ".join(centres)),
            (_("ERN(s)"), "; ".join(erns)),
            (_("Period"), period),
        ]
    )
    minutes = sum(line.minutes for line in lines)
    panels = len({line.panel_id for line in lines})
    pdf.paragraph(
        _(
            "%(name)s contributed expert advice to %(panels)d virtual consultation panel(s) of the European Reference "
            "Networks in Consilium during this period, %(count)d contribution(s) in all, for a total time of %(total)s.",
            name=user.full_name,
            panels=panels,
            count=len(lines),
            total=duration(minutes),
        )
    )
    pdf.heading(_("Contributions"))
    rows = [[f"#{line.panel_id}", display_date(line.at.date()), duration(line.minutes)] for line in lines]
    if rows:
        pdf.rows([_("Panel"), _("Date (UTC)"), _("Time spent")], [*rows, [_("Total"), "", duration(minutes)]], (50, 60, 64))
    else:
        pdf.paragraph(_("No contribution in this period."))
    pdf.labelled([(_("Total hours"), f"{minutes / 60:.2f}")])
    pdf.paragraph(_("Issued by Consilium on %(day)s.", day=display_date(date.today())), size=8)
    return pdf.render()
