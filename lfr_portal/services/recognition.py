"""Writes that recognition workers make: camera states, gaps, chunk checkpoints, alerts.

Only matches reach these functions. A chunk's alerts and its checkpoint commit
together, so a worker killed mid-chunk leaves neither, and the retried chunk
cannot raise its alerts twice. Each alert's crop is committed with it in the
database, then moved to the media store; a store that is full or failing leaves
the crop in the database, retried and reported, never dropped.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import (
    Alert,
    AlertCropPending,
    CameraGap,
    CameraState,
    Deployment,
    DeploymentCamera,
    WatchlistEntry,
)
from .audit import audit_record
from .webhooks import webhook_alert_raised_emit

log = logging.getLogger(__name__)


@dataclass
class AlertDraft:
    entry_id: int
    score: float
    captured_at: datetime
    track_key: str
    crop_jpeg: bytes = field(repr=False)
    # When the camera first saw the person of the track (None where unknown).
    first_seen_at: datetime | None = None


class JobSuperseded(Exception):
    """Another job holds this camera now; this one must stop without writing."""


@transaction.atomic
def camera_job_claim(*, booking_id: int, token: str) -> bool:
    """Take the camera for this job, unless a live job holds it. True when taken."""
    booking = DeploymentCamera.objects.select_for_update().get(pk=booking_id)
    stale = timezone.now() - timedelta(seconds=settings.LFR_RECOGNITION_STALE_SECONDS)
    held = booking.job_token and booking.job_token != token
    if held and booking.job_heartbeat_at and booking.job_heartbeat_at > stale:
        return False
    booking.job_token = token
    booking.job_heartbeat_at = timezone.now()
    booking.save(update_fields=["job_token", "job_heartbeat_at"])
    return True


def camera_job_heartbeat(*, booking_id: int, token: str) -> None:
    updated = DeploymentCamera.objects.filter(pk=booking_id, job_token=token).update(
        job_heartbeat_at=timezone.now()
    )
    if not updated:
        raise JobSuperseded(booking_id)


@transaction.atomic
def camera_job_release(*, booking_id: int, token: str) -> None:
    DeploymentCamera.objects.filter(pk=booking_id, job_token=token).update(job_token="")


@transaction.atomic
def camera_state_set(*, booking_id: int, state: str, detail: str = "") -> DeploymentCamera:
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
def camera_gap_open(*, booking_id: int, reason: str) -> CameraGap | None:
    if CameraGap.objects.filter(booking_id=booking_id, ended_at__isnull=True).exists():
        return None
    camera_state_set(booking_id=booking_id, state=CameraState.RECONNECTING, detail=reason)
    return CameraGap.objects.create(booking_id=booking_id, started_at=timezone.now(), reason=reason)


@transaction.atomic
def camera_gap_close(*, booking_id: int) -> int:
    closed = CameraGap.objects.filter(booking_id=booking_id, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    camera_state_set(booking_id=booking_id, state=CameraState.RUNNING)
    return closed


def recognition_chunk_commit(
    *,
    booking_id: int,
    chunk_index: int,
    source_position: int,
    frames: int,
    faces: int,
    alerts: list[AlertDraft],
    token: str | None = None,
    now: datetime | None = None,
    frames_read: int = 0,
    frames_skipped: int = 0,
    health: dict[str, Any] | None = None,
    matched_tracks: list[dict[str, Any]] | None = None,
) -> list[Alert]:
    """Record one processed chunk: counts, health figures, checkpoint, the matched people
    still in view (for a job that takes the camera over), and the alerts it raised."""
    now = now or timezone.now()
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
        extra: dict[str, Any] = {}
        if health is not None:
            extra |= {"health": health, "health_at": now}
        if matched_tracks is not None:
            extra["matched_tracks"] = matched_tracks
        DeploymentCamera.objects.filter(pk=booking_id).update(
            chunk_index=chunk_index,
            source_position=source_position,
            frames_processed=F("frames_processed") + frames,
            faces_processed=F("faces_processed") + faces,
            frames_read=F("frames_read") + frames_read,
            frames_skipped=F("frames_skipped") + frames_skipped,
            job_heartbeat_at=now,
            **extra,
        )
        Deployment.objects.filter(pk=booking.deployment_id).update(
            faces_processed=F("faces_processed") + faces
        )
        written = _alerts_raise(booking, chunk_index, alerts, now)
        AlertCropPending.objects.bulk_create(
            AlertCropPending(alert=alert, jpeg=jpeg) for alert, jpeg in written if jpeg
        )
        if written:
            alert_ids = [alert.pk for alert, _ in written]
            transaction.on_commit(lambda: alert_crops_store(alert_ids=alert_ids))
    return [alert for alert, _ in written]


def _alerts_raise(
    booking: DeploymentCamera, chunk_index: int, drafts: list[AlertDraft], now: datetime
) -> list[tuple[Alert, bytes]]:
    """The chunk's alerts, each saved and audited; (alert, crop) for those raised."""
    cooldown = timedelta(seconds=settings.LFR_ALERT_COOLDOWN_SECONDS)
    entries = WatchlistEntry.objects.in_bulk([draft.entry_id for draft in drafts])
    # A job learns of a stop within half a second, so its last chunk may hold a face seen
    # after the deployment ended: that raises no alert and its crop is never stored.
    deployment = booking.deployment
    ends = [moment for moment in (deployment.ended_at, deployment.ends_at) if moment]
    closed_at = min(ends) if ends else None
    written = []
    for draft in drafts:
        entry = entries.get(draft.entry_id)
        if entry is None or (closed_at is not None and draft.captured_at > closed_at):
            continue
        # The same person re-found by a fresh track (after a lost track or a
        # restarted worker) does not raise a second alert on this camera.
        recent = Alert.objects.filter(
            camera_id=booking.pk,
            entry_id=entry.pk,
            captured_at__gte=draft.captured_at - cooldown,
        ).exists()
        if not recent:
            written.append((_alert_raise(booking, chunk_index, entry, draft, now), draft.crop_jpeg))
    return written


def _alert_raise(
    booking: DeploymentCamera,
    chunk_index: int,
    entry: WatchlistEntry,
    draft: AlertDraft,
    now: datetime,
) -> Alert:
    alert = Alert(
        deployment_id=booking.deployment_id,
        camera=booking,
        entry=entry,
        entry_reference=entry.reference_number,
        score=Decimal(f"{draft.score:.4f}"),
        captured_at=draft.captured_at,
        first_seen_at=draft.first_seen_at,
        dedup_key=f"{booking.pk}:{chunk_index}:{draft.track_key}",
    )
    if draft.crop_jpeg:
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
    webhook_alert_raised_emit(alert=alert, crop_jpeg=draft.crop_jpeg or b"")
    return alert


def alert_crops_store(
    *, alert_ids: list[int] | None = None, limit: int = 500, now: datetime | None = None
) -> tuple[int, int]:
    """Move crops held in the database to the media store. Returns (stored, still waiting).

    Each crop is moved under a lock on its row, so two workers never write it twice. A
    write that fails (disk full, store unreachable) leaves the row, notes the attempt and
    the error on it, and puts the first failure of each alert on the audit trail; the
    next run (beat, every 30 seconds) tries again.
    """
    now = now or timezone.now()
    due = AlertCropPending.objects.order_by("pk")
    if alert_ids is not None:
        due = due.filter(alert_id__in=alert_ids)
    stored = failed = 0
    errors = set()
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            pending = (
                AlertCropPending.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("alert__deployment")
                .filter(pk=pk)
                .first()
            )
            if pending is None:
                continue  # stored meanwhile, or another process holds it now
            error = _write_crop(pending.alert.crop.name, bytes(pending.jpeg))
            if error is None:
                _crop_stored(pending)
                stored += 1
            else:
                _crop_store_failed(pending, error, now)
                failed += 1
                errors.add(error)
    if failed:
        # Alert ids and the error only: no image, box or score reaches a log.
        log.warning(
            "%d alert image(s) could not be stored (%s); they are held in the database "
            "and will be retried",
            failed,
            "; ".join(sorted(errors)),
        )
    waiting = AlertCropPending.objects.count()
    return stored, waiting


def _write_crop(name: str, jpeg: bytes) -> str | None:
    """Write one crop under its own name; None when it is stored whole, else the error."""
    try:
        # The name is the alert's own: anything there is a previous, failed attempt.
        if default_storage.exists(name):
            default_storage.delete(name)
        saved = default_storage.save(name, ContentFile(jpeg))
        if saved != name or default_storage.size(name) != len(jpeg):
            raise OSError(f"the stored file is not the crop that was written ({saved})")
    except Exception as exc:  # noqa: BLE001 - any storage backend's failure: keep the crop
        try:  # leave no partial file behind
            if default_storage.exists(name):
                default_storage.delete(name)
        except Exception:  # noqa: BLE001, S110 - the store is failing already
            pass
        return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)[:300]
    return None


def _crop_stored(pending: AlertCropPending) -> None:
    alert = pending.alert
    if pending.attempts:
        audit_record(
            actor=None,
            action="alert.crop_stored",
            obj=alert,
            deployment=alert.deployment,
            changes={"failed_attempts": pending.attempts, "last_error": pending.last_error},
        )
    pending.delete()


def _crop_store_failed(pending: AlertCropPending, error: str, now: datetime) -> None:
    first = pending.attempts == 0
    pending.attempts += 1
    pending.last_attempt_at = now
    pending.last_error = error
    pending.save(update_fields=["attempts", "last_attempt_at", "last_error"])
    if first:
        alert = pending.alert
        audit_record(
            actor=None,
            action="alert.crop_store_failed",
            obj=alert,
            deployment=alert.deployment,
            reason="the media store refused the alert's image; it is held in the database "
            "and retried",
            changes={"error": error},
        )
