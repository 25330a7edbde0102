"""Portal-side Celery tasks. Thin: they take ids and call services."""

import socket

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import Deployment, DeploymentStatus
from .selectors.eu_mode import lapsed_urgent_deployment_ids
from .selectors.webhooks import stalled_delivery_ids
from .services.accuracy import alerts_flag_overdue
from .services.audit import audit_prune, audit_tree_head_tick, audit_verification_record
from .services.deployment_lifecycle import deployment_complete_if_window_ended
from .services.eu_urgency import deployment_eu_outputs_delete, deployment_eu_urgent_enforce
from .services.holds import alert_holds_remind
from .services.recognition import alert_crops_store as store_alert_crops
from .services.retention import retention_apply
from .services.reviews import reviews_open_missing
from .services.system import worker_heartbeat_record
from .services.webhooks import WebhookDeliveryFailed, webhook_delivery_attempt


@shared_task(name="lfr_portal.worker_heartbeat", soft_time_limit=20, time_limit=30)
def worker_heartbeat(queue="default"):
    worker_heartbeat_record(hostname=socket.gethostname(), queue=queue)


@shared_task(name="lfr_portal.enforce_windows", soft_time_limit=50, time_limit=60)
def enforce_windows():
    """Complete every live (or suspended) deployment whose authorised window has ended."""
    ended = Deployment.objects.filter(
        status__in=[DeploymentStatus.LIVE, DeploymentStatus.SUSPENDED],
        ends_at__lte=timezone.now(),
    ).values_list("id", flat=True)
    for deployment_id in ended:
        deployment_complete_if_window_ended(deployment_id=deployment_id)


@shared_task(name="lfr_portal.eu_enforce_urgency", soft_time_limit=240, time_limit=270)
def eu_enforce_urgency() -> list[int]:
    """EU AI Act mode: stop every urgent deployment still without a granted decision at
    the end of its window, and delete what it produced (beat: every minute)."""
    ids = lapsed_urgent_deployment_ids()
    for deployment_id in ids:
        deployment_eu_urgent_enforce(deployment_id=deployment_id)
    return ids


@shared_task(name="lfr_portal.eu_deployment_data_delete", soft_time_limit=240, time_limit=270)
def eu_deployment_data_delete(deployment_id: int) -> dict[str, int]:
    """Delete everything a deployment refused authorisation produced (sent on refusal;
    apply_retention catches any this missed)."""
    return deployment_eu_outputs_delete(deployment_id=deployment_id)


@shared_task(name="lfr_portal.audit_checkpoint", soft_time_limit=50, time_limit=60)
def audit_checkpoint():
    """Sign a tree head of the audit log when it grew (beat: every minute)."""
    audit_tree_head_tick()


@shared_task(name="lfr_portal.audit_retention", soft_time_limit=1800, time_limit=1900)
def audit_retention():
    """Remove audit rows past their retention period (the database decides which)."""
    audit_prune(before=timezone.now() - settings.LFR_AUDIT_RETENTION)


@shared_task(name="lfr_portal.audit_verify", soft_time_limit=1700, time_limit=1800)
def audit_verify() -> bool:
    """Verify the whole audit log and record the outcome (beat: every LFR_AUDIT_VERIFY_HOURS).

    Read-only apart from its one audit row, so a repeated run only records once more.
    """
    event, _ = audit_verification_record()
    return event.changes["ok"]


@shared_task(name="lfr_portal.apply_retention", soft_time_limit=1700, time_limit=1800)
def apply_retention():
    """Apply every retention rule; batches are short, so a killed run just resumes next time."""
    retention_apply()


@shared_task(name="lfr_portal.flag_overdue_alerts", soft_time_limit=50, time_limit=60)
def flag_overdue_alerts():
    """Flag, once each and on the audit trail, alerts left unadjudicated past the due time."""
    return alerts_flag_overdue()


@shared_task(name="lfr_portal.alert_crops_store", soft_time_limit=50, time_limit=60)
def alert_crops_store():
    """Retry moving alert crops held in the database to the media store."""
    stored, waiting = store_alert_crops()
    return {"stored": stored, "waiting": waiting}


@shared_task(
    name="lfr_portal.webhook_deliver",
    autoretry_for=(WebhookDeliveryFailed,),
    retry_backoff=10,
    retry_backoff_max=3600,
    retry_jitter=True,
    # The service gives up after LFR_WEBHOOK_MAX_ATTEMPTS and stops raising; this is a backstop.
    max_retries=settings.LFR_WEBHOOK_MAX_ATTEMPTS,
    soft_time_limit=60,
    time_limit=90,
)
def webhook_deliver(delivery_id: int) -> str:
    """POST one signed webhook delivery; a failure retries with exponential backoff."""
    return webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="lfr_portal.remind_holds", soft_time_limit=300, time_limit=330)
def remind_holds():
    """Remind holders of evidence holds near their review date (beat: daily); once a period."""
    return alert_holds_remind()


@shared_task(name="lfr_portal.webhook_resend_stalled", soft_time_limit=50, time_limit=60)
def webhook_resend_stalled() -> int:
    """Send again the deliveries whose task was lost (beat: every 5 minutes). A receiver
    may then see a delivery twice: X-LFR-Delivery says it is the same one."""
    ids = stalled_delivery_ids(now=timezone.now())
    for delivery_id in ids:
        webhook_deliver.apply_async(args=[delivery_id])
    return len(ids)


@shared_task(name="lfr_portal.open_missing_reviews", soft_time_limit=300, time_limit=330)
def open_missing_reviews() -> int:
    """Open the post-deployment review of any ended deployment that went live and has
    none (beat: hourly); idempotent, a deployment's review opens once."""
    return reviews_open_missing()
