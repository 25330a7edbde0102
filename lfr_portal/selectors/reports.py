"""What a deployment's PDF record shows, read in one place with its related rows joined."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from ..models import (
    Alert,
    AuditEvent,
    Deployment,
    DeploymentCamera,
    DeploymentDocument,
    EntryStatus,
    LeafletRecord,
    PostDeploymentReview,
    SignageRecord,
    Watchlist,
)
from .audit import action_label
from .engagement_figures import EngagementFigures, deployment_engagement_figures


@dataclass(frozen=True)
class DeploymentRecord:
    """A deployment's complete record: no images, no embeddings."""

    deployment: Deployment
    documents: list[DeploymentDocument]
    watchlist: Watchlist | None
    approved_by_category: dict[str, int]
    cameras: list[DeploymentCamera]
    signage: list[SignageRecord]
    leaflets: list[LeafletRecord]
    alerts: list[Alert]
    references_kept: int
    audit_rows: list[tuple[AuditEvent, str]]
    # What engagement on the street found (exact: the record is not published).
    engagement: EngagementFigures | None = None
    # The post-deployment review, once the deployment has ended after going live.
    review: PostDeploymentReview | None = None


def _watchlist_of(deployment: Deployment) -> Watchlist | None:
    try:
        return Watchlist.objects.select_related("approved_by").get(deployment=deployment)
    except Watchlist.DoesNotExist:
        return None


def deployment_record(deployment: Deployment) -> DeploymentRecord:
    """Everything the record prints, read before any of it is laid out."""
    deployment = Deployment.objects.select_related(
        "created_by", "decided_by", "went_live_by", "ended_by"
    ).get(pk=deployment.pk)
    watchlist = _watchlist_of(deployment)
    counts: dict[str, int] = {}
    if watchlist is not None:
        counts = dict(
            watchlist.entries.filter(status=EntryStatus.APPROVED)
            .values_list("category")
            .annotate(n=Count("id"))
        )
    events = AuditEvent.objects.filter(deployment_public_id=str(deployment.public_id))
    return DeploymentRecord(
        deployment=deployment,
        documents=list(deployment.documents.all()),
        watchlist=watchlist,
        approved_by_category=counts,
        cameras=list(deployment.cameras.select_related("camera")),
        signage=list(deployment.signage.select_related("recorded_by")),
        leaflets=list(deployment.leaflets.select_related("recorded_by")),
        alerts=list(
            deployment.alerts.select_related("camera__camera", "adjudicated_by").order_by(
                "captured_at"
            )
        ),
        references_kept=deployment.watchlist_references.count(),
        audit_rows=[(e, action_label(e.action)) for e in events.order_by("seq")],
        engagement=deployment_engagement_figures(deployment),
        review=PostDeploymentReview.objects.select_related("signed_off_by")
        .filter(deployment=deployment)
        .first(),
    )
