"""Celery tasks of the recognition workers. Thin: they take ids and call the job code."""

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

log = logging.getLogger(__name__)


@shared_task(
    name="matcher.camera_run",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=180,
    time_limit=240,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def camera_run(self, booking_id):
    """Run one camera's recognition for a bounded time, then hand on to a fresh task."""
    from matcher.jobs import JobOutcome, run_camera_job

    outcome = run_camera_job(booking_id)
    if outcome == JobOutcome.CONTINUE:
        camera_run.apply_async(args=[booking_id])
    return outcome


@shared_task(
    name="matcher.enrol_entries",
    acks_late=True,
    soft_time_limit=300,
    time_limit=360,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def enrol_entries(entry_ids):
    """Check and embed the reference images of a batch of entries."""
    from matcher.enrol import enrol_entry_ids

    return enrol_entry_ids(entry_ids)


@shared_task(name="matcher.recognition_watchdog", soft_time_limit=50, time_limit=60)
def recognition_watchdog():
    """Restart camera jobs of live deployments whose worker died (heartbeat gone stale)."""
    from django.conf import settings
    from django.db.models import Q

    from lfr_portal.models import CameraState, DeploymentCamera, DeploymentStatus

    stale = timezone.now() - timezone.timedelta(seconds=settings.LFR_RECOGNITION_STALE_SECONDS)
    orphans = DeploymentCamera.objects.filter(
        deployment__status=DeploymentStatus.LIVE,
        state__in=[CameraState.STARTING, CameraState.RUNNING, CameraState.RECONNECTING],
    ).filter(Q(job_heartbeat_at__lt=stale) | Q(job_heartbeat_at__isnull=True))
    for booking_id in orphans.values_list("pk", flat=True):
        log.info("restarting the recognition job of camera booking %s", booking_id)
        camera_run.apply_async(args=[booking_id])
