"""The camera job, run in this process on a generated test video with real models."""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from lfr_portal.models import Alert, AuditEvent, CameraState, DeploymentCamera
from lfr_portal.services import deployments as dep
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
    dep.deployment_stop(actor=operator, deployment=deployment, reason="test")
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
