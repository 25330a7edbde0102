"""Lay out the annual report and the quarterly oversight pack as PDFs: pure, no queries.

The figures come from lfr_portal/selectors/period_figures.py and period_deployments.py,
in the sections of period_report_sections.py; the charts from period_charts.py. The
service that audits each generation is lfr_portal/services/period_reports.py.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    LongTable,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
)

from .period_charts import Chart
from .period_report_sections import Section
from .report_render import CELL_LIMIT, GRID, STYLES

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
# The oversight pack's lists run across a landscape page, in a smaller type, so that a
# dozen columns keep their words whole.
WIDE = landscape(A4)[0] - 2 * MARGIN
CELL = ParagraphStyle("cell", parent=STYLES["BodyText"], fontSize=8, leading=10)
# A list's heading stays on the page with the start of its table.
LIST_HEADING = ParagraphStyle("list-heading", parent=STYLES["Heading2"], keepWithNext=1)
CELL_PADDING = 14  # a grid cell's left and right padding (6 points each), and a little


def _p(text: Any, style: str | ParagraphStyle = "BodyText") -> Paragraph:
    return Paragraph(escape(str(text)), STYLES[style] if isinstance(style, str) else style)


def _table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], width: float | None = None
) -> Flowable:
    """A grid with a repeated header row; given a width, in the small type, each column
    as wide as its longest word and its typical cell ask, within that width."""
    style: str | ParagraphStyle = "BodyText" if width is None else CELL
    texts = [[str(cell)[:CELL_LIMIT] for cell in row] for row in rows]
    if not texts:
        return _p("None recorded.")
    table = LongTable(
        [[_p(h, style) for h in header], *[[_p(t, style) for t in row] for row in texts]],
        repeatRows=1,
        colWidths=None if width is None else _column_widths(header, texts, width),
    )
    table.setStyle(GRID)
    return table


def _column_widths(header: Sequence[str], rows: list[list[str]], width: float) -> list[float]:
    """Each column at least as wide as its longest word in the small type (so no word is
    split), the width left shared by how much longer than that its typical cell is."""

    def text_width(text: str) -> float:
        return stringWidth(text, CELL.fontName, CELL.fontSize) + CELL_PADDING

    floors, wants = [], []
    for index, title in enumerate(header):
        cells = [title, *(row[index] for row in rows)]
        floors.append(max(text_width(word) for cell in cells for word in cell.split() or [""]))
        typical = sorted(cells, key=len)[len(cells) // 2][:40]
        wants.append(max(text_width(typical) - floors[-1], 0.0))
    spare = width - sum(floors)
    if spare <= 0:  # too many columns for whole words: shrink them all alike
        return [floor * width / sum(floors) for floor in floors]
    total = sum(wants)
    return [
        floor + spare * (want / total if total else 1 / len(floors))
        for floor, want in zip(floors, wants, strict=True)
    ]


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%d %b %Y %H:%M") if value else "—"


def _sections(sections: Sequence[Section]) -> list[Flowable]:
    story: list[Flowable] = []
    for section in sections:
        story.append(_p(section.heading, "Heading2"))
        if section.note:
            story.append(_p(section.note))
        story.append(_table(["Figure", "Value"], [(r.label, r.display) for r in section.rows]))
    return story


def _charts(charts: Sequence[Chart]) -> list[Flowable]:
    story: list[Flowable] = [_p("Charts", "Heading2")]
    for chart in charts:
        image = Image(io.BytesIO(chart.png))
        scale = WIDTH / image.drawWidth
        image.drawWidth, image.drawHeight = WIDTH, image.drawHeight * scale
        story += [image, _p(chart.alt), Spacer(1, 3 * mm)]
    return story


def _build(title: str, story: list[Flowable]) -> bytes:
    """Portrait A4 pages, and landscape ones after a NextPageTemplate("landscape")."""
    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, title=title)
    for name, size in (("portrait", A4), ("landscape", landscape(A4))):
        height = size[1] - doc.topMargin - doc.bottomMargin
        frame = Frame(MARGIN, doc.bottomMargin, size[0] - 2 * MARGIN, height, id=name)
        doc.addPageTemplates(PageTemplate(id=name, frames=[frame], pagesize=size))
    doc.build(story)
    return buffer.getvalue()


def _front(title: str, data: dict[str, Any], notes: Sequence[str]) -> list[Flowable]:
    period = data["period"]
    return [
        _p(title, "Title"),
        _p(
            f"From {period['first_day']:%d %B %Y} to {period['last_day']:%d %B %Y}. "
            f"Produced {_when(data['generated_at'])}."
        ),
        *[_p(note) for note in notes],
        Spacer(1, 4 * mm),
    ]


def annual_report_pdf(
    title: str, data: dict[str, Any], sections: Sequence[Section], charts: Sequence[Chart]
) -> bytes:
    story = [*_front(title, data, data["notes"]), *_sections(sections), *_charts(charts)]
    return _build(title, story)


def oversight_pack_pdf(
    title: str,
    data: dict[str, Any],
    sections: Sequence[Section],
    charts: Sequence[Chart],
    lists: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]],
) -> bytes:
    """The pack: front, the quarter's figures, then each list (heading, header, rows) on
    landscape pages, then the charts."""
    story = [*_front(title, data, data["notes"]), *_sections(sections)]
    story += [NextPageTemplate("landscape"), PageBreak()]
    for heading, header, rows in lists:
        story += [_p(heading, LIST_HEADING), _table(header, rows, WIDE)]
    story += [NextPageTemplate("portrait"), PageBreak(), *_charts(charts)]
    return _build(title, story)
