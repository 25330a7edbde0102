"""Reads for the public transparency page and its open data.

Everything here is for people without an account, so it reads named public columns
with `.values()`: free text written for internal use (purpose, justification,
reasons, titles), people and the authorisation snapshot never leave the database.
Each deployment's figures come from correlated subqueries in the same statement as
the row, so a page of deployments, or the totals of a period, is one query.
"""

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextChoices,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils import dateformat, timezone

from ..engines import ENGINE_PROFILES
from ..models import (
    Adjudication,
    Alert,
    Deployment,
    DeploymentStatus,
    Engagement,
    EngagementResult,
    LeafletRecord,
    Outcome,
    SignageRecord,
    UseCase,
)

S = DeploymentStatus
# Rows of public columns and annotated figures, not model instances.
PublicQuerySet = QuerySet[Any, dict[str, Any]]


class PublicStatus(TextChoices):
    """The states the public is told about; an approved deployment is shown as planned."""

    PLANNED = "planned", "Planned"
    LIVE = "live", "Live now"
    SUSPENDED = "suspended", "Suspended: too many false alerts"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Stopped early (cancelled)"


def public_q() -> Q:
    # Planned ones are announced ahead unless a critical threat is recorded; those
    # appear once they go live. Cancelled ones appear only if they went live.
    return (
        Q(status__in=(S.LIVE, S.SUSPENDED, S.COMPLETED))
        | Q(status=S.APPROVED, critical_threat_exempt=False)
        | Q(status=S.CANCELLED, went_live_at__isnull=False)
    )


def _count(model: type[Alert] | type[SignageRecord], **filters: Any) -> Coalesce:
    rows = (
        model.objects.filter(deployment=OuterRef("pk"), **filters)
        .order_by()
        .values("deployment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _leaflets() -> Coalesce:
    rows = (
        LeafletRecord.objects.filter(deployment=OuterRef("pk"))
        .order_by()
        .values("deployment")
        .annotate(n=Sum("quantity"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=BigIntegerField()), 0)


def _engagements(**filters: Any) -> Coalesce:
    rows = (
        Engagement.objects.filter(alert__deployment=OuterRef("pk"), **filters)
        .order_by()
        .values("alert__deployment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


FIGURES: dict[str, Callable[[], Coalesce]] = {
    "alerts": lambda: _count(Alert),
    "confirmed_matches": lambda: _count(Alert, adjudication=Adjudication.CONFIRMED),
    "false_alerts": lambda: _count(Alert, adjudication=Adjudication.FALSE_ALERT),
    "unresolved": lambda: _count(Alert, adjudication=Adjudication.UNRESOLVED),
    "awaiting_adjudication": lambda: _count(Alert, adjudication=Adjudication.PENDING),
    "arrests": lambda: _count(Alert, outcome=Outcome.ARREST),
    "signs_recorded": lambda: _count(SignageRecord),
    "leaflets_distributed": _leaflets,
    # What engagement found (selectors.engagement_figures has the full set, per period).
    "engagements": _engagements,
    "confirmed_after_engagement": lambda: _engagements(result=EngagementResult.CONFIRMED_PERSON),
    "misidentified_after_engagement": lambda: _engagements(result=EngagementResult.NOT_THE_PERSON),
}

# The only deployment columns that are ever read for the public.
PUBLIC_COLUMNS = (
    "public_id",
    "status",
    "critical_threat_exempt",
    "starts_at",
    "ends_at",
    "went_live_at",
    "ended_at",
    "location_name",
    "borough",
    "latitude",
    "longitude",
    "radius_m",
    "use_case",
    "engine",
    "threshold",
    "faces_processed",
)


class FalseAlertRates:
    """The two public false-alert rates, for a deployment or a period's totals."""

    faces_processed: int
    alerts: int
    false_alerts: int

    @property
    def false_alerts_per_face(self) -> float | None:
        return self.false_alerts / self.faces_processed if self.faces_processed else None

    @property
    def false_alerts_per_alert(self) -> float | None:
        return self.false_alerts / self.alerts if self.alerts else None


@dataclass(frozen=True)
class PublicDeployment(FalseAlertRates):
    public_id: UUID
    status: str
    critical_threat_exempt: bool
    starts_at: datetime | None
    ends_at: datetime | None
    went_live_at: datetime | None
    ended_at: datetime | None
    location_name: str
    borough: str
    latitude: Decimal
    longitude: Decimal
    radius_m: int
    use_case: str
    engine: str
    threshold: Decimal
    faces_processed: int
    watchlist_size: int | None
    announced_at: datetime | None
    alerts: int
    confirmed_matches: int
    false_alerts: int
    unresolved: int
    awaiting_adjudication: int
    arrests: int
    signs_recorded: int
    leaflets_distributed: int
    engagements: int
    confirmed_after_engagement: int
    misidentified_after_engagement: int
    # Its FOI figures (selectors/foi_figures.with_foi), where a page or file shows them.
    foi: Any = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "PublicDeployment":
        row = {name.removeprefix("n_"): value for name, value in row.items()}
        row["status"] = _public_status(row["status"])
        return cls(**row)

    @property
    def id(self) -> UUID:
        return self.public_id

    @property
    def status_label(self) -> str:
        return str(PublicStatus(self.status).label)

    @property
    def announced_in_advance(self) -> bool:
        return not self.critical_threat_exempt

    @property
    def date(self) -> date | None:
        return timezone.localdate(self.starts_at) if self.starts_at else None

    @property
    def use_case_label(self) -> str:
        return UseCase(self.use_case).label if self.use_case in UseCase.values else "Other"

    @property
    def engine_label(self) -> str:
        profile = ENGINE_PROFILES.get(self.engine)
        return profile.label if profile else self.engine


def _public_status(status: str) -> str:
    return "planned" if status == S.APPROVED else status


def _parse_borough(borough: str | None) -> str:
    return (borough or "").strip()


def public_deployments(
    *, date_from: date | None = None, date_to: date | None = None, borough: str | None = None
) -> PublicQuerySet:
    """Deployments the public may see, newest first, with their figures: one query."""
    queryset = Deployment.objects.filter(public_q())
    if date_from:
        queryset = queryset.filter(starts_at__date__gte=date_from)
    if date_to:
        queryset = queryset.filter(starts_at__date__lte=date_to)
    borough = _parse_borough(borough)
    if borough:
        queryset = queryset.filter(borough__iexact=borough)
    return (
        queryset.annotate(
            watchlist_size=Cast(KT("authorised_snapshot__watchlist_entries"), IntegerField()),
            # A deployment exempt from advance notice is announced when it goes live.
            announced_at=Case(
                When(critical_threat_exempt=True, then=F("went_live_at")),
                default=F("decided_at"),
            ),
            # Prefixed: "alerts" and the like are already names of reverse relations.
            **{f"n_{name}": make() for name, make in FIGURES.items()},
        )
        .order_by(F("starts_at").desc(nulls_last=True), "-pk")
        .values(*PUBLIC_COLUMNS, "watchlist_size", "announced_at", *(f"n_{n}" for n in FIGURES))
    )


class PublicRows:
    """A sliceable sequence of PublicDeployment for Django's Paginator."""

    def __init__(self, queryset: PublicQuerySet) -> None:
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [PublicDeployment.from_row(row) for row in self.queryset[index]]
        return PublicDeployment.from_row(self.queryset[index])

    def __iter__(self) -> Iterator[PublicDeployment]:
        return (PublicDeployment.from_row(row) for row in self.queryset)


def public_deployment_rows(**filters: Any) -> PublicRows:
    return PublicRows(public_deployments(**filters))


def public_deployment_get(public_id: UUID) -> PublicDeployment | None:
    """One public deployment, or None where the public may not see it."""
    row = public_deployments().filter(public_id=public_id).first()
    return PublicDeployment.from_row(row) if row else None


def public_announcements(limit: int = 50) -> list[PublicDeployment]:
    """The most recently announced deployments, for the Atom feed."""
    rows = (
        public_deployments()
        .filter(announced_at__isnull=False)
        .order_by(F("announced_at").desc(), "-pk")[:limit]
    )
    return [PublicDeployment.from_row(row) for row in rows]


def public_boroughs() -> list[str]:
    return list(
        Deployment.objects.filter(public_q())
        .order_by("borough")
        .values_list("borough", flat=True)
        .distinct()
    )


# --- totals ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublicTotals(FalseAlertRates):
    deployments: int
    faces_processed: int
    alerts: int
    confirmed_matches: int
    false_alerts: int
    unresolved: int
    awaiting_adjudication: int
    arrests: int

    @property
    def faces_per_false_alert(self) -> int | None:
        return round(self.faces_processed / self.false_alerts) if self.false_alerts else None


def public_totals(
    *, date_from: date | None = None, date_to: date | None = None, borough: str | None = None
) -> PublicTotals:
    """Figures summed over the public deployments of a period: one aggregate query."""
    queryset = public_deployments(date_from=date_from, date_to=date_to, borough=borough)
    sums = queryset.order_by().aggregate(
        deployments=Count("pk"),
        faces_processed=Coalesce(Sum("faces_processed"), 0),
        alerts=Coalesce(Sum("n_alerts"), 0),
        confirmed_matches=Coalesce(Sum("n_confirmed_matches"), 0),
        false_alerts=Coalesce(Sum("n_false_alerts"), 0),
        unresolved=Coalesce(Sum("n_unresolved"), 0),
        awaiting_adjudication=Coalesce(Sum("n_awaiting_adjudication"), 0),
        arrests=Coalesce(Sum("n_arrests"), 0),
    )
    return PublicTotals(**{name: int(value) for name, value in sums.items()})


def percent(fraction: float | None) -> str | None:
    """A share as a percentage with two significant figures, however small."""
    if fraction is None:
        return None
    if fraction == 0:
        return "0%"
    value = fraction * 100
    places = max(0, 1 - math.floor(math.log10(value)))
    return f"{value:.{places}f}%"


def period_label(date_from: date | None, date_to: date | None) -> str:
    def day(value: date) -> str:
        return dateformat.format(value, "j F Y")

    if date_from and date_to:
        return f"from {day(date_from)} to {day(date_to)}"
    if date_from:
        return f"from {day(date_from)}"
    if date_to:
        return f"up to {day(date_to)}"
    return "all time"
