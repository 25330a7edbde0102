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
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, LongTable, Paragraph, SimpleDocTemplate, Spacer

from .period_charts import Chart
from .period_report_sections import Section
from .report_render import CELL_LIMIT, GRID, STYLES

WIDTH = 174 * mm


def _p(text: Any, style: str = "BodyText") -> Paragraph:
    return Paragraph(escape(str(text)), STYLES[style])


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Flowable:
    data = [[_p(str(cell)[:CELL_LIMIT]) for cell in row] for row in rows]
    if not data:
        return _p("None recorded.")
    table = LongTable([[_p(h) for h in header], *data], repeatRows=1)
    table.setStyle(GRID)
    return table


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
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, title=title, leftMargin=18 * mm, rightMargin=18 * mm
    ).build(story)
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
    """The pack: front, the quarter's figures, then each list (heading, header, rows)."""
    story = [*_front(title, data, data["notes"]), *_sections(sections)]
    for heading, header, rows in lists:
        story += [_p(heading, "Heading2"), _table(header, rows)]
    story += _charts(charts)
    return _build(title, story)
