"""Signed webhooks out: the signature and the replay refusal a receiver applies, delivery
to a real HTTP server, retries with backoff and giving up, the events the lifecycle and
recognition emit, and subscriptions managed by administrators on the audit trail."""

import json
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from lfr_portal import webhook_signing as signing
from lfr_portal.celery import app
from lfr_portal.errors import NotPermitted, RuleViolation
from lfr_portal.models import (
    AuditEvent,
    DeletionRecord,
    RetentionCategory,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services import recognition
from lfr_portal.services import webhooks as svc
from lfr_portal.services.retention import retention_apply
from lfr_portal.tasks import webhook_deliver
from tests import builders
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SECRET = "s3cret-for-tests"


# --- A real receiver --------------------------------------------------------------


class Receiver:
    """An HTTP server in a thread that checks each delivery as a receiver should."""

    def __init__(self, status=204, tolerance=300):
        self.status = status
        self.tolerance = tolerance
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = dict(self.headers.items())
                try:
                    signing.verify(
                        secret=SECRET,
                        body=body,
                        timestamp_header=self.headers.get(signing.TIMESTAMP_HEADER),
                        signature_header=self.headers.get(signing.SIGNATURE_HEADER),
                        tolerance_seconds=outer.tolerance,
                    )
                    verified = True
                except signing.SignatureInvalid:
                    verified = False
                outer.requests.append({"headers": headers, "body": body, "verified": verified})
                self.send_response(outer.status if verified else 401)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def subscription(url="https://cad.example.test/hook", events=None, active=True):
    return WebhookSubscription.objects.create(
        name=f"CAD {WebhookSubscription.objects.count()}",
        url=url,
        secret=SECRET,
        events=events if events is not None else list(WebhookEvent.values),
        active=active,
        created_by=UserFactory(),
    )


@pytest.fixture
def sent(monkeypatch):
    """Tasks sent to the broker, recorded instead."""
    calls = []
    monkeypatch.setattr(app, "send_task", lambda name, **options: calls.append((name, options)))
    return calls


# --- Signing ------------------------------------------------------------------------


def test_a_signature_verifies_and_any_change_to_body_secret_or_time_is_refused():
    body = b'{"event":"alert.raised"}'
    headers = signing.signed_headers(secret=SECRET, body=body, event="alert.raised", delivery="7")
    stamp, sig = headers[signing.TIMESTAMP_HEADER], headers[signing.SIGNATURE_HEADER]
    assert sig.startswith("v1=") and len(sig) == 3 + 64
    signing.verify(
        secret=SECRET, body=body, timestamp_header=stamp, signature_header=sig, tolerance_seconds=5
    )
    for secret, tampered, when in [
        (SECRET, body + b" ", stamp),
        ("another", body, stamp),
        (SECRET, body, str(int(stamp) + 1)),  # the signed timestamp cannot be moved
    ]:
        with pytest.raises(signing.SignatureInvalid, match="does not match"):
            signing.verify(
                secret=secret,
                body=tampered,
                timestamp_header=when,
                signature_header=sig,
                tolerance_seconds=5,
            )
    with pytest.raises(signing.SignatureInvalid, match="missing"):
        signing.verify(
            secret=SECRET,
            body=body,
            timestamp_header=stamp,
            signature_header=None,
            tolerance_seconds=5,
        )


def test_a_replayed_delivery_is_refused_once_older_than_the_tolerance():
    body = b"{}"
    sent_at = 1_800_000_000
    headers = signing.signed_headers(
        secret=SECRET, body=body, event="deployment.started", delivery="1", timestamp=sent_at
    )
    args = {
        "secret": SECRET,
        "body": body,
        "timestamp_header": headers[signing.TIMESTAMP_HEADER],
        "signature_header": headers[signing.SIGNATURE_HEADER],
        "tolerance_seconds": 300,
    }
    signing.verify(**args, now=sent_at + 300)
    with pytest.raises(signing.SignatureInvalid, match="replay"):
        signing.verify(**args, now=sent_at + 301)
    with pytest.raises(signing.SignatureInvalid, match="replay"):
        signing.verify(**args, now=sent_at - 301)


# --- Emitting -----------------------------------------------------------------------


def test_an_event_is_queued_for_each_active_listener_and_sent_only_on_commit(
    sent, django_capture_on_commit_callbacks
):
    listening = subscription(events=[WebhookEvent.ALERT_RAISED])
    subscription(events=[WebhookEvent.DEPLOYMENT_STARTED])
    subscription(events=[WebhookEvent.ALERT_RAISED], active=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        svc.webhook_event_emit(event=WebhookEvent.ALERT_RAISED, payload={"alert": "a"})
    assert sent == []  # nothing leaves before the commit
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.subscription == listening and delivery.payload == {"alert": "a"}
    for callback in callbacks:
        callback()
    assert sent == [
        (svc.DELIVER_TASK, {"args": [delivery.pk], "queue": "default", "ignore_result": True})
    ]


def test_a_rolled_back_change_sends_nothing(sent, django_capture_on_commit_callbacks):
    subscription()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        svc.webhook_event_emit(event=WebhookEvent.ALERT_RAISED, payload={})
        raise RuntimeError("the caller's change failed")
    assert not WebhookDelivery.objects.exists() and sent == []


def test_images_are_left_out_unless_the_setting_allows_them(sent, settings):
    subscription()
    payload = {"alert": "a", "crop": "AAAA", "nested": [{"photo_url": "/x.jpg", "id": 1}]}
    svc.webhook_event_emit(event=WebhookEvent.ALERT_RAISED, payload=payload)
    settings.LFR_WEBHOOK_INCLUDE_IMAGES = True
    svc.webhook_event_emit(event=WebhookEvent.ALERT_RAISED, payload=payload)
    without, with_images = WebhookDelivery.objects.order_by("pk")
    assert without.payload == {"alert": "a", "nested": [{"id": 1}]}
    assert with_images.payload == payload
    with pytest.raises(ValueError):
        svc.webhook_event_emit(event="alert.deleted", payload={})


# --- Delivering ---------------------------------------------------------------------


def queued(url, event=WebhookEvent.DEPLOYMENT_STARTED, payload=None):
    return WebhookDelivery.objects.create(
        subscription=subscription(url=url), event=event, payload=payload or {"deployment": "d"}
    )


def test_a_delivery_reaches_a_real_receiver_signed_and_is_not_sent_twice():
    with Receiver() as receiver:
        delivery = queued(receiver.url)
        assert svc.webhook_delivery_attempt(delivery_id=delivery.pk) == "delivered"
        assert svc.webhook_delivery_attempt(delivery_id=delivery.pk) == "done"
    (request,) = receiver.requests
    assert request["verified"]
    assert request["headers"][signing.EVENT_HEADER] == "deployment.started"
    delivery_id = request["headers"][signing.DELIVERY_HEADER]
    assert delivery_id == svc.delivery_public_id(delivery) != str(delivery.pk)
    body = json.loads(request["body"])
    assert body["data"] == {"deployment": "d"} and body["delivery"] == delivery_id
    delivery.refresh_from_db()
    assert delivery.delivered_at and delivery.attempts == 1 and delivery.last_status == 204


def test_a_captured_delivery_replayed_after_the_tolerance_is_refused_by_the_receiver():
    with Receiver() as receiver:
        svc.webhook_delivery_attempt(delivery_id=queued(receiver.url).pk)
    (request,) = receiver.requests
    headers = request["headers"]
    replay = {
        "secret": SECRET,
        "body": request["body"],
        "timestamp_header": headers[signing.TIMESTAMP_HEADER],
        "signature_header": headers[signing.SIGNATURE_HEADER],
        "tolerance_seconds": 300,
    }
    signing.verify(**replay)
    with pytest.raises(signing.SignatureInvalid, match="replay"):
        signing.verify(**replay, now=int(headers[signing.TIMESTAMP_HEADER]) + 301)


def test_a_failing_receiver_is_retried_with_backoff_and_given_up_after_the_limit(settings):
    settings.LFR_WEBHOOK_MAX_ATTEMPTS = 3
    assert webhook_deliver.autoretry_for == (svc.WebhookDeliveryFailed,)
    assert webhook_deliver.retry_backoff and webhook_deliver.retry_backoff_max
    with Receiver(status=503) as receiver:
        delivery = queued(receiver.url)
        with pytest.raises(svc.WebhookDeliveryFailed, match="HTTP 503"):
            svc.webhook_delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        assert delivery.attempts == 1 and delivery.given_up_at is None
        # Run eagerly, Celery's retries follow at once: attempts 2 and 3, then it gives up.
        result = webhook_deliver.apply(args=[delivery.pk])
    assert result.get() == "given_up"
    assert len(receiver.requests) == 3 and all(r["verified"] for r in receiver.requests)
    # Every retry carries the same delivery id, so the receiver can tell it is one event.
    assert len({r["headers"][signing.DELIVERY_HEADER] for r in receiver.requests}) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 3 and delivery.given_up_at and not delivery.delivered_at
    assert delivery.last_status == 503 and delivery.last_error == "HTTP 503"
    event = AuditEvent.objects.get(action="webhook.give_up")
    assert "3 attempts failed" in event.reason
    assert svc.webhook_delivery_attempt(delivery_id=delivery.pk) == "done"


def test_an_unreachable_receiver_counts_as_a_failed_attempt():
    with Receiver() as receiver:
        url = receiver.url
    delivery = queued(url)  # the server is closed: the connection is refused
    with pytest.raises(svc.WebhookDeliveryFailed, match="ConnectionError"):
        svc.webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_status is None


# --- Events from the lifecycle and recognition ---------------------------------------


def payloads(event):
    return [d.payload for d in WebhookDelivery.objects.filter(event=event).order_by("pk")]


def test_start_suspend_resume_and_stop_are_emitted_with_ids_and_no_reasons(
    operator, ao, sent, django_capture_on_commit_callbacks
):
    subscription()
    deployment = builders.live(operator)
    public_id = str(deployment.public_id)
    (started,) = payloads(WebhookEvent.DEPLOYMENT_STARTED)
    assert started["deployment"] == public_id and started["status"] == "live"
    window = SimpleNamespace(
        sentence="5 false alerts in 100 faces.",
        faces=100,
        false_alerts=5,
        ceiling=Decimal("0.001"),
        per_face=SimpleNamespace(low=0.01),
    )
    lifecycle.deployment_suspend_for_false_alerts(deployment=deployment, window=window)
    (suspended,) = payloads(WebhookEvent.DEPLOYMENT_SUSPENDED)
    assert suspended["status"] == "suspended" and suspended["cause"] == "false_alert_ceiling"
    lifecycle.deployment_resume(actor=ao, deployment=deployment, reason="Reviewed: glare fixed")
    assert payloads(WebhookEvent.DEPLOYMENT_STARTED)[1]["resumed"] is True
    lifecycle.deployment_stop(actor=operator, deployment=deployment, reason="Crowd too large")
    (stopped,) = payloads(WebhookEvent.DEPLOYMENT_STOPPED)
    assert stopped["deployment"] == public_id and stopped["stopped_early"] is True
    assert "Crowd" not in json.dumps(payloads(WebhookEvent.DEPLOYMENT_STOPPED))
    assert "glare" not in json.dumps(payloads(WebhookEvent.DEPLOYMENT_STARTED))


def test_cancelling_a_deployment_that_never_went_live_emits_nothing(planner, sent):
    subscription()
    deployment = builders.approved()
    lifecycle.deployment_cancel(actor=deployment.created_by, deployment=deployment, reason="x")
    assert not WebhookDelivery.objects.exists()


def test_a_raised_alert_is_emitted_with_camera_and_category_and_no_crop(
    operator, sent, settings, django_capture_on_commit_callbacks
):
    subscription(events=[WebhookEvent.ALERT_RAISED])
    deployment = builders.live(operator)
    booking = deployment.cameras.get()
    entry = deployment.watchlist.entries.order_by("pk").first()
    crop = b"\xff\xd8\xff-not-really-a-jpeg"
    with django_capture_on_commit_callbacks(execute=False):
        (alert,) = recognition.recognition_chunk_commit(
            booking_id=booking.pk,
            chunk_index=1,
            source_position=25,
            frames=25,
            faces=1,
            alerts=[
                recognition.AlertDraft(
                    entry_id=entry.pk,
                    score=0.61,
                    captured_at=timezone.now(),
                    track_key="t1",
                    crop_jpeg=crop,
                )
            ],
        )
    (payload,) = payloads(WebhookEvent.ALERT_RAISED)
    assert payload == {
        "alert": str(alert.public_id),
        "deployment": str(deployment.public_id),
        "camera": str(booking.camera.public_id),
        "captured_at": payload["captured_at"],
        "entry_category": entry.category,
    }
    assert entry.reference_number not in json.dumps(payload)


# --- Subscriptions ------------------------------------------------------------------


def test_only_an_administrator_manages_subscriptions_and_every_change_is_audited(ao):
    admin = UserFactory(is_superuser=True, is_staff=True)
    with pytest.raises(NotPermitted):
        svc.webhook_subscription_create(
            actor=ao, name="CAD", url="https://cad.example.test/", events=["alert.raised"]
        )
    with pytest.raises(RuleViolation) as refused:
        svc.webhook_subscription_create(
            actor=admin, name="CAD", url="http://cad.example.test/", events=["alert.raised"]
        )
    assert refused.value.field == "url"
    with pytest.raises(RuleViolation) as refused:
        svc.webhook_subscription_create(
            actor=admin, name="CAD", url="https://cad.example.test/", events=["alert.nope"]
        )
    assert refused.value.field == "events"
    made, secret = svc.webhook_subscription_create(
        actor=admin, name="CAD", url="https://cad.example.test/", events=["alert.raised"]
    )
    assert len(secret) >= 40
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM lfr_portal_webhooksubscription WHERE id=%s", [made.pk])
        assert secret not in cursor.fetchone()[0]  # encrypted at rest
    with pytest.raises(NotPermitted):
        svc.webhook_subscription_update(
            actor=ao, subscription=made, name="X", url=made.url, events=made.events, active=True
        )
    svc.webhook_subscription_update(
        actor=admin,
        subscription=made,
        name="CAD",
        url="https://cad2.example.test/",
        events=["alert.raised"],
        active=False,
    )
    svc.webhook_subscription_delete(actor=admin, subscription=made)
    events = AuditEvent.objects.filter(action__startswith="webhook.subscription_").order_by("seq")
    assert [e.action for e in events] == [
        "webhook.subscription_create",
        "webhook.subscription_update",
        "webhook.subscription_delete",
    ]
    assert events[1].changes == {
        "url": ["https://cad.example.test/", "https://cad2.example.test/"],
        "active": [True, False],
    }
    assert all(secret not in json.dumps(e.changes) for e in events)
    assert not WebhookSubscription.objects.exists()


def test_the_admin_site_shows_the_secret_once_and_audits_the_creation(client):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    answer = client.post(
        reverse("admin:lfr_portal_webhooksubscription_add"),
        {
            "name": "CAD",
            "url": "https://cad.example.test/",
            "events": ["alert.raised"],
            "active": "on",
        },
    )
    made = WebhookSubscription.objects.get()
    assert answer.status_code == 200 and made.secret in answer.content.decode()
    assert "no-store" in answer["Cache-Control"]
    assert all(made.secret not in morsel.value for morsel in answer.cookies.values())
    assert AuditEvent.objects.filter(action="webhook.subscription_create").count() == 1
    for page in (
        client.get(reverse("admin:lfr_portal_webhooksubscription_change", args=[made.pk])),
        client.get(reverse("admin:lfr_portal_webhooksubscription_changelist")),
    ):
        assert page.status_code == 200 and made.secret not in page.content.decode()
    refused = client.post(
        reverse("admin:lfr_portal_webhooksubscription_add"),
        {"name": "CAD", "url": "ftp://cad.example.test/", "events": ["alert.raised"]},
    )
    assert refused.status_code == 200 and WebhookSubscription.objects.count() == 1


def test_the_admin_site_is_for_administrators_only(client, compliance):
    compliance.is_staff = True
    compliance.save()
    client.force_login(compliance)
    answer = client.get(reverse("admin:lfr_portal_webhooksubscription_changelist"))
    assert answer.status_code == 403


# --- Failures shown to staff -----------------------------------------------------------


def test_failing_deliveries_are_shown_to_compliance_and_not_to_an_operator(
    client, compliance, ao, operator
):
    delivery = queued("https://cad.example.test/", payload={"deployment": "secret-payload-id"})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=2, last_error="HTTP 500")
    client.force_login(compliance)
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Webhook deliveries failing" in dashboard and "1 webhook delivery failing" in dashboard
    page = client.get(reverse("webhook-failures")).content.decode()
    assert "HTTP 500" in page and "deployment.started" in page
    assert "secret-payload-id" not in page
    client.force_login(ao)
    assert "1 webhook delivery failing" in client.get(reverse("dashboard")).content.decode()
    assert client.get(reverse("webhook-failures")).status_code == 200
    WebhookDelivery.objects.filter(pk=delivery.pk).update(delivered_at=timezone.now())
    assert "Webhook deliveries failing" not in client.get(reverse("dashboard")).content.decode()
    client.force_login(operator)
    assert client.get(reverse("webhook-failures")).status_code == 404
    assert "Webhook deliveries failing" not in client.get(reverse("dashboard")).content.decode()


def test_a_delivery_whose_task_was_lost_is_sent_again_by_beat(monkeypatch):
    from datetime import timedelta

    from lfr_portal import tasks

    now = timezone.now()
    never_sent = queued("https://cad.example.test/")
    fresh = queued("https://cad.example.test/")
    retry_lost = queued("https://cad.example.test/")
    retrying = queued("https://cad.example.test/")
    done = queued("https://cad.example.test/")
    WebhookDelivery.objects.filter(pk__in=[never_sent.pk, retry_lost.pk, retrying.pk]).update(
        created_at=now - timedelta(hours=3)
    )
    WebhookDelivery.objects.filter(pk=retry_lost.pk).update(
        attempts=2, last_attempt_at=now - timedelta(hours=3)
    )
    WebhookDelivery.objects.filter(pk=retrying.pk).update(
        attempts=2, last_attempt_at=now - timedelta(minutes=30)
    )
    WebhookDelivery.objects.filter(pk=done.pk).update(
        created_at=now - timedelta(hours=3), delivered_at=now
    )
    resent = []
    monkeypatch.setattr(tasks.webhook_deliver, "apply_async", lambda args: resent.append(args[0]))
    assert tasks.webhook_resend_stalled() == 2
    assert resent == [never_sent.pk, retry_lost.pk]
    assert fresh.pk not in resent and "webhook-resend-stalled" in app.conf.beat_schedule


def test_finished_deliveries_lose_their_image_and_then_go_with_retention(settings):
    """A crop the setting let an event carry is dropped once the event is finished, and
    the record itself is deleted by the retention run when its period is over."""
    settings.LFR_WEBHOOK_MAX_ATTEMPTS = 1
    with Receiver() as receiver:
        url = receiver.url
    delivery = queued(url, event=WebhookEvent.ALERT_RAISED, payload={"alert": "a", "crop": "QUJD"})
    assert svc.webhook_delivery_attempt(delivery_id=delivery.pk) == "given_up"
    delivery.refresh_from_db()
    assert "crop" not in delivery.payload and delivery.payload["alert"] == "a"

    assert retention_apply()[RetentionCategory.WEBHOOK_DELIVERIES] == 0  # not yet due
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - settings.LFR_WEBHOOK_DELIVERY_RETENTION - timedelta(days=1)
    )
    assert retention_apply()[RetentionCategory.WEBHOOK_DELIVERIES] == 1
    assert not WebhookDelivery.objects.filter(pk=delivery.pk).exists()
    assert DeletionRecord.objects.filter(category=RetentionCategory.WEBHOOK_DELIVERIES).exists()
