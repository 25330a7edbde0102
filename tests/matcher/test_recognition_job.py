"""The camera job, run in this process on a generated test video with real models."""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from lfr_portal.models import Alert, AuditEvent, CameraState, DeploymentCamera
from lfr_portal.services import deployment_lifecycle as lifecycle
from matcher.jobs import JobOutcome, run_camera_job
from tests import builders
from tests.matcher.conftest import watchlist_references

pytestmark = [pytest.mark.models, pytest.mark.django_db(transaction=True)]


def test_a_camera_job_alerts_once_per_watchlisted_person_and_counts_the_rest(
    operator, video_set, settings
):
    settings.LFR_RECOGNITION_CHUNK_FRAMES = 20
    out, truth = video_set
    video = truth["videos"][0]
    deployment, labels = builders.live_with_real_watchlist(
        operator, str(out / Path(video["file"]).name), watchlist_references(truth)
    )
    booking = deployment.cameras.get()
    outcome = run_camera_job(booking.pk, time_budget=600)
    assert outcome == JobOutcome.ENDED

    expected = {item["identity"] for item in truth["watchlist"] if item["in_video"]}
    alerts = list(Alert.objects.filter(deployment=deployment))
    assert sorted(labels[a.entry_id] for a in alerts) == sorted(expected)
    for alert in alerts:
        assert float(alert.score) >= float(deployment.threshold)
        assert default_storage.exists(alert.crop.name)
    booking.refresh_from_db()
    assert booking.state == CameraState.STOPPED
    assert booking.frames_processed == video["frames"]
    people = len(video["appearances"])
    # Faces are counted once per track: at least everyone who walked past, and not
    # one per frame (each person is in view for dozens of frames).
    assert people <= booking.faces_processed < 3 * people
    deployment.refresh_from_db()
    assert deployment.faces_processed == booking.faces_processed
    assert AuditEvent.objects.filter(action="alert.raise").count() == len(expected)


def test_the_kill_switch_stops_the_job(operator, video_set, settings):
    out, truth = video_set
    video = truth["videos"][0]
    deployment, _ = builders.live_with_real_watchlist(
        operator, str(out / Path(video["file"]).name) + "?loop=1", watchlist_references(truth)[:1]
    )
    lifecycle.deployment_stop(actor=operator, deployment=deployment, reason="test")
    booking = deployment.cameras.get()
    assert run_camera_job(booking.pk, time_budget=30) == JobOutcome.STOPPED
    booking.refresh_from_db()
    assert booking.frames_processed == 0


def test_an_unreadable_source_fails_the_job_with_a_clear_state(operator, tmp_path, video_set):
    bogus = tmp_path / "not-a-video.avi"
    bogus.write_bytes(b"this is not a video")
    _, truth = video_set
    deployment, _ = builders.live_with_real_watchlist(
        operator, str(bogus), watchlist_references(truth)[:1]
    )
    booking = deployment.cameras.get()
    assert run_camera_job(booking.pk, time_budget=30) == JobOutcome.FAILED
    booking.refresh_from_db()
    assert booking.state == CameraState.FAILED
    assert "not a video" in booking.state_detail


def test_a_malformed_url_fails_the_job(operator, video_set):
    _, truth = video_set
    deployment, _ = builders.live_with_real_watchlist(
        operator, "gopher://camera.invalid/1", watchlist_references(truth)[:1]
    )
    booking = DeploymentCamera.objects.get(deployment=deployment)
    assert run_camera_job(booking.pk, time_budget=30) == JobOutcome.FAILED
    booking.refresh_from_db()
    assert "gopher" in booking.state_detail and booking.state == CameraState.FAILED


def test_no_frame_is_processed_outside_the_authorised_window(operator, video_set):
    from django.utils import timezone

    from lfr_portal.models import Deployment, DeploymentStatus

    out, truth = video_set
    video = truth["videos"][0]
    deployment, _ = builders.live_with_real_watchlist(
        operator, str(out / Path(video["file"]).name), watchlist_references(truth)[:1]
    )
    Deployment.objects.filter(pk=deployment.pk).update(ends_at=timezone.now())
    booking = deployment.cameras.get()
    assert run_camera_job(booking.pk, time_budget=30) == JobOutcome.STOPPED
    booking.refresh_from_db()
    assert booking.frames_processed == 0
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.COMPLETED
    assert AuditEvent.objects.filter(action="deployment.complete").exists()


def test_a_lost_stream_reconnects_and_the_gap_is_recorded(operator, video_set, settings):
    import threading

    from django.db import connection

    from lfr_portal.models import CameraGap
    from tests.processes import wait_for
    from tests.support.mjpeg import MJPEGCamera

    settings.LFR_RECOGNITION_CHUNK_FRAMES = 5
    out, truth = video_set
    video_path = out / Path(truth["videos"][0]["file"]).name
    camera = MJPEGCamera(video_path).start()
    deployment, _ = builders.live_with_real_watchlist(
        operator, camera.url, watchlist_references(truth)[:1]
    )
    booking = deployment.cameras.get()
    outcome = {}

    def job():
        try:
            outcome["value"] = run_camera_job(booking.pk, time_budget=60)
        finally:
            connection.close()

    thread = threading.Thread(target=job)
    thread.start()
    try:
        frames = lambda: DeploymentCamera.objects.get(pk=booking.pk).frames_processed  # noqa: E731
        assert wait_for(lambda: frames() > 0, timeout=30)
        camera.stop()
        assert wait_for(
            lambda: DeploymentCamera.objects.get(pk=booking.pk).state == CameraState.RECONNECTING,
            timeout=30,
        )
        gap = CameraGap.objects.get(booking=booking)
        assert gap.ended_at is None and "stopped sending frames" in gap.reason
        before = frames()
        camera = MJPEGCamera(video_path, port=camera.port).start()
        assert wait_for(lambda: frames() > before + 5, timeout=60)
        gap.refresh_from_db()
        assert gap.ended_at is not None and gap.ended_at > gap.started_at
        assert DeploymentCamera.objects.get(pk=booking.pk).state == CameraState.RUNNING
    finally:
        lifecycle.deployment_stop(actor=operator, deployment=deployment, reason="end of test")
        thread.join(timeout=30)
        camera.stop()
    assert outcome["value"] == JobOutcome.STOPPED
