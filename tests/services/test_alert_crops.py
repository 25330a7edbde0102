"""An alert's crop when the media disk is full: kept in the database, shown, retried,
reported on the audit trail, the dashboard and the live view, and stored once there is
room. The disk is a real tmpfs, filled until the kernel answers ENOSPC."""

import logging
from datetime import timedelta

import cv2
import numpy as np
import pytest
from django.conf import settings
from django.utils import timezone

from lfr_portal.models import Alert, AlertCropPending, AuditEvent, DeletionRecord
from lfr_portal.services import recognition as svc
from lfr_portal.services.retention import retention_apply
from tests import builders
from tests.factories import user_with_role
from tests.support.disk import small_disk

pytestmark = pytest.mark.django_db


def jpeg(seed):
    pixels = np.random.default_rng(seed).integers(0, 255, (112, 112, 3), dtype=np.uint8)
    ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return data.tobytes()


def raise_alerts(deployment, crops, chunk=1, django_capture_on_commit_callbacks=None):
    booking = deployment.cameras.get()
    entries = list(deployment.watchlist.entries.order_by("pk"))
    drafts = [
        svc.AlertDraft(
            entry_id=entries[i].pk,
            score=0.61,
            captured_at=timezone.now(),
            track_key=f"t{chunk}-{i}",
            crop_jpeg=crop,
        )
        for i, crop in enumerate(crops)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        alerts = svc.recognition_chunk_commit(
            booking_id=booking.pk,
            chunk_index=chunk,
            source_position=chunk * 25,
            frames=25,
            faces=len(crops),
            alerts=drafts,
        )
    assert len(alerts) == len(crops)
    return alerts


def stored_bytes(alert):
    alert.refresh_from_db()
    return (settings.MEDIA_ROOT / alert.crop.name).read_bytes()


def test_a_crop_reaches_the_media_store_and_leaves_nothing_in_the_database(
    operator, django_capture_on_commit_callbacks
):
    deployment = builders.live(operator)
    crop = jpeg(1)
    (alert,) = raise_alerts(
        deployment, [crop], django_capture_on_commit_callbacks=(django_capture_on_commit_callbacks)
    )
    assert stored_bytes(alert) == crop
    assert not AlertCropPending.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="alert.crop_").exists()


def test_a_full_disk_keeps_the_crop_reports_it_and_stores_it_once_there_is_room(
    operator, client, caplog, django_capture_on_commit_callbacks
):
    deployment = builders.live(operator)
    crops = [jpeg(2), jpeg(3)]
    with small_disk(settings.MEDIA_ROOT) as disk:
        disk.fill()
        with caplog.at_level(logging.WARNING, logger="lfr_portal.services.recognition"):
            alerts = raise_alerts(
                deployment,
                crops,
                django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
            )

        # The alerts are raised with their crops, held in the database; no file, not
        # even a partial one, is left on the full disk.
        assert Alert.objects.filter(deployment=deployment).count() == 2
        held = {p.alert_id: p for p in AlertCropPending.objects.all()}
        assert [bytes(held[a.pk].jpeg) for a in alerts] == crops
        assert all(p.attempts == 1 and "No space left" in p.last_error for p in held.values())
        assert disk.files() == []
        failures = AuditEvent.objects.filter(action="alert.crop_store_failed")
        assert sorted(e.object_public_id for e in failures) == sorted(
            str(a.public_id) for a in alerts
        )
        assert all("No space left" in e.changes["error"] for e in failures)
        assert "2 alert image(s) could not be stored (No space left on device)" in caplog.text

        # The operator still sees each face, from the database, and is told why.
        client.force_login(operator)
        for alert, crop in zip(alerts, crops, strict=True):
            response = client.get(f"/images/alerts/{alert.public_id}.jpg")
            assert response.status_code == 200 and response.content == crop
            assert response["Cache-Control"] == "private, no-store"
        feed = client.get(f"/deployments/{deployment.public_id}/operate/feed.json").json()
        assert "has not taken 2 alert images" in feed["storage_warning"]
        assert "No space left on device" in feed["storage_warning"]
        assert "has not taken 2 alert images" in client.get("/dashboard/").content.decode()

        # A retry on a still-full disk counts the attempt but does not repeat the report.
        assert svc.alert_crops_store() == (0, 2)
        assert all(p.attempts == 2 for p in AlertCropPending.objects.all())
        assert failures.count() == 2

        disk.free()
        assert svc.alert_crops_store() == (2, 0)
        assert [stored_bytes(a) for a in alerts] == crops
        assert len(disk.files()) == 2
        stored = AuditEvent.objects.filter(action="alert.crop_stored")
        assert stored.count() == 2
        assert all(e.changes["failed_attempts"] == 2 for e in stored)
        for alert, crop in zip(alerts, crops, strict=True):
            assert client.get(f"/images/alerts/{alert.public_id}.jpg").getvalue() == crop
        feed = client.get(f"/deployments/{deployment.public_id}/operate/feed.json").json()
        assert feed["storage_warning"] == ""
        assert "Alert images waiting" not in client.get("/dashboard/").content.decode()


def test_a_held_crop_is_shown_only_to_those_who_may_see_alert_images(
    operator, compliance, client, django_capture_on_commit_callbacks
):
    deployment = builders.live(operator)
    with small_disk(settings.MEDIA_ROOT) as disk:
        disk.fill()
        (alert,) = raise_alerts(
            deployment,
            [jpeg(4)],
            django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
        )
        url = f"/images/alerts/{alert.public_id}.jpg"
        for outsider in (user_with_role("operator"), compliance):
            client.force_login(outsider)
            assert client.get(url).status_code == 404
        client.logout()
        assert client.get(url).status_code in (302, 404)


def test_retention_lets_go_of_a_crop_still_held_in_the_database(
    operator, django_capture_on_commit_callbacks
):
    deployment = builders.live(operator)
    with small_disk(settings.MEDIA_ROOT) as disk:
        disk.fill()
        (alert,) = raise_alerts(
            deployment,
            [jpeg(5)],
            django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
        )
        retention_apply(now=timezone.now() + settings.LFR_ALERT_RETENTION + timedelta(days=1))
        assert not AlertCropPending.objects.exists()
        alert.refresh_from_db()
        assert alert.crop.name == "" and alert.crop_deleted_at is not None
        record = DeletionRecord.objects.get(deployment=deployment, category="alert_images")
        assert record.count == 1 and len(record.item_hashes) == 1
