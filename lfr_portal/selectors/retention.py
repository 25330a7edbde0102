"""Reads for retention: what is due for deletion now, and a deployment's retention state."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import (
    Alert,
    AlertHold,
    AuditEvent,
    DeletionRecord,
    Deployment,
    DeploymentStatus,
    EntryReference,
    RetentionCategory,
    SignageRecord,
    Watchlist,
    WatchlistStatus,
    WebhookDelivery,
)
from .eu_mode import forfeited_deployments, log_retention

C = RetentionCategory

# The rules as each deletion record and audit row names them.
ALERT_RULE = "alert images: {days:g} days after capture"
SIGNAGE_RULE = "signage photos: {days:g} days after placing"
WATCHLIST_RULE = "watchlist biometrics: destroyed after the deployment ended or was refused"
REFUSED_RULE = "EU AI Act: independent authorisation refused, all outputs deleted"
LAPSED_RULE = (
    "EU AI Act: urgent use without a granted authorisation at the end of its window, "
    "all outputs deleted"
)


def days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def alert_rule() -> str:
    return ALERT_RULE.format(days=days(settings.LFR_ALERT_RETENTION))


def signage_rule() -> str:
    return SIGNAGE_RULE.format(days=days(settings.LFR_SIGNAGE_PHOTO_RETENTION))


def periods_in_force() -> dict[str, tuple[str, float]]:
    """Each timed retention rule in force: its key, its label and its period in days.
    Documents that state retention periods are checked against these."""
    return {
        C.ALERT_IMAGES: (C.ALERT_IMAGES.label, days(settings.LFR_ALERT_RETENTION)),
        C.WATCHLIST_BIOMETRICS: (
            f"{C.WATCHLIST_BIOMETRICS.label} (after the deployment ends)",
            days(settings.LFR_WATCHLIST_DESTROY_AFTER),
        ),
        C.SIGNAGE_PHOTOS: (C.SIGNAGE_PHOTOS.label, days(settings.LFR_SIGNAGE_PHOTO_RETENTION)),
        # The logs' periods as pruning applies them: in EU mode at least the EU minimum.
        C.AUDIT_ROWS: (C.AUDIT_ROWS.label, days(log_retention(settings.LFR_AUDIT_RETENTION))),
        C.WEBHOOK_DELIVERIES: (
            C.WEBHOOK_DELIVERIES.label,
            days(log_retention(settings.LFR_WEBHOOK_DELIVERY_RETENTION)),
        ),
    }


# --- what is due ------------------------------------------------------------------


def active_hold_q(today: date) -> Q:
    return Q(holds__released_at__isnull=True, holds__review_by__gte=today)


def due_alert_images(now: datetime) -> QuerySet[Alert]:
    cutoff = now - settings.LFR_ALERT_RETENTION
    held = Alert.objects.filter(active_hold_q(timezone.localdate(now))).values("pk")
    return (
        Alert.objects.filter(captured_at__lt=cutoff, crop_deleted_at__isnull=True)
        .exclude(crop="")
        .exclude(pk__in=held)
    )


def due_watchlists(now: datetime) -> QuerySet[Watchlist]:
    refused_cutoff = now - settings.LFR_WATCHLIST_DESTROY_AFTER
    return Watchlist.objects.exclude(status=WatchlistStatus.DESTROYED).filter(
        Q(deployment__status__in=[DeploymentStatus.COMPLETED, DeploymentStatus.CANCELLED])
        | Q(deployment__status=DeploymentStatus.REJECTED, deployment__decided_at__lt=refused_cutoff)
    )


def due_signage_photos(now: datetime) -> QuerySet[SignageRecord]:
    cutoff = now - settings.LFR_SIGNAGE_PHOTO_RETENTION
    return SignageRecord.objects.filter(
        placed_at__lt=cutoff, photo_deleted_at__isnull=True
    ).exclude(photo="")


WEBHOOK_RULE = "events sent to other systems, finished and past their retention"


def due_webhook_deliveries(now: datetime) -> QuerySet[WebhookDelivery]:
    """Events delivered or given up on, older than their retention."""
    finished = Q(delivered_at__isnull=False) | Q(given_up_at__isnull=False)
    cutoff = now - log_retention(settings.LFR_WEBHOOK_DELIVERY_RETENTION)
    return WebhookDelivery.objects.filter(finished, created_at__lt=cutoff).order_by("pk")


def due_refused_alerts(now: datetime | None = None) -> QuerySet[Alert]:
    """Every alert of a deployment refused authorisation, or urgent and lapsed (EU mode)."""
    return Alert.objects.filter(deployment__in=forfeited_deployments(now).values("pk"))


def forfeit_rule(deployment: Deployment) -> str:
    return REFUSED_RULE if deployment.eu_authorisation_decision == "refused" else LAPSED_RULE


PlanLine = tuple[str, Deployment | None, int, str]


def _per_deployment(
    queryset: QuerySet[Alert] | QuerySet[SignageRecord], category: str, rule: str
) -> list[PlanLine]:
    counts: dict[int, int] = {}
    for deployment_id in queryset.values_list("deployment_id", flat=True):
        counts[deployment_id] = counts.get(deployment_id, 0) + 1
    deployments = Deployment.objects.in_bulk(list(counts))
    return [
        (category, deployments[deployment_id], count, rule)
        for deployment_id, count in sorted(counts.items())
    ]


def retention_plan(now: datetime | None = None) -> list[PlanLine]:
    """What a run would delete now, and why: [(category, deployment, count, rule)]."""
    now = now or timezone.now()
    lines = _per_deployment(due_alert_images(now), C.ALERT_IMAGES, alert_rule())
    for watchlist in due_watchlists(now).select_related("deployment"):
        count = watchlist.entries.filter(biometrics_destroyed_at__isnull=True).count()
        count += EntryReference.objects.filter(
            entry__watchlist=watchlist, biometrics_destroyed_at__isnull=True
        ).count()
        lines.append((C.WATCHLIST_BIOMETRICS, watchlist.deployment, count, WATCHLIST_RULE))
    lines += _per_deployment(due_signage_photos(now), C.SIGNAGE_PHOTOS, signage_rule())
    lines += _per_deployment(due_refused_alerts(now), C.DEPLOYMENT_DATA, REFUSED_RULE)
    audit_due = AuditEvent.objects.filter(
        occurred_at__lt=now - log_retention(settings.LFR_AUDIT_RETENTION)
    ).count()
    if audit_due:
        lines.append((C.AUDIT_ROWS, None, audit_due, "audit rows past their retention"))
    webhooks_due = due_webhook_deliveries(now).count()
    if webhooks_due:
        lines.append((C.WEBHOOK_DELIVERIES, None, webhooks_due, WEBHOOK_RULE))
    return lines


def recent_deletion_records(limit: int = 50) -> QuerySet[DeletionRecord]:
    return DeletionRecord.objects.select_related("deployment")[:limit]


# --- a deployment's state ---------------------------------------------------------


@dataclass
class Holding:
    what: str
    count: int
    until: datetime | None
    basis: str


def _alert_holdings(deployment: Deployment, today: date) -> list[Holding]:
    state = []
    holds = AlertHold.objects.filter(
        alert__deployment=deployment, released_at__isnull=True, review_by__gte=today
    )
    alerts = deployment.alerts.filter(crop_deleted_at__isnull=True).exclude(crop="")
    normal = alerts.exclude(pk__in=set(holds.values_list("alert_id", flat=True)))
    if normal.exists():
        oldest = normal.order_by("captured_at").values_list("captured_at", flat=True).first()
        assert oldest is not None  # normal.exists() above
        state.append(
            Holding(
                "Alert images",
                normal.count(),
                oldest + settings.LFR_ALERT_RETENTION,
                f"{settings.LFR_ALERT_RETENTION.days} days after capture (the first goes then)",
            )
        )
    for hold in holds.select_related("placed_by"):
        state.append(
            Holding(
                "Alert image kept for proceedings",
                1,
                timezone.make_aware(datetime.combine(hold.review_by, datetime.max.time())),
                f"hold by {hold.placed_by.get_username()}: {hold.reason}",
            )
        )
    return state


def _watchlist_destroyed(deployment: Deployment, now: datetime) -> tuple[datetime | None, str]:
    """When the watchlist's biometrics go, and on what basis, at the deployment's stage."""
    after = settings.LFR_WATCHLIST_DESTROY_AFTER
    if deployment.status in (DeploymentStatus.COMPLETED, DeploymentStatus.CANCELLED):
        return (
            (deployment.ended_at or now) + after,
            "the deployment has ended: destroyed at the next retention run",
        )
    if deployment.status == DeploymentStatus.REJECTED:
        return (
            (deployment.decided_at or now) + after,
            "authorisation refused: destroyed unless the deployment is revised",
        )
    until = deployment.ends_at + after if deployment.ends_at else None
    return until, "kept until the deployment ends"


def _watchlist_holdings(deployment: Deployment, now: datetime) -> list[Holding]:
    watchlist = getattr(deployment, "watchlist", None)
    if watchlist is None or watchlist.status == WatchlistStatus.DESTROYED:
        return []
    held = watchlist.entries.filter(biometrics_destroyed_at__isnull=True).count()
    if not held:
        return []
    until, basis = _watchlist_destroyed(deployment, now)
    return [Holding("Watchlist images and embeddings", held, until, basis)]


def _signage_holdings(deployment: Deployment) -> list[Holding]:
    photos = deployment.signage.filter(photo_deleted_at__isnull=True).exclude(photo="")
    if not photos.exists():
        return []
    oldest = photos.order_by("placed_at").values_list("placed_at", flat=True).first()
    assert oldest is not None  # photos.exists() above
    return [
        Holding(
            "Signage photos",
            photos.count(),
            oldest + settings.LFR_SIGNAGE_PHOTO_RETENTION,
            f"{settings.LFR_SIGNAGE_PHOTO_RETENTION.days} days after the sign went up",
        )
    ]


def retention_state(deployment: Deployment, now: datetime | None = None) -> list[Holding]:
    """What of the deployment's personal data is still held, until when, and why."""
    now = now or timezone.now()
    return [
        *_alert_holdings(deployment, timezone.localdate(now)),
        *_watchlist_holdings(deployment, now),
        *_signage_holdings(deployment),
    ]
