"""A real worker whose media disk is full: every alert is still raised, its crop is held
in the database and reported, and the retry task stores it once the disk has room."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from lfr_portal.models import Alert, AlertCropPending, AuditEvent, CameraState, DeploymentCamera
from lfr_portal.tasks import alert_crops_store
from matcher.tasks import recognition_watchdog
from tests import builders
from tests.matcher.conftest import watchlist_references
from tests.processes import celery_worker, wait_for
from tests.support.disk import small_disk

pytestmark = [pytest.mark.models, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_no_alert_is_lost_when_the_media_disk_is_full(
    operator, video_set, tmp_path, settings, client
):
    out, truth = video_set
    video = truth["videos"][0]
    var = tmp_path / "var"
    media = var / "media"
    with small_disk(media, size_kib=4096) as disk:
        # The test and the worker share one media folder: the small, soon full, disk.
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(media)},
            },
        }
        settings.MEDIA_ROOT = media
        deployment, labels = builders.live_with_real_watchlist(
            operator, str(out / Path(video["file"]).name), watchlist_references(truth)
        )
        booking = DeploymentCamera.objects.get(deployment=deployment)
        disk.fill()
        env = {
            "LFR_VAR_DIR": str(var),
            "LFR_RECOGNITION_CHUNK_FRAMES": "12",
            "LFR_OPENCV_THREADS": "1",
        }
        with celery_worker(tmp_path / "worker", queues="default,recognition", **env) as worker:
            recognition_watchdog()  # the job's first dispatch went before the worker
            assert wait_for(
                lambda: DeploymentCamera.objects.get(pk=booking.pk).state == CameraState.STOPPED,
                timeout=120,
            ), worker.log_text

            # Every expected alert was raised, each with its crop held in the database.
            alerts = list(Alert.objects.filter(deployment=deployment).order_by("pk"))
            expected = sorted(item["identity"] for item in truth["watchlist"] if item["in_video"])
            assert sorted(labels[a.entry_id] for a in alerts) == expected
            held = {p.alert_id: bytes(p.jpeg) for p in AlertCropPending.objects.all()}
            assert set(held) == {a.pk for a in alerts}
            assert disk.files() == []
            failed = AuditEvent.objects.filter(action="alert.crop_store_failed")
            assert {e.object_public_id for e in failed} == {str(a.public_id) for a in alerts}
            assert "could not be stored (No space left on device)" in worker.log_text_so_far()

            # The operator adjudicates from the held image meanwhile.
            client.force_login(operator)
            for alert in alerts:
                response = client.get(f"/images/alerts/{alert.public_id}.jpg")
                assert response.status_code == 200 and response.content == held[alert.pk]
                face = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
                assert face is not None and min(face.shape[:2]) >= 24

            # Room again: the periodic retry, run by the real worker, stores every crop.
            disk.free()
            alert_crops_store.delay()
            assert wait_for(lambda: not AlertCropPending.objects.exists(), timeout=60), (
                worker.log_text_so_far()
            )
        for alert in alerts:
            alert.refresh_from_db()
            assert (media / alert.crop.name).read_bytes() == held[alert.pk]
        assert len(disk.files()) == len(alerts)
        assert AuditEvent.objects.filter(action="alert.crop_stored").count() == len(alerts)
