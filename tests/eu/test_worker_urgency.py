"""EU AI Act mode on a real Celery worker: an urgent deployment still without a granted
decision when its window has passed stops by itself (its recognition job lets go of the
camera) and everything it produced is deleted from the database and the media store,
with a deletion record and audit rows; one granted in time goes on."""

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from lfr_portal.celery import app
from lfr_portal.models import (
    Alert,
    AlertCropPending,
    AuditEvent,
    CameraState,
    DeletionRecord,
    Deployment,
    DeploymentCamera,
    DeploymentStatus,
    Engagement,
    WatchlistEntry,
    WatchlistStatus,
)
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services import eu_mode
from tests import builders
from tests.factories import AlertFactory, DeploymentFactory
from tests.matcher.conftest import watchlist_references
from tests.processes import celery_worker, wait_for

pytestmark = [pytest.mark.models, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER_ENV = {
    "LFR_RECOGNITION_CHUNK_FRAMES": "12",
    "LFR_RECOGNITION_STALE_SECONDS": "2",
    "LFR_OPENCV_THREADS": "1",
    "LFR_EU_AI_ACT_MODE": "1",
}


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def granted_in_time(ao):
    """Urgent and live for 25 hours, its authority having granted it within the window."""
    now = timezone.now()
    deployment = DeploymentFactory(
        status=DeploymentStatus.LIVE,
        eu_urgency=True,
        eu_urgency_reason="Imminent threat to a crowd.",
        eu_purpose="threat_prevention",
        went_live_at=now - timedelta(hours=25),
    )
    eu_mode.deployment_eu_request_record(
        actor=ao,
        deployment=deployment,
        requested_at=now - timedelta(hours=24, minutes=50),
        method="telephone",
        reference="REQ/7",
    )
    eu_mode.deployment_independent_decision(
        actor=ao,
        deployment=deployment,
        decision="granted",
        authority="Tribunal judiciaire de Lyon",
        authority_kind="judicial",
        decided_at=now - timedelta(hours=2),
        reference="JUD/7",
    )
    return deployment, AlertFactory(deployment=deployment)


def test_an_urgent_deployment_without_a_decision_stops_and_is_deleted_after_24_hours(
    operator,
    ao,
    video_set,
    tmp_path,
    settings,
):
    out, truth = video_set
    var = tmp_path / "var"
    media = var / "media"
    # The test process and the worker share one media store, as the web and workers do.
    settings.MEDIA_ROOT = media
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
    }
    # Built as an ordinary approved deployment, then going live in EU mode under urgency.
    settings.LFR_EU_AI_ACT_MODE = False
    source = str(out / Path(truth["videos"][0]["file"]).name) + "?loop=1&realtime=1"
    deployment, _ = builders.live_with_real_watchlist(
        operator,
        source,
        watchlist_references(truth),
        start=False,
        eu_urgency=True,
        eu_urgency_reason="A child abducted an hour ago was last seen here.",
    )
    settings.LFR_EU_AI_ACT_MODE = True
    entry_files = {e.reference_image.name for e in deployment.watchlist.entries.all()}
    assert entry_files and entry_files <= files_under(media)
    other, other_alert = granted_in_time(ao)

    env = {**WORKER_ENV, "LFR_VAR_DIR": str(var)}
    # Two processes: one runs the camera job, the other the EU task beside it.
    with celery_worker(
        tmp_path / "worker", queues="default,recognition", concurrency=2, **env
    ) as worker:
        deployment = lifecycle.deployment_start(actor=operator, deployment=deployment)
        assert deployment.eu_authorisation_requested_at is None  # never assumed
        booking = DeploymentCamera.objects.get(deployment=deployment)
        assert wait_for(
            lambda: (
                Alert.objects.filter(deployment=deployment).exclude(crop="").exists()
                and not AlertCropPending.objects.exists()
            ),
            timeout=180,
        ), worker.log_text_so_far()
        crops = {a.crop.name for a in Alert.objects.filter(deployment=deployment)}
        assert crops <= files_under(media)
        # A request alone does not save it: only a granted decision does.
        eu_mode.deployment_eu_request_record(
            actor=ao,
            deployment=deployment,
            requested_at=timezone.now(),
            method="electronic",
            reference="REQ/2026/99",
        )

        # The window passes without a decision: the beat task, run by the worker.
        Deployment.objects.filter(pk=deployment.pk).update(
            went_live_at=timezone.now() - timedelta(hours=24, seconds=5)
        )
        # Results are off (task_ignore_result): what the task did is read from the database.
        app.send_task("lfr_portal.eu_enforce_urgency", queue="default")
        assert wait_for(
            lambda: DeletionRecord.objects.filter(
                deployment=deployment, category="watchlist_biometrics"
            ).exists(),
            timeout=120,
        ), worker.log_text_so_far()
        assert "lfr_portal.eu_enforce_urgency" in worker.log_text_so_far()

        # The job saw the status and let go of the camera; no more frames are processed.
        assert wait_for(
            lambda: DeploymentCamera.objects.get(pk=booking.pk).job_token == "", timeout=30
        ), worker.log_text_so_far()
        frames = DeploymentCamera.objects.get(pk=booking.pk).frames_processed
        time.sleep(1.5)
        assert DeploymentCamera.objects.get(pk=booking.pk).frames_processed == frames
        assert DeploymentCamera.objects.get(pk=booking.pk).state == CameraState.STOPPED

    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.CANCELLED and deployment.stopped_early
    assert deployment.ended_by is None and "urgency window" in deployment.end_reason

    # Everything it produced is gone, rows and files alike.
    assert not Alert.objects.filter(deployment=deployment).exists()
    assert not Engagement.objects.filter(alert__deployment=deployment).exists()
    assert not AlertCropPending.objects.exists()
    left = files_under(media)
    # Every crop in this store was this deployment's (the other deployment's alert has none).
    assert not [name for name in left if name.startswith("alerts/")], left
    assert not (entry_files & left), left
    entries = WatchlistEntry.objects.filter(watchlist__deployment=deployment)
    assert entries.exists()
    assert not entries.exclude(reference_image="").exists()
    assert not entries.filter(embedding__isnull=False).exists()
    assert deployment.watchlist.__class__.objects.get(pk=deployment.watchlist.pk).status == (
        WatchlistStatus.DESTROYED
    )

    # Recorded: what was deleted under which rule, and by whom (the system).
    record = DeletionRecord.objects.get(deployment=deployment, category="deployment_data")
    raised = AuditEvent.objects.filter(
        action="alert.raise", deployment_public_id=str(deployment.public_id)
    ).count()
    assert record.count == raised >= len(crops) and record.files_removed == raised
    assert "urgent use without a granted authorisation" in record.rule
    assert DeletionRecord.objects.filter(
        deployment=deployment, category="watchlist_biometrics"
    ).exists()
    lapsed = AuditEvent.objects.get(
        action="deployment.eu_urgency_lapsed", object_public_id=str(deployment.public_id)
    )
    assert lapsed.actor_username == "system" and lapsed.changes["request_recorded"] is True
    deletions = AuditEvent.objects.filter(
        action="retention.delete", deployment_public_id=str(deployment.public_id)
    )
    assert deletions.count() >= 2
    assert {e.actor_username for e in deletions} == {"system"}

    # The deployment granted within its window goes on, its alert kept.
    other.refresh_from_db()
    assert other.status == DeploymentStatus.LIVE
    assert Alert.objects.filter(pk=other_alert.pk).exists()
    assert not AuditEvent.objects.filter(
        action="deployment.eu_urgency_lapsed", object_public_id=str(other.public_id)
    ).exists()
