"""The annual report and the quarterly oversight pack on screen, as PDF and CSV (staff:
authorising and compliance officers, each generation audited), and the public annual
report on the transparency side (small counts of people suppressed, cached, no login).

Charts are PNG drawn on the server and embedded as data: URIs, so a saved or printed
page keeps them; only these pages let data: images through the Content-Security-Policy.
"""

import io

from csp.decorators import csp_update
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from .. import csv_safe
from ..period_charts import annual_charts
from ..period_report_sections import csv_rows, report_sections, report_title
from ..permissions import can_read_period_reports
from ..public_cache import public_cache
from ..selectors.period_figures import (
    Period,
    period_figures,
    published,
    report_quarter,
    report_year,
    reportable_years,
)
from ..services.period_reports import PeriodReport, annual_report_read, oversight_pack_read
from .common import login_required_view

DATA_IMAGES = csp_update({"img-src": ["data:"]})


def _year(year: int) -> Period:
    if year not in reportable_years():
        raise Http404("No report for that year.")
    return report_year(year)


def _reader_or_404(request: HttpRequest) -> None:
    # Pages a role cannot use do not exist for it.
    if not can_read_period_reports(request.user):
        raise Http404("Not found")


def _csv(rows: list[list], filename: str) -> HttpResponse:
    out = io.StringIO()
    csv_safe.writer(out, lineterminator="\r\n").writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _pdf(report: PeriodReport, filename: str) -> HttpResponse:
    response = HttpResponse(report.pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required_view
def report_index(request: HttpRequest) -> HttpResponse:
    _reader_or_404(request)
    years = [report_year(y) for y in reversed(reportable_years())][:6]
    quarters = {p.year: [report_quarter(p.year, q) for q in (1, 2, 3, 4)] for p in years}
    return render(
        request,
        "reports/index.html",
        {
            "years": [(p, quarters[p.year]) for p in years],
            "start_month": settings.LFR_REPORT_YEAR_START_MONTH,
        },
    )


@DATA_IMAGES
@login_required_view
def annual_report(request: HttpRequest, year: int) -> HttpResponse:
    _reader_or_404(request)
    report = annual_report_read(actor=request.user, period=_year(year), fmt="html")
    return render(request, "reports/annual.html", {"report": report})


@login_required_view
def annual_report_pdf(request: HttpRequest, year: int) -> HttpResponse:
    _reader_or_404(request)
    report = annual_report_read(actor=request.user, period=_year(year), fmt="pdf")
    return _pdf(report, f"lfr-annual-report-{report.period.label}.pdf")


@login_required_view
def annual_report_csv(request: HttpRequest, year: int) -> HttpResponse:
    _reader_or_404(request)
    report = annual_report_read(actor=request.user, period=_year(year), fmt="csv")
    return _csv(csv_rows(report.data), f"lfr-annual-report-{report.period.label}.csv")


def _quarter(year: int, quarter: int) -> Period:
    _year(year)
    if quarter not in (1, 2, 3, 4):
        raise Http404("A quarter is 1, 2, 3 or 4.")
    return report_quarter(year, quarter)


@DATA_IMAGES
@login_required_view
def oversight_pack(request: HttpRequest, year: int, quarter: int) -> HttpResponse:
    _reader_or_404(request)
    report = oversight_pack_read(actor=request.user, period=_quarter(year, quarter), fmt="html")
    # Each cell with its column's name, so a table stacked on a phone still says what is what.
    tables = [
        (heading, header, [list(zip(header, row, strict=True)) for row in rows])
        for heading, header, rows in report.lists
    ]
    return render(request, "reports/oversight.html", {"report": report, "tables": tables})


@login_required_view
def oversight_pack_pdf(request: HttpRequest, year: int, quarter: int) -> HttpResponse:
    _reader_or_404(request)
    report = oversight_pack_read(actor=request.user, period=_quarter(year, quarter), fmt="pdf")
    filename = f"lfr-oversight-pack-{report.period.year}-q{report.period.quarter}.pdf"
    return _pdf(report, filename)


# --- public ---------------------------------------------------------------------------


def public_annual_latest(request: HttpRequest) -> HttpResponse:
    """The transparency page links here: the current report year's public report."""
    return redirect("transparency-annual", year=reportable_years()[-1])


def public_annual_data(year: int) -> dict:
    return published(period_figures(_year(year)))


@DATA_IMAGES
@public_cache
def public_annual_report(request: HttpRequest, year: int) -> HttpResponse:
    # Rendered without the request's context, as every transparency page is.
    data = public_annual_data(year)
    context = {
        "title": report_title(data),
        "data": data,
        "sections": report_sections(data),
        "charts": annual_charts(data, people=False),
        "csv_url": reverse("transparency-annual-csv", args=[year]),
        "json_url": reverse("transparency-annual-json", args=[year]),
        "suppress_below": settings.LFR_PUBLIC_SUPPRESS_BELOW,
    }
    return HttpResponse(render_to_string("reports/public_annual.html", context))


@public_cache
def public_annual_report_csv(request: HttpRequest, year: int) -> HttpResponse:
    data = public_annual_data(year)
    return _csv(csv_rows(data), f"lfr-annual-report-{data['period']['label']}.csv")
