"""Signed webhooks out: events queued per subscription, delivered by a Celery task.

`webhook_event_emit` is called by other services inside their own transaction: it
writes one WebhookDelivery per active subscription that listens to the event, and
the delivery task is sent only once that transaction commits (a rolled-back change
sends nothing). Payloads carry public ids, times, categories and the camera; images
only where LFR_WEBHOOK_INCLUDE_IMAGES is on.
"""

import base64
import json
import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .. import webhook_signing
from ..errors import NotPermitted, RuleViolation
from ..models import Alert, Deployment, WebhookDelivery, WebhookEvent, WebhookSubscription
from ..selectors.webhooks import subscriptions_listening_to
from .audit import audit_record
from .common import task_send_on_commit

DELIVER_TASK = "lfr_portal.webhook_deliver"
WEBHOOK_QUEUE = "default"
# Plain http is refused except to a receiver on this machine (a local relay, the tests).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# Keys that would carry an image (or its bytes); dropped unless the setting allows them.
IMAGE_KEYS = frozenset({"crop", "crop_url", "image", "image_url", "photo", "photo_url", "crops"})


def _without_images(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_images(v) for k, v in value.items() if k not in IMAGE_KEYS}
    if isinstance(value, list):
        return [_without_images(v) for v in value]
    return value


def webhook_event_emit(*, event: str, payload: dict[str, Any]) -> None:
    """Queue `event` for every active subscription listening to it; send on commit."""
    if event not in WebhookEvent.values:
        raise ValueError(f"unknown webhook event {event!r}")
    if not settings.LFR_WEBHOOK_INCLUDE_IMAGES:
        payload = _without_images(payload)
    # Public UUIDs and times become plain JSON once, so the stored body is what is signed.
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    with transaction.atomic():
        # Ids only: the secrets are not decrypted until a delivery is sent.
        for subscription_id in subscriptions_listening_to(event):
            delivery = WebhookDelivery.objects.create(
                subscription_id=subscription_id, event=event, payload=payload
            )
            task_send_on_commit(DELIVER_TASK, args=[delivery.pk], queue=WEBHOOK_QUEUE)


def webhook_deployment_emit(*, event: str, deployment: Deployment, **extra: Any) -> None:
    """A deployment event: its public id, status and when; no free text (reasons stay home)."""
    payload: dict[str, Any] = {
        "deployment": str(deployment.public_id),
        "status": deployment.status,
        "occurred_at": timezone.now(),
        **extra,
    }
    webhook_event_emit(event=event, payload=payload)


def webhook_alert_raised_emit(*, alert: Alert, crop_jpeg: bytes = b"") -> None:
    """`alert.raised`: ids, time, camera and the entry's category; the crop only by setting."""
    entry = alert.entry
    payload: dict[str, Any] = {
        "alert": str(alert.public_id),
        # Through the camera booking, which the caller has read with both joined.
        "deployment": str(alert.camera.deployment.public_id),
        "camera": str(alert.camera.camera.public_id),
        "captured_at": alert.captured_at,
        "entry_category": entry.category if entry is not None else "",
    }
    if settings.LFR_WEBHOOK_INCLUDE_IMAGES and crop_jpeg:
        payload["crop"] = base64.b64encode(crop_jpeg).decode("ascii")
    webhook_event_emit(event=WebhookEvent.ALERT_RAISED, payload=payload)


# --- Delivery (called by the thin task in lfr_portal/tasks.py) ---------------------


class WebhookDeliveryFailed(Exception):
    """One attempt failed and attempts remain: the task retries with backoff."""


def delivery_public_id(delivery: WebhookDelivery) -> str:
    """The delivery's id for receivers: stable across retries, no database sequence shown."""
    return str(uuid.uuid5(delivery.subscription.public_id, str(delivery.pk)))


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes POSTed (and signed) for a delivery."""
    document = {
        "delivery": delivery_public_id(delivery),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """One POST; (HTTP status or None, error text or "")."""
    body = delivery_body(delivery)
    headers = {"Content-Type": "application/json", "User-Agent": "lfr-portal-webhooks/1"}
    headers |= webhook_signing.signed_headers(
        secret=delivery.subscription.secret,
        body=body,
        event=delivery.event,
        delivery=delivery_public_id(delivery),
    )
    try:
        answer = requests.post(
            delivery.subscription.url,
            data=body,
            headers=headers,
            timeout=settings.LFR_WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: could not reach the receiver"
    if 200 <= answer.status_code < 300:
        return answer.status_code, ""
    return answer.status_code, f"HTTP {answer.status_code}"


def webhook_delivery_attempt(*, delivery_id: int) -> str:
    """Send one delivery once. Returns "delivered", "given_up" or "done" (nothing to do);
    raises WebhookDeliveryFailed when it failed and may be tried again."""
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or delivery.delivered_at or delivery.given_up_at:
        return "done"
    status, error = _post(delivery)  # outside any transaction: a slow receiver holds no lock
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.delivered_at or locked.given_up_at:
            return "done"
        now = timezone.now()
        locked.attempts += 1
        locked.last_attempt_at = now
        locked.last_status = status
        locked.last_error = error[:300]
        if not error:
            locked.delivered_at = now
        elif locked.attempts >= settings.LFR_WEBHOOK_MAX_ATTEMPTS:
            locked.given_up_at = now
            audit_record(
                actor=None,
                action="webhook.give_up",
                obj=locked,
                reason=f"{locked.attempts} attempts failed; the last: {locked.last_error}",
                changes={"subscription": str(locked.subscription.public_id)},
            )
        if locked.delivered_at or locked.given_up_at:
            # Finished: a crop the setting let it carry is not kept with the record.
            locked.payload = _without_images(locked.payload)
        locked.save(
            update_fields=[
                "payload",
                "attempts",
                "last_attempt_at",
                "last_status",
                "last_error",
                "delivered_at",
                "given_up_at",
            ]
        )
    if not error:
        return "delivered"
    if locked.given_up_at:
        return "given_up"
    raise WebhookDeliveryFailed(error)


# --- Subscriptions (administrators only; every change audited) ----------------------


def _require_admin(actor: Any) -> None:
    if not getattr(actor, "is_superuser", False):
        raise NotPermitted("Only an administrator may manage webhook subscriptions.")


def webhook_subscription_clean(
    name: str, url: str, events: list[str]
) -> tuple[str, str, list[str]]:
    """The name, address and events checked and tidied; RuleViolation names what is wrong."""
    name = (name or "").strip()
    if not name:
        raise RuleViolation("A subscription needs a name.", field="name")
    url = (url or "").strip()
    parts = urlsplit(url)
    loopback = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    if not (parts.scheme == "https" and parts.hostname) and not loopback:
        raise RuleViolation(
            "A receiver's address must be a full https:// address "
            "(plain http only to a receiver on this machine).",
            field="url",
        )
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if unknown or not events:
        raise RuleViolation(
            "Choose one or more events from: " + ", ".join(WebhookEvent.values) + ".",
            field="events",
        )
    return name, url, sorted(set(events))


def _described(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "name": subscription.name,
        "url": subscription.url,
        "events": subscription.events,
        "active": subscription.active,
    }


@transaction.atomic
def webhook_subscription_create(
    *, actor: Any, name: str, url: str, events: list[str], active: bool = True
) -> tuple[WebhookSubscription, str]:
    """A new receiver. Returns it with its secret, which is shown this once and never again."""
    _require_admin(actor)
    name, url, events = webhook_subscription_clean(name, url, events)
    secret = secrets.token_urlsafe(32)
    subscription = WebhookSubscription.objects.create(
        name=name, url=url, events=events, active=active, secret=secret, created_by=actor
    )
    audit_record(
        actor=actor,
        action="webhook.subscription_create",
        obj=subscription,
        changes=_described(subscription),
    )
    return subscription, secret


@transaction.atomic
def webhook_subscription_update(
    *,
    actor: Any,
    subscription: WebhookSubscription,
    name: str,
    url: str,
    events: list[str],
    active: bool,
) -> WebhookSubscription:
    """Change a receiver; the audit row holds before and after (never the secret)."""
    _require_admin(actor)
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    before = _described(subscription)
    subscription.name, subscription.url, subscription.events = webhook_subscription_clean(
        name, url, events
    )
    subscription.active = active
    subscription.save(update_fields=["name", "url", "events", "active", "updated_at"])
    after = _described(subscription)
    audit_record(
        actor=actor,
        action="webhook.subscription_update",
        obj=subscription,
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
    )
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, actor: Any, subscription: WebhookSubscription) -> None:
    """Remove a receiver and its queued deliveries."""
    _require_admin(actor)
    audit_record(
        actor=actor,
        action="webhook.subscription_delete",
        obj=subscription,
        changes=_described(subscription),
    )
    subscription.delete()
