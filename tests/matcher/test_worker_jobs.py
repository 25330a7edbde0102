"""Recognition jobs on real Celery workers: killed workers, the kill switch, the window's end."""

import os
import signal
import time
from pathlib import Path

import pytest
from django.utils import timezone

from lfr_portal.models import Alert, CameraState, Deployment, DeploymentCamera, DeploymentStatus
from lfr_portal.services import deployment_lifecycle as lifecycle
from matcher.tasks import recognition_watchdog
from tests import builders
from tests.matcher.conftest import watchlist_references
from tests.processes import celery_worker, wait_for

pytestmark = [pytest.mark.models, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER_ENV = {
    "LFR_RECOGNITION_CHUNK_FRAMES": "12",
    "LFR_RECOGNITION_STALE_SECONDS": "2",
    "LFR_OPENCV_THREADS": "1",
}


def booking_of(deployment):
    return DeploymentCamera.objects.get(deployment=deployment)


def test_a_killed_worker_loses_at_most_its_chunk_and_no_alert_is_repeated(
    operator, video_set, tmp_path, settings
):
    settings.LFR_RECOGNITION_STALE_SECONDS = 2
    out, truth = video_set
    video = truth["videos"][0]
    # Paced like a live camera, so the worker can be killed part-way through.
    source = str(out / Path(video["file"]).name) + "?realtime=1"
    env = {**WORKER_ENV, "LFR_VAR_DIR": str(tmp_path / "var")}
    with celery_worker(tmp_path / "first", queues="recognition", **env) as first:
        deployment, labels = builders.live_with_real_watchlist(
            operator, source, watchlist_references(truth)
        )
        booking = booking_of(deployment)
        assert wait_for(
            lambda: DeploymentCamera.objects.get(pk=booking.pk).chunk_index >= 3, timeout=120
        ), first.log_text
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    at_kill = DeploymentCamera.objects.get(pk=booking.pk)
    assert 0 < at_kill.source_position < video["frames"]

    with celery_worker(tmp_path / "second", queues="recognition", **env) as second:
        time.sleep(2.5)  # the dead job's heartbeat goes stale
        recognition_watchdog()
        assert wait_for(
            lambda: DeploymentCamera.objects.get(pk=booking.pk).state == CameraState.STOPPED,
            timeout=120,
        ), second.log_text
    done = booking_of(deployment)
    # Resumed from the last committed chunk: every frame analysed or skipped is counted,
    # and only frames read after the last commit before the kill can count twice.
    counted = done.frames_processed + done.frames_skipped
    assert (
        video["frames"]
        <= counted
        <= video["frames"] + 2 * int(WORKER_ENV["LFR_RECOGNITION_CHUNK_FRAMES"])
    )
    assert done.chunk_index > at_kill.chunk_index
    alerts = list(Alert.objects.filter(deployment=deployment))
    expected = sorted(item["identity"] for item in truth["watchlist"] if item["in_video"])
    assert sorted(labels[a.entry_id] for a in alerts) == expected


def test_the_kill_switch_stops_a_running_job(operator, video_set, tmp_path):
    out, truth = video_set
    source = str(out / Path(truth["videos"][0]["file"]).name) + "?loop=1&realtime=1"
    env = {**WORKER_ENV, "LFR_VAR_DIR": str(tmp_path / "var")}
    with celery_worker(tmp_path, queues="recognition", **env) as worker:
        deployment, _ = builders.live_with_real_watchlist(
            operator, source, watchlist_references(truth)[:1]
        )
        booking = booking_of(deployment)
        assert wait_for(
            lambda: DeploymentCamera.objects.get(pk=booking.pk).frames_processed > 0, timeout=60
        ), worker.log_text
        lifecycle.deployment_stop(actor=operator, deployment=deployment, reason="kill switch test")
        stopped_at = time.monotonic()
        assert wait_for(
            lambda: DeploymentCamera.objects.get(pk=booking.pk).job_token == "", timeout=30
        ), worker.log_text
        latency = time.monotonic() - stopped_at
        frames = DeploymentCamera.objects.get(pk=booking.pk).frames_processed
        time.sleep(1.5)
        assert DeploymentCamera.objects.get(pk=booking.pk).frames_processed == frames
    print(f"job released {latency:.2f} s after the kill switch")


def test_the_window_end_stops_the_job_and_completes_the_deployment(operator, video_set, tmp_path):
    out, truth = video_set
    source = str(out / Path(truth["videos"][0]["file"]).name) + "?loop=1&realtime=1"
    env = {**WORKER_ENV, "LFR_VAR_DIR": str(tmp_path / "var")}
    with celery_worker(tmp_path, queues="recognition", **env) as worker:
        deployment, _ = builders.live_with_real_watchlist(
            operator, source, watchlist_references(truth)[:1]
        )
        booking = booking_of(deployment)
        assert wait_for(
            lambda: DeploymentCamera.objects.get(pk=booking.pk).frames_processed > 0, timeout=60
        ), worker.log_text
        Deployment.objects.filter(pk=deployment.pk).update(
            ends_at=timezone.now() + timezone.timedelta(seconds=2)
        )
        assert wait_for(
            lambda: Deployment.objects.get(pk=deployment.pk).status == DeploymentStatus.COMPLETED,
            timeout=30,
        ), worker.log_text
        assert wait_for(
            lambda: DeploymentCamera.objects.get(pk=booking.pk).state == CameraState.STOPPED,
            timeout=30,
        )
