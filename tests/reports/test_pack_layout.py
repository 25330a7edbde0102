"""The oversight pack's wide tables: each column is given room for its longest word, and
the rest of the page goes to the columns of longer text."""

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from lfr_portal.period_report_render import CELL, CELL_PADDING, WIDE, _column_widths

HEADER = [
    "Deployment",
    "Start",
    "Faces processed",
    "Alerts",
    "False alerts",
    "Overdue alerts",
    "Engagements",
    "Misidentified",
    "Arrests",
    "Suspensions",
    "Complaints",
    "Review",
]
ROW = [
    "Night-time economy: Oxford Street (Westminster)",
    "08 Apr 2026 19:30",
    "22,271",
    "13",
    "0",
    "0",
    "0",
    "0",
    "8",
    "0",
    "0",
    "Signed off",
]


def word_width(text):
    return max(stringWidth(w, CELL.fontName, CELL.fontSize) for w in text.split()) + CELL_PADDING


def test_a_dozen_columns_keep_every_word_whole_and_fill_the_page():
    widths = _column_widths(HEADER, [ROW] * 5, WIDE)
    assert sum(widths) == pytest.approx(WIDE)
    for index, width in enumerate(widths):
        assert width >= word_width(HEADER[index]) - 1e-6, HEADER[index]
        assert width >= word_width(ROW[index]) - 1e-6, ROW[index]
    # The spare width goes to the long text, not to the one-digit counts.
    assert widths[0] == max(widths)
    assert widths[0] > 2 * widths[HEADER.index("Alerts")]


def test_more_columns_than_the_page_can_hold_shrink_alike():
    header = ["Misidentifications"] * 40
    widths = _column_widths(header, [["0"] * 40], WIDE)
    assert sum(widths) == pytest.approx(WIDE)
    assert len({round(w, 6) for w in widths}) == 1
