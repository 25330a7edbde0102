"""A deployment's retention state in words: what is still held, until when, and why."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from ..models import AlertHold, DeploymentStatus, WatchlistStatus


@dataclass
class Holding:
    what: str
    count: int
    until: datetime | None
    basis: str


def retention_state(deployment, now=None):
    now = now or timezone.now()
    today = timezone.localdate(now)
    state = []

    alerts = deployment.alerts.filter(crop_deleted_at__isnull=True).exclude(crop="")
    held_ids = set(
        AlertHold.objects.filter(
            alert__deployment=deployment, released_at__isnull=True, review_by__gte=today
        ).values_list("alert_id", flat=True)
    )
    normal = alerts.exclude(pk__in=held_ids)
    if normal.exists():
        oldest = normal.order_by("captured_at").values_list("captured_at", flat=True).first()
        state.append(
            Holding(
                "Alert images",
                normal.count(),
                oldest + settings.LFR_ALERT_RETENTION,
                f"{settings.LFR_ALERT_RETENTION.days} days after capture (the first goes then)",
            )
        )
    for hold in AlertHold.objects.filter(
        alert__deployment=deployment, released_at__isnull=True, review_by__gte=today
    ).select_related("placed_by"):
        state.append(
            Holding(
                "Alert image kept for proceedings",
                1,
                timezone.make_aware(datetime.combine(hold.review_by, datetime.max.time())),
                f"hold by {hold.placed_by.get_username()}: {hold.reason}",
            )
        )

    watchlist = getattr(deployment, "watchlist", None)
    if watchlist is not None and watchlist.status != WatchlistStatus.DESTROYED:
        held = watchlist.entries.filter(biometrics_destroyed_at__isnull=True).count()
        if deployment.status in (DeploymentStatus.COMPLETED, DeploymentStatus.CANCELLED):
            until = (deployment.ended_at or now) + settings.LFR_WATCHLIST_DESTROY_AFTER
            basis = "the deployment has ended: destroyed at the next retention run"
        elif deployment.status == DeploymentStatus.REJECTED:
            until = (deployment.decided_at or now) + settings.LFR_WATCHLIST_DESTROY_AFTER
            basis = "authorisation refused: destroyed unless the deployment is revised"
        else:
            until = (
                deployment.ends_at + settings.LFR_WATCHLIST_DESTROY_AFTER
                if deployment.ends_at
                else None
            )
            basis = "kept until the deployment ends"
        if held:
            state.append(Holding("Watchlist images and embeddings", held, until, basis))

    photos = deployment.signage.filter(photo_deleted_at__isnull=True).exclude(photo="")
    if photos.exists():
        oldest = photos.order_by("placed_at").values_list("placed_at", flat=True).first()
        state.append(
            Holding(
                "Signage photos",
                photos.count(),
                oldest + settings.LFR_SIGNAGE_PHOTO_RETENTION,
                f"{settings.LFR_SIGNAGE_PHOTO_RETENTION.days} days after the sign went up",
            )
        )
    return state
