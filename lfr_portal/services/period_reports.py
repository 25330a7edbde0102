"""The annual report and the quarterly oversight pack for staff: exact figures, so each
generation is an audited read (one audit row naming the period and the format).

The figures come from lfr_portal/selectors/period_figures.py and period_deployments.py;
the layout from period_report_sections.py, period_charts.py and period_report_render.py.
The public version (small counts suppressed) needs no account and writes nothing: the
transparency views read `selectors.period_figures.published` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from ..errors import NotPermitted
from ..period_charts import Chart, annual_charts, oversight_charts
from ..period_pack_lists import PackList, pack_lists
from ..period_report_render import annual_report_pdf, oversight_pack_pdf
from ..period_report_sections import Section, report_sections, report_title
from ..permissions import can_read_period_reports
from ..selectors.period_deployments import OversightPack, oversight_pack
from ..selectors.period_figures import Period, period_figures
from .audit import audit_record

FORMATS = ("html", "pdf", "csv", "json")


@dataclass(frozen=True)
class PeriodReport:
    """What a page, a PDF, a CSV or a JSON answer prints; charts only where drawn."""

    title: str
    period: Period
    data: dict[str, Any]
    sections: list[Section]
    charts: list[Chart] = field(default_factory=list)
    lists: list[PackList] = field(default_factory=list)

    def pdf(self) -> bytes:
        if self.lists:
            return oversight_pack_pdf(self.title, self.data, self.sections, self.charts, self.lists)
        return annual_report_pdf(self.title, self.data, self.sections, self.charts)


def _audited(
    actor: AbstractBaseUser | AnonymousUser, action: str, period: Period, fmt: str
) -> None:
    if not can_read_period_reports(actor):
        raise NotPermitted(
            "Only authorising and compliance officers read the annual report and the "
            "oversight pack with exact figures; the public version is on the transparency page."
        )
    if fmt not in FORMATS:
        raise ValueError(f"Unknown report format {fmt!r}.")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=action,
            changes={
                "period": period.label,
                "year": period.year,
                "quarter": period.quarter,
                "format": fmt,
            },
        )


def annual_report_read(
    *, actor: AbstractBaseUser | AnonymousUser, period: Period, fmt: str
) -> PeriodReport:
    """The year's report with exact figures; the read goes on the audit trail first."""
    _audited(actor, "report.annual", period, fmt)
    data = period_figures(period).as_dict()
    charts = annual_charts(data) if fmt in ("html", "pdf") else []
    return PeriodReport(
        title=report_title(data),
        period=period,
        data=data,
        sections=report_sections(data),
        charts=charts,
    )


def _deployment_bars(pack: OversightPack) -> list[tuple[str, int, int]]:
    return [
        (
            f"{row.deployment.starts_at:%d %b} {row.deployment.borough}"
            if row.deployment.starts_at
            else row.deployment.borough,
            row.figures["alerts"],
            row.figures["false_alerts"],
        )
        for row in pack.rows
    ]


def oversight_pack_read(
    *, actor: AbstractBaseUser | AnonymousUser, period: Period, fmt: str
) -> PeriodReport:
    """The quarter's pack for the Police and Crime Commissioner or an ethics panel."""
    _audited(actor, "report.oversight_pack", period, fmt)
    pack = oversight_pack(period)
    data = pack.figures.as_dict()
    charts = oversight_charts(data, _deployment_bars(pack)) if fmt in ("html", "pdf") else []
    return PeriodReport(
        title=report_title(data, "oversight"),
        period=period,
        data=data,
        sections=report_sections(data),
        charts=charts,
        lists=pack_lists(pack),
    )
