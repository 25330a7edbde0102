"""Celery tasks of the recognition workers. Thin: they take ids and call the job code."""

import logging
import time
from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import KombuError

from lfr_portal.celery import hand_on_queue
from lfr_portal.models import CameraState, DeploymentCamera, DeploymentStatus
from matcher import jobs
from matcher.watchlist_enrolment import enrol_entry_ids

log = logging.getLogger(__name__)

CAMERA_RUN_SOFT_LIMIT = 180


@shared_task(
    name="matcher.camera_run",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=CAMERA_RUN_SOFT_LIMIT,
    time_limit=240,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def camera_run(self: Task, booking_id: int) -> str:
    """Run one camera's recognition for a bounded time, then hand on to a fresh task.

    Once the broker has failed to take the next task (Redis restarting), this task keeps
    the camera for as many rounds as fit inside its time limit before it tries again: the
    workers' consumers take a while to reconnect, and meanwhile recognition goes on here.
    If the broker still refuses, beat's watchdog restarts the job once it is back.
    """
    started = time.monotonic()
    broker_failed = False
    while True:
        outcome = jobs.run_camera_job(booking_id)
        if outcome != jobs.JobOutcome.CONTINUE:
            return outcome
        # One more round, with a round's worth of margin for a slow commit.
        elapsed = time.monotonic() - started
        another_round_fits = (
            elapsed + 2 * settings.LFR_RECOGNITION_TASK_SECONDS <= CAMERA_RUN_SOFT_LIMIT
        )
        if broker_failed and another_round_fits:
            continue
        try:
            _hand_on(booking_id)
            return outcome
        except KombuError as exc:
            if not another_round_fits:
                log.warning(
                    "camera booking %s: cannot hand on to the next task (%s); the watchdog "
                    "restarts it when the broker is back",
                    booking_id,
                    exc,
                )
                return outcome
            broker_failed = True
            log.warning(
                "camera booking %s: cannot hand on to the next task (%s); carrying on here",
                booking_id,
                exc,
            )


def _hand_on(booking_id: int) -> None:
    """The next task of the camera job, to this worker's own queue where it has one: the
    open source and the tracks are here. A hand-on nobody took in time (the worker
    stopped) expires; beat's watchdog then restarts the job on any worker."""
    own = hand_on_queue()
    options = {"queue": own, "expires": settings.LFR_RECOGNITION_STALE_SECONDS} if own else {}
    camera_run.apply_async(args=[booking_id], **options)


@shared_task(
    name="matcher.enrol_entries",
    acks_late=True,
    soft_time_limit=300,
    time_limit=360,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def enrol_entries(entry_ids: list[int]) -> dict[str, int]:
    """Check and embed the reference images of a batch of entries."""
    return enrol_entry_ids(entry_ids)


@shared_task(name="matcher.recognition_watchdog", soft_time_limit=50, time_limit=60)
def recognition_watchdog() -> None:
    """Restart camera jobs of live deployments whose worker died (heartbeat gone stale)."""
    stale = timezone.now() - timedelta(seconds=settings.LFR_RECOGNITION_STALE_SECONDS)
    orphans = DeploymentCamera.objects.filter(
        deployment__status=DeploymentStatus.LIVE,
        state__in=[CameraState.STARTING, CameraState.RUNNING, CameraState.RECONNECTING],
    ).filter(Q(job_heartbeat_at__lt=stale) | Q(job_heartbeat_at__isnull=True))
    for booking_id in orphans.values_list("pk", flat=True):
        log.info("restarting the recognition job of camera booking %s", booking_id)
        camera_run.apply_async(args=[booking_id])
