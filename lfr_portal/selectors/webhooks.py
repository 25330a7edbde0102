"""Reading webhook deliveries for staff: what is failing, never what was sent."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q, QuerySet

from ..models import Role, WebhookDelivery, WebhookSubscription
from ..permissions import has_role


def subscriptions_listening_to(event: str) -> list[int]:
    """Ids of the active subscriptions that asked for `event`.

    Matched in Python: subscriptions are few, and SQLite (the demo's database) has no
    JSON containment lookup.
    """
    active = WebhookSubscription.objects.filter(active=True).values_list("pk", "events")
    return [pk for pk, events in active if event in events]


# A delivery still untried this long after it was queued lost its task (broker down).
NEVER_SENT_AFTER = timedelta(minutes=5)
# Retries wait at most an hour (the task's retry_backoff_max): past this, the retry is lost.
RETRY_LOST_AFTER = timedelta(hours=2)
# Columns staff see: the payload is left out (it names alerts and deployments).
FAILURE_FIELDS = (
    "pk",
    "event",
    "created_at",
    "attempts",
    "last_attempt_at",
    "last_status",
    "last_error",
    "given_up_at",
    "subscription__name",
)


@dataclass
class WebhookFailures:
    failing: int
    given_up: int
    since: datetime | None

    @property
    def message(self) -> str:
        parts = [f"{self.failing} webhook deliver{'y' if self.failing == 1 else 'ies'} failing"]
        if self.given_up:
            parts.append(f"{self.given_up} given up after every retry")
        return "; ".join(parts) + "."


def can_view_webhook_failures(user: Any) -> bool:
    """Compliance and authorising officers, and administrators."""
    return bool(getattr(user, "is_superuser", False)) or has_role(
        user, Role.COMPLIANCE_OFFICER, Role.AUTHORISING_OFFICER
    )


def failing_deliveries() -> QuerySet[WebhookDelivery]:
    """Deliveries not delivered that have failed at least once (or been given up)."""
    return WebhookDelivery.objects.filter(delivered_at__isnull=True).filter(
        Q(attempts__gt=0) | Q(given_up_at__isnull=False)
    )


def failing_delivery_rows(user: Any, *, limit: int = 200) -> list[dict[str, Any]]:
    """The failing deliveries `user` may see, newest first, without their payloads."""
    if not can_view_webhook_failures(user):
        return []
    return list(failing_deliveries().order_by("-created_at").values(*FAILURE_FIELDS)[:limit])


def webhook_failures_for(user: Any) -> WebhookFailures | None:
    """The dashboard's summary, or None when nothing is failing or `user` may not see it."""
    if not can_view_webhook_failures(user):
        return None
    summary = failing_deliveries().aggregate(
        failing=Count("pk"),
        given_up=Count("pk", filter=Q(given_up_at__isnull=False)),
        since=Min("created_at"),
    )
    if not summary["failing"]:
        return None
    return WebhookFailures(summary["failing"], summary["given_up"], summary["since"])


def stalled_delivery_ids(*, now: datetime, limit: int = 500) -> list[int]:
    """Deliveries whose task was lost: never tried a while after queueing (the broker
    was down at commit), or not retried long after the longest backoff (a worker died)."""
    pending = WebhookDelivery.objects.filter(delivered_at__isnull=True, given_up_at__isnull=True)
    stalled = pending.filter(
        Q(attempts=0, created_at__lt=now - NEVER_SENT_AFTER)
        | Q(attempts__gt=0, last_attempt_at__lt=now - RETRY_LOST_AFTER)
    )
    return list(stalled.order_by("pk").values_list("pk", flat=True)[:limit])
