"""The quarterly oversight pack's lists: each deployment of the quarter with its figures,
and the suspensions, overdue alerts, misidentifications, complaints and reviews behind
them. For authorising and compliance officers; read in a handful of queries whatever the
quarter holds (per-deployment figures are correlated subqueries, as on the transparency
page, whose FIGURES they reuse).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import (
    AccuracySuspension,
    Adjudication,
    Alert,
    Complaint,
    Deployment,
    Engagement,
    EngagementResult,
    PostDeploymentReview,
    ReviewStatus,
)
from .accuracy import adjudication_due
from .period_figures import (
    ALERT_FIGURES,
    Period,
    PeriodFigures,
    period_deployments,
    period_figures,
)
from .transparency import FIGURES

# The per-deployment figures the pack prints, by their names in transparency.FIGURES:
# the period's alert figures, then what happened on the street.
ROW_FIGURES = (*ALERT_FIGURES, "engagements", "misidentified_after_engagement")


def _per_deployment(queryset: Any) -> Coalesce:
    rows = queryset.order_by().values("deployment").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@dataclass(frozen=True)
class PackRow:
    deployment: Deployment
    figures: dict[str, int]
    overdue_alerts: int
    suspensions: int
    complaints: int
    review: PostDeploymentReview | None

    @property
    def review_state(self) -> str:
        return review_state(self.review, ended=self.deployment.ended_at is not None)


def review_state(review: PostDeploymentReview | None, *, ended: bool) -> str:
    """signed_off, overdue, open, not_opened (ended, no review yet) or not_due."""
    if review is None:
        return "not_opened" if ended else "not_due"
    if review.status == ReviewStatus.SIGNED_OFF:
        return "signed_off"
    return "overdue" if review.due_by < timezone.now() else "open"


REVIEW_STATES = {
    "signed_off": "Signed off",
    "overdue": "Overdue",
    "open": "Open",
    "not_opened": "Not opened",
    "not_due": "Not ended yet",
}


@dataclass(frozen=True)
class OversightPack:
    figures: PeriodFigures
    rows: list[PackRow]
    suspensions: list[AccuracySuspension]
    overdue_alerts: list[Alert]
    misidentifications: list[Engagement]
    complaints: list[Complaint]
    reviews: list[PostDeploymentReview]

    @property
    def period(self) -> Period:
        return self.figures.period


def overdue_q(now: datetime) -> Q:
    """Alerts that went overdue for adjudication: flagged by beat (the flag stays after a
    late decision), or still pending past the due time and not flagged yet."""
    still_pending = Q(adjudication=Adjudication.PENDING, captured_at__lte=now - adjudication_due())
    return Q(overdue_flag__isnull=False) | still_pending


def _rows(period: Period, *, now: datetime) -> list[PackRow]:
    overdue = overdue_q(now)
    deployments = (
        period_deployments(period)
        .select_related("review", "review__signed_off_by")
        .annotate(
            **{f"n_{name}": FIGURES[name]() for name in ROW_FIGURES},
            n_overdue=_per_deployment(Alert.objects.filter(overdue, deployment=OuterRef("pk"))),
            n_suspensions=_per_deployment(
                AccuracySuspension.objects.filter(deployment=OuterRef("pk"))
            ),
            n_complaints=_per_deployment(Complaint.objects.filter(deployment=OuterRef("pk"))),
        )
        .order_by("starts_at", "pk")
    )
    rows = []
    for deployment in deployments:
        review = getattr(deployment, "review", None)
        rows.append(
            PackRow(
                deployment=deployment,
                figures={name: getattr(deployment, f"n_{name}") for name in ROW_FIGURES},
                overdue_alerts=deployment.n_overdue,  # type: ignore[attr-defined]
                suspensions=deployment.n_suspensions,  # type: ignore[attr-defined]
                complaints=deployment.n_complaints,  # type: ignore[attr-defined]
                review=review,
            )
        )
    return rows


# A pack lists at most this many overdue alerts or misidentifications; the counts are
# always complete, and the full lists are in the deployments' records.
LIST_LIMIT = 200


def oversight_pack(period: Period) -> OversightPack:
    """The quarter's figures and lists, exact: for the Police and Crime Commissioner or an
    ethics panel, through an authorising or compliance officer."""
    now = timezone.now()
    ids = period_deployments(period).values("pk")
    return OversightPack(
        figures=period_figures(period),
        rows=_rows(period, now=now),
        suspensions=list(
            AccuracySuspension.objects.filter(deployment__in=ids)
            .select_related("deployment", "resumed_by")
            .order_by("suspended_at")
        ),
        overdue_alerts=list(
            Alert.objects.filter(overdue_q(now), deployment__in=ids)
            .select_related("deployment", "overdue_flag")
            .order_by("captured_at")[:LIST_LIMIT]
        ),
        misidentifications=list(
            Engagement.objects.filter(
                alert__deployment__in=ids, result=EngagementResult.NOT_THE_PERSON
            )
            .select_related("alert__deployment")
            .order_by("engaged_at", "pk")[:LIST_LIMIT]
        ),
        complaints=list(
            Complaint.objects.filter(received_on__gte=period.start, received_on__lt=period.end)
            .select_related("deployment")
            .order_by("received_on", "pk")[:LIST_LIMIT]
        ),
        reviews=list(
            PostDeploymentReview.objects.filter(deployment__in=ids)
            .select_related("deployment", "signed_off_by")
            .order_by("opened_at")
        ),
    )
