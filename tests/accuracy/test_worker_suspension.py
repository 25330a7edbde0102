"""A real worker at a deliberately low threshold raises false alerts; adjudicating them
past the ceiling suspends the deployment and its recognition job stops; an authorising
officer's resumption starts the job again."""

import time
from decimal import Decimal
from pathlib import Path

import pytest

from lfr_portal.models import (
    AccuracySuspension,
    Alert,
    CameraState,
    Deployment,
    DeploymentCamera,
    DeploymentStatus,
)
from lfr_portal.selectors.accuracy import deployment_accuracy
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services.alerts import alert_adjudicate
from matcher.face_sets import images_of
from tests import builders
from tests.processes import celery_worker, wait_for

pytestmark = [pytest.mark.models, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER_ENV = {
    "LFR_RECOGNITION_CHUNK_FRAMES": "12",
    "LFR_RECOGNITION_STALE_SECONDS": "2",
    "LFR_OPENCV_THREADS": "1",
}


def absent_references(truth):
    """Reference photographs of people who never appear in the video: every alert for
    them is a false alert, whoever the operator is looking at."""
    root = Path(truth["faces_root"])
    in_video = {a["identity"] for video in truth["videos"] for a in video["appearances"]}
    references = [
        (item["identity"], root / image)
        for item in truth["watchlist"]
        if not item["in_video"]
        for image in item["reference_images"]
    ]
    listed = {identity for identity, _ in references}
    # Everyone else in the video's own face set (the bundled AT&T set by default).
    face_set = next(iter(in_video)).split("/")[0]
    for folder in sorted((root / face_set).iterdir()):
        identity = f"{face_set}/{folder.name}"
        if identity not in in_video and identity not in listed:
            references.append((identity, images_of(folder)[0]))
    return references


def test_false_alerts_past_the_ceiling_suspend_recognition_until_an_officer_resumes(
    operator, ao, video_set, tmp_path
):
    out, truth = video_set
    source = str(out / Path(truth["videos"][0]["file"]).name) + "?loop=1&realtime=1"
    env = {**WORKER_ENV, "LFR_VAR_DIR": str(tmp_path / "var")}

    def log():
        return (tmp_path / "worker.log").read_text(errors="replace")

    with celery_worker(tmp_path, queues="recognition", **env):
        deployment, _ = builders.live_with_real_watchlist(
            operator,
            source,
            absent_references(truth),
            # Far below the floor (0.475): about 8% of impostor pairs pass.
            threshold=Decimal("0.200"),
            threshold_override_reason="Test of the false-alert ceiling.",
        )
        booking = DeploymentCamera.objects.get(deployment=deployment)
        assert wait_for(lambda: Alert.objects.filter(deployment=deployment).exists(), 90), log()

        # The operator judges each alert false (none of these people is in the video)
        # until the adjudications show the ceiling exceeded.
        def adjudicate_pending():
            for alert in Alert.objects.filter(deployment=deployment, adjudication="pending"):
                alert_adjudicate(
                    actor=operator, alert=alert, adjudication="false_alert", outcome="no_action"
                )
            return Deployment.objects.get(pk=deployment.pk).status == DeploymentStatus.SUSPENDED

        assert wait_for(adjudicate_pending, timeout=60, interval=1), log()
        suspended_at = time.monotonic()
        accuracy = deployment_accuracy(Deployment.objects.get(pk=deployment.pk))
        assert accuracy.suspended and accuracy.exceeded
        assert accuracy.false_alerts >= 1 and accuracy.faces_processed >= accuracy.false_alerts
        assert accuracy.window.per_face.low > 0.001

        # The job sees the suspension, lets go of the camera and processes no more frames.
        assert wait_for(
            lambda: DeploymentCamera.objects.get(pk=booking.pk).job_token == "", timeout=30
        ), log()
        print(f"job released {time.monotonic() - suspended_at:.2f} s after the suspension")
        print(accuracy.sentence)
        stopped = DeploymentCamera.objects.get(pk=booking.pk)
        assert stopped.state == CameraState.STOPPED
        alerts_at_stop = Alert.objects.filter(deployment=deployment).count()
        time.sleep(1.5)
        assert DeploymentCamera.objects.get(pk=booking.pk).frames_processed == (
            stopped.frames_processed
        )
        assert Alert.objects.filter(deployment=deployment).count() == alerts_at_stop

        # The authorising officer's recorded decision starts the job again.
        lifecycle.deployment_resume(
            actor=ao,
            deployment=deployment,
            reason="Threshold set too low for a test; resuming to prove the restart.",
        )
        assert wait_for(
            lambda: (
                DeploymentCamera.objects.get(pk=booking.pk).frames_processed
                > stopped.frames_processed
            ),
            timeout=60,
        ), log()
        assert AccuracySuspension.objects.get(deployment=deployment).resumed_by == ao
        lifecycle.deployment_stop(actor=operator, deployment=deployment, reason="End of test.")
        assert wait_for(
            lambda: DeploymentCamera.objects.get(pk=booking.pk).job_token == "", timeout=30
        ), log()
