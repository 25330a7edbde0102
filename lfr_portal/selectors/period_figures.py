"""A period's figures (a report year or one of its quarters): what the annual report, the
quarterly oversight pack and their public versions print.

A deployment belongs to the period its authorised start falls in (local time, as on the
transparency page), and counts only if it went live; its alerts, engagements, watchlist,
review and suspensions count with it. Complaints count by the day they were received.
Every formula that has a home is read from it: the alert figures from
selectors/transparency.py (FIGURES, FalseAlertRates), what engagement found from
selectors/engagement_figures.py, the adjudication due time from selectors/accuracy.py.
Each group of figures is one aggregate query, so a big year costs the same few queries.

Public outputs go through `published`, which suppresses every count of people with the
one rule in engagement_figures.suppress.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, DurationField, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Now, TruncMonth
from django.utils import timezone

from ..models import (
    AccuracySuspension,
    Alert,
    Complaint,
    Deployment,
    Engagement,
    EngagementResult,
    EntryStatus,
    PostDeploymentReview,
    ReviewStatus,
    WatchlistEntry,
    WatchlistReferenceRecord,
    WatchlistStatus,
)
from .engagement_figures import ARREST, EngagementFigures, engagement_figures, suppress
from .transparency import FIGURES, FalseAlertRates

# The alert figures summed over the period, by their names in transparency.FIGURES.
ALERT_FIGURES = (
    "alerts",
    "confirmed_matches",
    "false_alerts",
    "unresolved",
    "awaiting_adjudication",
    "arrests",
)
# People the officer actually stopped: whose perceived sex and ethnicity may be recorded.
ENGAGED = (EngagementResult.CONFIRMED_PERSON, EngagementResult.NOT_THE_PERSON)


# --- the period -------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """From `start` (inclusive) to `end` (exclusive), local dates."""

    start: date
    end: date
    label: str
    year: int
    quarter: int | None = None

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def bounds(self) -> tuple[datetime, datetime]:
        """The period's first and first-after instants, at local midnight."""
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, datetime.min.time(), tzinfo=zone),
            datetime.combine(self.end, datetime.min.time(), tzinfo=zone),
        )


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def report_year(year: int) -> Period:
    """The report year `year`: a calendar year, or from LFR_REPORT_YEAR_START_MONTH of
    `year` to the month before it in the next (a financial year, labelled 2025-26)."""
    month = int(settings.LFR_REPORT_YEAR_START_MONTH)
    start = date(year, month, 1)
    label = str(year) if month == 1 else f"{year}-{(year + 1) % 100:02d}"
    return Period(start=start, end=_add_months(start, 12), label=label, year=year)


def report_quarter(year: int, quarter: int) -> Period:
    """Quarter 1 to 4 of the report year `year`."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError("A quarter is 1, 2, 3 or 4.")
    start = _add_months(report_year(year).start, 3 * (quarter - 1))
    label = f"Q{quarter} {report_year(year).label}"
    return Period(start=start, end=_add_months(start, 3), label=label, year=year, quarter=quarter)


def reportable_years(*, today: date | None = None) -> range:
    """Years a report may be asked for: from 2000 to the current report year."""
    today = today or timezone.localdate()
    current = (
        today.year if today.month >= int(settings.LFR_REPORT_YEAR_START_MONTH) else (today.year - 1)
    )
    return range(2000, current + 1)


def period_deployments(period: Period) -> QuerySet[Deployment]:
    """Deployments whose authorised start falls in the period and that went live."""
    start, end = period.bounds()
    return Deployment.objects.filter(
        went_live_at__isnull=False, starts_at__gte=start, starts_at__lt=end
    )


# --- the figures ------------------------------------------------------------------


@dataclass(frozen=True)
class DeploymentFigures:
    deployments: int
    by_use_case: dict[str, int]
    hours_live: float
    stopped_early: int
    suspended: int
    suspensions: int
    by_month: dict[str, int]


@dataclass(frozen=True)
class AlertFigures(FalseAlertRates):
    faces_processed: int
    alerts: int
    confirmed_matches: int
    false_alerts: int
    unresolved: int
    awaiting_adjudication: int
    arrests: int

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "false_alerts_per_face": self.false_alerts_per_face,
            "false_alerts_per_alert": self.false_alerts_per_alert,
        }


@dataclass(frozen=True)
class WatchlistFigures:
    by_category: dict[str, int]
    entries: int
    under_18_entries: int
    # Entries of destroyed watchlists whose rows are no longer held: their age is unknown.
    entries_not_held: int
    under_18_appearances: int
    # Alerts whose entry is no longer held: whether it was an under-18 is unknown.
    alerts_without_entry: int


@dataclass(frozen=True)
class ComplaintFigures:
    complaints: int
    by_category: dict[str, int]
    by_outcome: dict[str, int]


@dataclass(frozen=True)
class ReviewFigures:
    ended: int
    opened: int
    signed_off: int
    open: int
    overdue: int
    not_opened: int


@dataclass(frozen=True)
class EUFigures:
    requested: int
    granted: int
    refused: int
    awaiting_decision: int
    urgent: int
    by_purpose: dict[str, int]


@dataclass(frozen=True)
class PeriodFigures:
    period: Period
    generated_at: datetime
    deployments: DeploymentFigures
    alerts: AlertFigures
    engagement: EngagementFigures
    later_outcomes: dict[str, int]
    perceived_sex: dict[str, int]
    perceived_ethnicity: dict[str, int]
    watchlists: WatchlistFigures
    complaints: ComplaintFigures
    reviews: ReviewFigures
    eu: EUFigures | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON and CSV: every figure exact (staff outputs only)."""
        return {
            "period": {
                "label": self.period.label,
                "year": self.period.year,
                "quarter": self.period.quarter,
                "first_day": self.period.start,
                "last_day": self.period.last_day,
            },
            "generated_at": self.generated_at,
            "deployments": asdict(self.deployments),
            "alerts": self.alerts.as_dict(),
            "engagement": self.engagement.as_dict(),
            "later_outcomes": self.later_outcomes,
            "perceived_sex": self.perceived_sex,
            "perceived_ethnicity": self.perceived_ethnicity,
            "watchlists": asdict(self.watchlists),
            "complaints": asdict(self.complaints),
            "reviews": asdict(self.reviews),
            "eu": asdict(self.eu) if self.eu else None,
            "notes": list(self.notes),
        }


def _by(queryset: QuerySet[Any], column: str) -> dict[str, int]:
    """Counts per value of `column`, in one grouped query."""
    rows = queryset.order_by().values_list(column).annotate(n=Count("pk"))
    return {str(value or ""): n for value, n in rows}


def _deployment_figures(deployments: QuerySet[Deployment]) -> DeploymentFigures:
    live_for = Coalesce(F("ended_at"), Now()) - F("went_live_at")
    sums = deployments.order_by().aggregate(
        deployments=Count("pk"),
        live=Sum(live_for, output_field=DurationField()),
        stopped_early=Count("pk", filter=Q(stopped_early=True)),
    )
    suspensions = AccuracySuspension.objects.filter(deployment__in=deployments.values("pk"))
    counts = suspensions.order_by().aggregate(
        suspensions=Count("pk"), suspended=Count("deployment", distinct=True)
    )
    months = (
        deployments.order_by()
        .annotate(month=TruncMonth("starts_at"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    live: timedelta | None = sums["live"]
    return DeploymentFigures(
        deployments=sums["deployments"],
        by_use_case=_by(deployments, "use_case"),
        hours_live=round(live.total_seconds() / 3600, 1) if live else 0.0,
        stopped_early=sums["stopped_early"],
        suspended=counts["suspended"],
        suspensions=counts["suspensions"],
        by_month={month.strftime("%Y-%m"): n for month, n in months},
    )


def _alert_figures(deployments: QuerySet[Deployment]) -> AlertFigures:
    annotated = deployments.annotate(**{f"n_{name}": FIGURES[name]() for name in ALERT_FIGURES})
    sums = annotated.order_by().aggregate(
        faces_processed=Coalesce(Sum("faces_processed"), 0),
        **{name: Coalesce(Sum(f"n_{name}"), 0) for name in ALERT_FIGURES},
    )
    return AlertFigures(**{name: int(value) for name, value in sums.items()})


def _watchlist_figures(deployments: QuerySet[Deployment]) -> WatchlistFigures:
    ids = deployments.values("pk")
    approved = WatchlistEntry.objects.filter(
        status=EntryStatus.APPROVED, watchlist__deployment__in=ids
    )
    destroyed = Q(watchlist__status=WatchlistStatus.DESTROYED)
    # Before destruction the entries say what was on the list; after it, the reference
    # numbers kept without images do (the one record that must survive).
    by_category = _by(approved.exclude(destroyed), "category")
    references = WatchlistReferenceRecord.objects.filter(
        deployment__in=ids, deployment__watchlist__status=WatchlistStatus.DESTROYED
    )
    for category, n in _by(references, "category").items():
        by_category[category] = by_category.get(category, 0) + n
    counts = approved.order_by().aggregate(
        under_18=Count("pk", filter=Q(under_18=True)), destroyed=Count("pk", filter=destroyed)
    )
    alerts = Alert.objects.filter(deployment__in=ids).order_by()
    alert_counts = alerts.aggregate(
        under_18=Count("pk", filter=Q(entry__under_18=True)),
        without_entry=Count("pk", filter=Q(entry__isnull=True)),
    )
    return WatchlistFigures(
        by_category=by_category,
        entries=sum(by_category.values()),
        under_18_entries=counts["under_18"],
        entries_not_held=max(0, references.count() - counts["destroyed"]),
        under_18_appearances=alert_counts["under_18"],
        alerts_without_entry=alert_counts["without_entry"],
    )


def _complaint_figures(period: Period) -> ComplaintFigures:
    complaints = Complaint.objects.filter(received_on__gte=period.start, received_on__lt=period.end)
    by_category = _by(complaints, "category")
    return ComplaintFigures(
        complaints=sum(by_category.values()),
        by_category=by_category,
        by_outcome=_by(complaints, "outcome"),
    )


def _review_figures(deployments: QuerySet[Deployment]) -> ReviewFigures:
    reviews = PostDeploymentReview.objects.filter(deployment__in=deployments.values("pk"))
    counts = reviews.order_by().aggregate(
        opened=Count("pk"),
        signed_off=Count("pk", filter=Q(status=ReviewStatus.SIGNED_OFF)),
        open=Count("pk", filter=Q(status=ReviewStatus.OPEN)),
        overdue=Count("pk", filter=Q(status=ReviewStatus.OPEN, due_by__lt=timezone.now())),
    )
    ended = deployments.filter(ended_at__isnull=False)
    return ReviewFigures(
        ended=ended.count(),
        not_opened=ended.filter(review__isnull=True).count(),
        **counts,
    )


def _eu_figures(period: Period) -> EUFigures:
    start, end = period.bounds()
    used_urgently = Q(eu_urgency=True, went_live_at__isnull=False)
    asked = Deployment.objects.filter(starts_at__gte=start, starts_at__lt=end).filter(
        Q(eu_authorisation_requested_at__isnull=False) | used_urgently
    )
    counts = asked.order_by().aggregate(
        requested=Count("pk", filter=Q(eu_authorisation_requested_at__isnull=False)),
        granted=Count("pk", filter=Q(eu_authorisation_decision="granted")),
        refused=Count("pk", filter=Q(eu_authorisation_decision="refused")),
        awaiting_decision=Count(
            "pk",
            filter=Q(eu_authorisation_requested_at__isnull=False, eu_authorisation_decision=""),
        ),
        urgent=Count("pk", filter=used_urgently),
    )
    return EUFigures(by_purpose=_by(asked, "eu_purpose"), **counts)


def _people_by(engagements: QuerySet[Engagement], column: str) -> dict[str, int]:
    return _by(engagements.filter(result__in=ENGAGED), column)


def _notes(watchlists: WatchlistFigures) -> list[str]:
    notes = [
        "Under-18 entries are counted from the watchlist entries still held: a destroyed "
        "watchlist keeps its entries' rows without images or embeddings."
    ]
    if watchlists.entries_not_held:
        notes.append(
            f"{watchlists.entries_not_held} entries of destroyed watchlists are no longer "
            "held, so whether they were under 18 is not known."
        )
    if watchlists.alerts_without_entry:
        notes.append(
            f"{watchlists.alerts_without_entry} alerts no longer name their entry, so "
            "whether the person was under 18 is not known."
        )
    return notes


def period_figures(period: Period, *, eu: bool | None = None) -> PeriodFigures:
    """Every figure of the period, exact; EU AI Act figures where the mode is on."""
    deployments = period_deployments(period)
    engagements = Engagement.objects.filter(alert__deployment__in=deployments.values("pk"))
    watchlists = _watchlist_figures(deployments)
    with_eu = settings.LFR_EU_AI_ACT_MODE if eu is None else eu
    return PeriodFigures(
        period=period,
        generated_at=timezone.now(),
        deployments=_deployment_figures(deployments),
        alerts=_alert_figures(deployments),
        engagement=engagement_figures(engagements),
        later_outcomes=_by(engagements.filter(ARREST), "later_outcome"),
        perceived_sex=_people_by(engagements, "perceived_sex"),
        perceived_ethnicity=_people_by(engagements, "perceived_ethnicity"),
        watchlists=watchlists,
        complaints=_complaint_figures(period),
        reviews=_review_figures(deployments),
        eu=_eu_figures(period) if with_eu else None,
        notes=_notes(watchlists),
    )


# --- public -------------------------------------------------------------------------

# Counts of people: suppressed on public outputs. Deployments, faces and alerts are
# published per deployment on the transparency page already, so they stay exact.
PEOPLE_SECTIONS = (
    "engagement",
    "later_outcomes",
    "perceived_sex",
    "perceived_ethnicity",
    "watchlists",
    "complaints",
)


def _suppressed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _suppressed(v) for k, v in value.items()}
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    return suppress(value)


def published(figures: PeriodFigures) -> dict[str, Any]:
    """The figures as the public may read them: every count of people of fewer than
    LFR_PUBLIC_SUPPRESS_BELOW shown as "fewer than N"; no review findings, no notes on
    individual records, nothing about suspensions beyond their number."""
    data = figures.as_dict()
    for section in PEOPLE_SECTIONS:
        data[section] = _suppressed(data[section])
    data["notes"] = [
        f"Counts of fewer than {settings.LFR_PUBLIC_SUPPRESS_BELOW} people are shown as "
        f'"fewer than {settings.LFR_PUBLIC_SUPPRESS_BELOW}" so that nobody can be singled out.'
    ]
    return data
