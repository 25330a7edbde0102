"""Reads for the public transparency page and its open data.

Everything here is for people without an account, so it reads named public columns
with `.values()`: free text written for internal use (purpose, justification,
reasons, titles), people and the authorisation snapshot never leave the database.
Each deployment's figures come from correlated subqueries in the same statement as
the row, so a page of deployments, or the totals of a period, is one query.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
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
    LeafletRecord,
    Outcome,
    SignageRecord,
    UseCase,
)
from .retention import retention_state

S = DeploymentStatus

PUBLIC_STATUS_LABELS = {
    "planned": "Planned",
    "live": "Live now",
    "suspended": "Suspended: too many false alerts",
    "completed": "Completed",
    "cancelled": "Stopped early (cancelled)",
}


def _public_q():
    # Planned ones are announced ahead unless a critical threat is recorded; those
    # appear once they go live. Cancelled ones appear only if they went live.
    return (
        Q(status__in=(S.LIVE, S.SUSPENDED, S.COMPLETED))
        | Q(status=S.APPROVED, critical_threat_exempt=False)
        | Q(status=S.CANCELLED, went_live_at__isnull=False)
    )


def _count(model, **filters):
    rows = (
        model.objects.filter(deployment=OuterRef("pk"), **filters)
        .order_by()
        .values("deployment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _leaflets():
    rows = (
        LeafletRecord.objects.filter(deployment=OuterRef("pk"))
        .order_by()
        .values("deployment")
        .annotate(n=Sum("quantity"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=BigIntegerField()), 0)


FIGURES = {
    "alerts": lambda: _count(Alert),
    "confirmed_matches": lambda: _count(Alert, adjudication=Adjudication.CONFIRMED),
    "false_alerts": lambda: _count(Alert, adjudication=Adjudication.FALSE_ALERT),
    "unresolved": lambda: _count(Alert, adjudication=Adjudication.UNRESOLVED),
    "awaiting_adjudication": lambda: _count(Alert, adjudication=Adjudication.PENDING),
    "arrests": lambda: _count(Alert, outcome=Outcome.ARREST),
    "signs_recorded": lambda: _count(SignageRecord),
    "leaflets_distributed": _leaflets,
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


@dataclass(frozen=True)
class PublicDeployment:
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

    @property
    def false_alerts_per_face(self):
        return self.false_alerts / self.faces_processed if self.faces_processed else None

    @property
    def false_alerts_per_alert(self):
        return self.false_alerts / self.alerts if self.alerts else None

    @classmethod
    def from_row(cls, row):
        row = {name.removeprefix("n_"): value for name, value in row.items()}
        row["status"] = _public_status(row["status"])
        return cls(**row)

    @property
    def id(self):
        return self.public_id

    @property
    def status_label(self):
        return PUBLIC_STATUS_LABELS[self.status]

    @property
    def announced_in_advance(self):
        return not self.critical_threat_exempt

    @property
    def date(self):
        return timezone.localdate(self.starts_at) if self.starts_at else None

    @property
    def use_case_label(self):
        return UseCase(self.use_case).label if self.use_case in UseCase.values else "Other"

    @property
    def engine_label(self):
        profile = ENGINE_PROFILES.get(self.engine)
        return profile.label if profile else self.engine


def _public_status(status):
    return "planned" if status == S.APPROVED else status


def _parse_borough(borough):
    return (borough or "").strip()


def public_deployments(*, date_from=None, date_to=None, borough=None):
    """Deployments the public may see, newest first, with their figures: one query."""
    queryset = Deployment.objects.filter(_public_q())
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

    def __init__(self, queryset):
        self.queryset = queryset

    def count(self):
        return self.queryset.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [PublicDeployment.from_row(row) for row in self.queryset[index]]
        return PublicDeployment.from_row(self.queryset[index])

    def __iter__(self):
        return (PublicDeployment.from_row(row) for row in self.queryset)


def public_deployment_rows(**filters):
    return PublicRows(public_deployments(**filters))


def public_deployment_get(public_id):
    """One public deployment, or None where the public may not see it."""
    row = public_deployments().filter(public_id=public_id).first()
    return PublicDeployment.from_row(row) if row else None


def public_announcements(limit=50):
    """The most recently announced deployments, for the Atom feed."""
    rows = (
        public_deployments()
        .filter(announced_at__isnull=False)
        .order_by(F("announced_at").desc(), "-pk")[:limit]
    )
    return [PublicDeployment.from_row(row) for row in rows]


def public_boroughs():
    return list(
        Deployment.objects.filter(_public_q())
        .order_by("borough")
        .values_list("borough", flat=True)
        .distinct()
    )


# --- totals ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublicTotals:
    deployments: int
    faces_processed: int
    alerts: int
    confirmed_matches: int
    false_alerts: int
    unresolved: int
    awaiting_adjudication: int
    arrests: int

    @property
    def false_alerts_per_face(self):
        return self.false_alerts / self.faces_processed if self.faces_processed else None

    @property
    def false_alerts_per_alert(self):
        return self.false_alerts / self.alerts if self.alerts else None

    @property
    def faces_per_false_alert(self):
        return round(self.faces_processed / self.false_alerts) if self.false_alerts else None


def public_totals(*, date_from=None, date_to=None, borough=None):
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


def percent(fraction):
    """A share as a percentage with two significant figures, however small."""
    if fraction is None:
        return None
    if fraction == 0:
        return "0%"
    value = fraction * 100
    places = max(0, 1 - math.floor(math.log10(value)))
    return f"{value:.{places}f}%"


# --- one deployment's evidence and retention -------------------------------------


@dataclass(frozen=True)
class PublicSign:
    public_id: UUID
    placed_at: datetime
    removed_at: datetime | None
    photo_published: bool


def public_signage(public_id):
    """The signs recorded for a deployment: when they went up and came down, and whether
    a photo of them is published. Descriptions and who recorded them stay internal."""
    rows = (
        SignageRecord.objects.filter(deployment__public_id=public_id)
        .order_by("placed_at", "pk")
        .values("public_id", "placed_at", "removed_at")
        .annotate(
            photo_published=Case(
                When(_published_photo_q(), then=True),
                default=False,
            )
        )
    )
    return [PublicSign(**row) for row in rows]


def _published_photo_q(prefix=""):
    return (
        Q(**{f"{prefix}photo_published_at__isnull": False})
        & Q(**{f"{prefix}photo_deleted_at__isnull": True})
        & ~Q(**{f"{prefix}photo": ""})
    )


def published_signage_photo(public_id):
    """The signage record whose photo the public may see, or None."""
    visible = Deployment.objects.filter(_public_q()).values("pk")
    return (
        SignageRecord.objects.filter(_published_photo_q(), public_id=public_id)
        .filter(deployment__in=visible)
        .only("public_id", "photo")
        .first()
    )


@dataclass
class PublicRetention:
    lines: list[str] = field(default_factory=list)
    references_kept: bool = False


def _day(value):
    return dateformat.format(timezone.localtime(value), "j F Y") if value else "a date not set"


def _plural(count, one, many):
    return f"{count:,} {one if count == 1 else many}"


def public_retention(public_id, now=None):
    """What the deployment still holds, in words for the public: counts and dates only.

    The internal retention state names who placed a hold and why; that never appears.
    """
    deployment = Deployment.objects.filter(_public_q(), public_id=public_id).first()
    if deployment is None:
        return None
    alert_days = settings.LFR_ALERT_RETENTION.days
    photo_days = settings.LFR_SIGNAGE_PHOTO_RETENTION.days
    destroy_hours = settings.LFR_WATCHLIST_DESTROY_AFTER.total_seconds() / 3600
    lines = []
    holds = []
    for holding in retention_state(deployment, now=now):
        if holding.what == "Alert images":
            lines.append(
                f"{_plural(holding.count, 'alert image is', 'alert images are')} held. Each is "
                f"deleted {alert_days} days after it was taken; the next goes on "
                f"{_day(holding.until)}."
            )
        elif holding.what == "Alert image kept for proceedings":
            holds.append(holding.until)
        elif holding.what == "Watchlist images and embeddings":
            if deployment.status in (S.COMPLETED, S.CANCELLED):
                lines.append(
                    f"The watchlist's {_plural(holding.count, 'image', 'images')} and "
                    f"face templates are due to be destroyed by {_day(holding.until)}."
                )
            else:
                lines.append(
                    f"The watchlist's {_plural(holding.count, 'image', 'images')} and face "
                    f"templates are kept until the deployment ends, and destroyed within "
                    f"{destroy_hours:g} hours of its end."
                )
        elif holding.what == "Signage photos":
            lines.append(
                f"{_plural(holding.count, 'photo of a sign is', 'photos of signs are')} held. "
                f"Each is deleted {photo_days} days after the sign went up; the next goes on "
                f"{_day(holding.until)}."
            )
        else:
            lines.append(
                f"{_plural(holding.count, 'other record is', 'other records are')} held until "
                f"{_day(holding.until)}."
            )
    if holds:
        lines.append(
            f"{_plural(len(holds), 'alert image is', 'alert images are')} kept past the "
            f"usual {alert_days} days because they are needed for legal proceedings; each "
            f"such decision is reviewed by {_day(max(holds))} at the latest."
        )
    return PublicRetention(lines=lines, references_kept=deployment.watchlist_references.exists())


def period_label(date_from: date | None, date_to: date | None):
    def day(value):
        return dateformat.format(value, "j F Y")

    if date_from and date_to:
        return f"from {day(date_from)} to {day(date_to)}"
    if date_from:
        return f"from {day(date_from)}"
    if date_to:
        return f"up to {day(date_to)}"
    return "all time"
