"""Writes that recognition workers make: camera states, gaps, chunk checkpoints, alerts.

Only matches reach these functions. A chunk's alerts and its checkpoint commit
together, so a worker killed mid-chunk leaves neither, and the retried chunk
cannot raise its alerts twice. Crops are written to storage only after commit.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import (
    Alert,
    CameraGap,
    CameraState,
    Deployment,
    DeploymentCamera,
    WatchlistEntry,
)
from .audit import audit_record


@dataclass
class AlertDraft:
    entry_id: int
    score: float
    captured_at: datetime
    track_key: str
    crop_jpeg: bytes = field(repr=False)


class JobSuperseded(Exception):
    """Another job holds this camera now; this one must stop without writing."""


@transaction.atomic
def camera_job_claim(*, booking_id, token):
    """Take the camera for this job, unless a live job holds it. True when taken."""
    booking = DeploymentCamera.objects.select_for_update().get(pk=booking_id)
    stale = timezone.now() - timezone.timedelta(seconds=settings.LFR_RECOGNITION_STALE_SECONDS)
    held = booking.job_token and booking.job_token != token
    if held and booking.job_heartbeat_at and booking.job_heartbeat_at > stale:
        return False
    booking.job_token = token
    booking.job_heartbeat_at = timezone.now()
    booking.save(update_fields=["job_token", "job_heartbeat_at"])
    return True


def camera_job_heartbeat(*, booking_id, token):
    updated = DeploymentCamera.objects.filter(pk=booking_id, job_token=token).update(
        job_heartbeat_at=timezone.now()
    )
    if not updated:
        raise JobSuperseded(booking_id)


@transaction.atomic
def camera_job_release(*, booking_id, token):
    DeploymentCamera.objects.filter(pk=booking_id, job_token=token).update(job_token="")


@transaction.atomic
def camera_state_set(*, booking_id, state, detail=""):
    booking = (
        DeploymentCamera.objects.select_for_update().select_related("camera").get(pk=booking_id)
    )
    previous = booking.state
    booking.state = state
    booking.state_detail = detail[:500]
    booking.job_heartbeat_at = timezone.now()
    booking.save(update_fields=["state", "state_detail", "job_heartbeat_at"])
    if previous != state:
        audit_record(
            actor=None,
            action="camera.state",
            obj=booking.deployment,
            changes={"camera": booking.camera.name, "state": [previous, state], "detail": detail},
        )
    return booking


@transaction.atomic
def camera_gap_open(*, booking_id, reason):
    if CameraGap.objects.filter(booking_id=booking_id, ended_at__isnull=True).exists():
        return None
    camera_state_set(booking_id=booking_id, state=CameraState.RECONNECTING, detail=reason)
    return CameraGap.objects.create(booking_id=booking_id, started_at=timezone.now(), reason=reason)


@transaction.atomic
def camera_gap_close(*, booking_id):
    closed = CameraGap.objects.filter(booking_id=booking_id, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    camera_state_set(booking_id=booking_id, state=CameraState.RUNNING)
    return closed


def recognition_chunk_commit(
    *, booking_id, chunk_index, source_position, frames, faces, alerts, token=None, now=None
):
    """Record one processed chunk: counts, checkpoint, and the alerts it raised."""
    now = now or timezone.now()
    written = []
    with transaction.atomic():
        booking = (
            DeploymentCamera.objects.select_for_update()
            .select_related("deployment", "camera")
            .get(pk=booking_id)
        )
        if token is not None and booking.job_token != token:
            raise JobSuperseded(booking_id)
        if booking.chunk_index >= chunk_index:
            return []  # a retry of a chunk that already committed
        DeploymentCamera.objects.filter(pk=booking_id).update(
            chunk_index=chunk_index,
            source_position=source_position,
            frames_processed=F("frames_processed") + frames,
            faces_processed=F("faces_processed") + faces,
            job_heartbeat_at=now,
        )
        Deployment.objects.filter(pk=booking.deployment_id).update(
            faces_processed=F("faces_processed") + faces
        )
        cooldown = timezone.timedelta(seconds=settings.LFR_ALERT_COOLDOWN_SECONDS)
        entries = WatchlistEntry.objects.in_bulk([draft.entry_id for draft in alerts])
        for draft in alerts:
            entry = entries.get(draft.entry_id)
            if entry is None:
                continue
            # The same person re-found by a fresh track (after a lost track or a
            # restarted worker) does not raise a second alert on this camera.
            recent = Alert.objects.filter(
                camera_id=booking_id,
                entry_id=entry.pk,
                captured_at__gte=draft.captured_at - cooldown,
            ).exists()
            if recent:
                continue
            alert = Alert(
                deployment_id=booking.deployment_id,
                camera=booking,
                entry=entry,
                entry_reference=entry.reference_number,
                score=Decimal(f"{draft.score:.4f}"),
                captured_at=draft.captured_at,
                dedup_key=f"{booking_id}:{chunk_index}:{draft.track_key}",
            )
            alert.crop.name = f"alerts/{now:%Y/%m}/{alert.public_id}.jpg"
            alert.save()
            audit_record(
                actor=None,
                action="alert.raise",
                obj=alert,
                deployment=booking.deployment,
                changes={
                    "camera": booking.camera.name,
                    "entry_reference": entry.reference_number,
                    "score": str(alert.score),
                },
            )
            written.append((alert, draft.crop_jpeg))
        crops = [(alert.crop.name, jpeg) for alert, jpeg in written]
        transaction.on_commit(lambda: _store_crops(crops))
    return [alert for alert, _ in written]


def _store_crops(crops):
    for name, jpeg in crops:
        default_storage.save(name, ContentFile(jpeg))
