"""Bar charts drawn on the server as SVG: a title and a description for assistive technology, the value written at the
end of each bar, no script and no style attribute (the page's Content-Security-Policy allows neither). The table
beside each chart carries the same numbers."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

from markupsafe import Markup
from markupsafe import escape

from app.i18n import display_number

BAR = 22
GAP = 6
LABEL_WIDTH = 220
BAR_WIDTH = 300
VALUE_WIDTH = 70
FILL = "#0d6efd"


def bar_chart(chart_id: str, title: str, bars: Sequence[tuple[str, float | int]], unit: str = "") -> Markup:
    """A horizontal bar chart of (label, value), labelled by ``title`` (and its ``<title>``)."""
    numbers = [float(value) for _, value in bars if isinstance(value, Real)]
    top = max(numbers, default=0.0) or 1.0
    height = max(1, len(bars)) * (BAR + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    description = "; ".join(f"{label}: {_number(value)}{unit}" for label, value in bars) or "-"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(description)}</desc>',
    ]
    for position, (label, value) in enumerate(bars):
        y = GAP + position * (BAR + GAP)
        length = BAR_WIDTH * float(value) / top if isinstance(value, Real) else 0
        text_y = y + BAR * 0.7
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{text_y:.1f}" text-anchor="end" font-size="13" fill="#212529">{escape(_short(label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR}" fill="{FILL}"></rect>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{text_y:.1f}" font-size="13" fill="#212529">'
            f"{escape(_number(value))}{escape(unit)}</text>"
        )
    if not bars:
        parts.append(f'<text x="{LABEL_WIDTH}" y="{GAP + BAR * 0.7:.1f}" font-size="13" fill="#6c757d">-</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text and attribute value above is escaped


def _number(value: object) -> str:
    return display_number(value)


def _short(label: str, limit: int = 32) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
