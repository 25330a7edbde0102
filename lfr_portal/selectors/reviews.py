"""Reads for post-deployment reviews and complaints: who sees them, which are overdue,
and the figures a review opens with.

A review's figures reuse the formulas that already count them (the public figures'
subqueries, the engagement aggregates, the accuracy records): nothing is counted twice
in two ways. They are exact: a review is an internal record, never published whole.
"""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ..models import (
    AccuracySuspension,
    Complaint,
    ComplaintCategory,
    Deployment,
    DeploymentStatus,
    OverdueAlertFlag,
    PostDeploymentReview,
    ReviewStatus,
    Role,
)
from ..permissions import has_role
from .engagement_figures import deployment_engagement_figures, figure_rows
from .transparency import FIGURES

S = DeploymentStatus
# The roles that read reviews and complaints.
REVIEW_ROLES = (Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER)
# The public figures a review repeats, as the transparency page counts them.
DEPLOYMENT_FIGURES = (
    "alerts",
    "confirmed_matches",
    "false_alerts",
    "unresolved",
    "awaiting_adjudication",
    "signs_recorded",
    "leaflets_distributed",
)
# Labels of the review's own figures, in the order the page and the PDF show them.
REVIEW_LABELS = {
    "faces_processed": "Faces processed",
    "alerts": "Alerts",
    "confirmed_matches": "Confirmed matches (operator)",
    "false_alerts": "False alerts (operator)",
    "unresolved": "Alerts not resolved",
    "awaiting_adjudication": "Alerts never adjudicated",
    "overdue_alerts": "Alerts adjudicated late (overdue)",
    "suspensions": "Suspensions for false alerts",
    "signs_recorded": "Signs recorded",
    "leaflets_distributed": "Leaflets handed out",
    "complaints": "Complaints linked to it",
}
COMPLAINT_LABELS = dict(ComplaintCategory.choices)
REVIEW_STATES = ("open", "overdue", "signed_off")


def went_live_and_ended() -> Q:
    """Deployments whose recognition ran and has ended: each of these has a review."""
    return Q(
        status__in=(S.COMPLETED, S.CANCELLED),
        went_live_at__isnull=False,
        ended_at__isnull=False,
    )


def deployments_missing_review() -> QuerySet[Deployment]:
    """Ended deployments that went live but have no review yet (older data, or a failure)."""
    has_review = PostDeploymentReview.objects.filter(deployment=OuterRef("pk"))
    return Deployment.objects.filter(went_live_and_ended()).exclude(Exists(has_review))


def complaint_counts(deployment: Deployment) -> dict[str, int]:
    """Complaints linked to the deployment, by category (every category present)."""
    counts = dict(
        Complaint.objects.filter(deployment=deployment)
        .order_by()
        .values_list("category")
        .annotate(n=Count("pk"))
    )
    return {category: counts.get(category, 0) for category in ComplaintCategory.values}


def review_figures(deployment: Deployment) -> dict[str, Any]:
    """The deployment's figures as the review records them: counts only, nothing personal."""
    # Prefixed: "alerts" and the like are already names of reverse relations.
    row = (
        Deployment.objects.filter(pk=deployment.pk)
        .annotate(**{f"n_{name}": FIGURES[name]() for name in DEPLOYMENT_FIGURES})
        .values("faces_processed", *(f"n_{name}" for name in DEPLOYMENT_FIGURES))
        .get()
    )
    by_category = complaint_counts(deployment)
    return {
        **{name.removeprefix("n_"): value for name, value in row.items()},
        "suspensions": AccuracySuspension.objects.filter(deployment=deployment).count(),
        "overdue_alerts": OverdueAlertFlag.objects.filter(alert__deployment=deployment).count(),
        "complaints": sum(by_category.values()),
        "complaints_by_category": by_category,
        "engagement": deployment_engagement_figures(deployment).as_dict(),
    }


def review_figure_rows(figures: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, value) for the page and the PDF: the review's own, then engagement's."""
    rows = [(label, figures[name]) for name, label in REVIEW_LABELS.items() if name in figures]
    rows += [
        (f"Complaints: {COMPLAINT_LABELS[c].lower()}", n)
        for c, n in (figures.get("complaints_by_category") or {}).items()
        if c in COMPLAINT_LABELS
    ]
    if figures.get("engagement"):
        rows += figure_rows(figures["engagement"])
    return rows


def reviews_visible_to(user: User | AnonymousUser) -> QuerySet[PostDeploymentReview]:
    """Authorising and compliance officers see every review; nobody else sees any."""
    base = PostDeploymentReview.objects.select_related(
        "deployment", "deployment__created_by", "signed_off_by"
    )
    return base.all() if has_role(user, *REVIEW_ROLES) else base.none()


def overdue_q(now: datetime | None = None) -> Q:
    return Q(status=ReviewStatus.OPEN, due_by__lt=now or timezone.now())


def reviews_in_state(
    reviews: QuerySet[PostDeploymentReview], state: str
) -> QuerySet[PostDeploymentReview]:
    """Narrow `reviews` to one of REVIEW_STATES; an unknown state leaves them as they are."""
    if state == "overdue":
        return reviews.filter(overdue_q())
    if state == "open":
        return reviews.filter(status=ReviewStatus.OPEN).exclude(overdue_q())
    if state == "signed_off":
        return reviews.filter(status=ReviewStatus.SIGNED_OFF)
    return reviews


def review_state(review: PostDeploymentReview, now: datetime | None = None) -> str:
    if review.status == ReviewStatus.SIGNED_OFF:
        return "signed_off"
    return "overdue" if review.due_by < (now or timezone.now()) else "open"


def reviews_overdue_for(user: User, *, limit: int = 20) -> list[PostDeploymentReview]:
    """Unsigned reviews past their due date, oldest first (the dashboards)."""
    return list(reviews_visible_to(user).filter(overdue_q()).order_by("due_by")[:limit])


def complaints_visible_to(user: User | AnonymousUser) -> QuerySet[Complaint]:
    """Authorising and compliance officers see every complaint; nobody else sees any."""
    base = Complaint.objects.select_related("deployment", "recorded_by")
    return base.all() if has_role(user, *REVIEW_ROLES) else base.none()


def complaint_deployment_choices() -> QuerySet[Deployment]:
    """Deployments a complaint may concern: any that was announced or went live."""
    return Deployment.objects.exclude(status__in=(S.DRAFT, S.SUBMITTED, S.REJECTED)).order_by(
        "-starts_at"
    )
