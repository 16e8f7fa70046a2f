"""A4 PDF documents a hospital files (fpdf2): the panels' reports and the copy of a patient's record share this look.

A running header, the page number and the number of pages in the footer, headings that never end a page alone.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from fpdf import FPDF

# Unicode fonts, the first a system has (Debian: fonts-liberation, fonts-dejavu-core); otherwise the PDF core font,
# which only knows Latin-1, and text outside it is transliterated (Dvořák → Dvorak). Liberation Sans comes first:
# fpdf2 reads the whole font file for every document, and DejaVu Sans, with three times its glyphs, cost half of
# each PDF's time (benchmarks/pdf_bench.py).
FONTS = (
    (
        Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
        Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    ),
    (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
)
GREY = (90, 90, 90)


@cache
def _font_files() -> tuple[Path, Path] | None:
    return next(((regular, bold) for regular, bold in FONTS if regular.exists() and bold.exists()), None)


class PdfDocument(FPDF):
    """An A4 document: a running header naming the panel, the page number and the number of pages in the footer."""

    def __init__(self, title: str, running_header: str) -> None:
        super().__init__(format="A4")
        fonts = _font_files()
        self.unicode = fonts is not None
        if fonts is not None:
            self.add_font("body", "", str(fonts[0]))
            self.add_font("body", "B", str(fonts[1]))
        self.family = "body" if self.unicode else "helvetica"
        self.running_header = self.text_of(running_header)
        self.set_title(title)
        self.set_author("Consilium")
        self.set_creator("Consilium")
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=20)
        self.add_page()

    def text_of(self, value: str) -> str:
        if self.unicode:
            return value
        return "".join(c if ord(c) < 256 else unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode() or "?" for c in value)

    def header(self) -> None:
        self.set_font(self.family, "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 4, self.running_header, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*GREY)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.set_text_color(0, 0, 0)
        self.ln(5)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(self.family, "", 8)
        self.set_text_color(*GREY)
        # fpdf2 replaces its alias of the page count once the last page is known.
        self.cell(0, 4, self.text_of(_("Page %(page)s of %(pages)s", page=self.page_no(), pages=self.str_alias_nb_pages)), align="C")
        self.set_text_color(0, 0, 0)

    def title_block(self, value: str) -> None:
        self.set_font(self.family, "B", 16)
        self.multi_cell(0, 8, self.text_of(value), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def heading(self, value: str) -> None:
        if self.will_page_break(20):  # a heading never ends a page alone
            self.add_page()
        self.ln(2)
        self.set_font(self.family, "B", 12)
        self.multi_cell(0, 6, self.text_of(value), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def subheading(self, value: str) -> None:
        if self.will_page_break(15):
            self.add_page()
        self.set_font(self.family, "B", 10)
        self.multi_cell(0, 5, self.text_of(value), align="L", new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, value: str, size: float = 10) -> None:
        self.set_font(self.family, "", size)
        self.multi_cell(0, size / 2, self.text_of(value or "-"), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def labelled(self, rows: Iterable[tuple[str, str]], label_width: float = 48) -> None:
        """Label: value lines, the labels in a column of their own."""
        for label, value in rows:
            self.set_font(self.family, "B", 10)
            self.cell(label_width, 5, self.text_of(label))
            self.set_font(self.family, "", 10)
            self.multi_cell(0, 5, self.text_of(value or "-"), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def rows(self, headings: Sequence[str], rows: Sequence[Sequence[str]], widths: tuple[int, ...]) -> None:
        self.set_font(self.family, "", 9)
        with self.table(col_widths=widths, text_align="LEFT", line_height=5, padding=1) as table:
            table.row([self.text_of(heading) for heading in headings])
            for row in rows:
                table.row([self.text_of(cell) for cell in row])
        self.ln(3)

    def render(self) -> bytes:
        return bytes(self.output())
