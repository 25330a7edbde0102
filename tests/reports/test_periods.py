"""Report years and quarters: calendar years by default, financial years by setting."""

from datetime import date

import pytest

from lfr_portal.selectors.period_figures import report_quarter, report_year, reportable_years


def test_a_calendar_year_and_its_quarters(settings):
    settings.LFR_REPORT_YEAR_START_MONTH = 1
    year = report_year(2025)
    assert (year.start, year.end, year.label) == (date(2025, 1, 1), date(2026, 1, 1), "2025")
    q4 = report_quarter(2025, 4)
    assert (q4.start, q4.last_day, q4.label) == (date(2025, 10, 1), date(2025, 12, 31), "Q4 2025")


def test_a_financial_year_runs_april_to_march(settings):
    settings.LFR_REPORT_YEAR_START_MONTH = 4
    year = report_year(2025)
    assert (year.start, year.last_day, year.label) == (
        date(2025, 4, 1),
        date(2026, 3, 31),
        "2025-26",
    )
    q4 = report_quarter(2025, 4)
    assert (q4.start, q4.last_day) == (date(2026, 1, 1), date(2026, 3, 31))
    # In February 2027 the current financial year is still 2026-27.
    assert reportable_years(today=date(2027, 2, 10))[-1] == 2026
    assert reportable_years(today=date(2027, 4, 1))[-1] == 2027


def test_a_fifth_quarter_does_not_exist():
    with pytest.raises(ValueError, match="1, 2, 3 or 4"):
        report_quarter(2025, 5)
