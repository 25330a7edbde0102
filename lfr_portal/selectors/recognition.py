"""Reads for the recognition workers: what a camera job needs, and whether to go on."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import timezone

from ..models import (
    CameraState,
    Deployment,
    DeploymentCamera,
    DeploymentStatus,
    EnrolmentState,
    EntryReference,
    EntryStatus,
    Watchlist,
    WatchlistEntry,
    WatchlistStatus,
)


@dataclass(frozen=True)
class CameraJobContext:
    booking_id: int
    deployment_id: int
    deployment_public_id: str
    camera_name: str
    source_url: str
    engine: str
    threshold: float
    starts_at: datetime
    ends_at: datetime
    chunk_index: int
    source_position: int
    # The narrowest face to find on this camera, in its pixels (None: the default).
    min_face_px: int | None = None
    # Matched people the previous job handed on.
    matched_tracks: list[dict[str, Any]] = field(default_factory=list)


def camera_job_context(booking_id: int) -> CameraJobContext | None:
    """The job's settings, or None when the booking is gone or its deployment is not live."""
    booking = (
        DeploymentCamera.objects.select_related("deployment", "camera")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None or booking.deployment.status != DeploymentStatus.LIVE:
        return None
    deployment = booking.deployment
    # A live deployment was approved, and approval needs its window set.
    assert deployment.starts_at is not None and deployment.ends_at is not None
    return CameraJobContext(
        booking_id=booking.pk,
        deployment_id=deployment.pk,
        deployment_public_id=str(deployment.public_id),
        camera_name=booking.camera.name,
        source_url=booking.camera.source_url,
        engine=deployment.engine,
        threshold=float(deployment.threshold),
        starts_at=deployment.starts_at,
        ends_at=deployment.ends_at,
        chunk_index=booking.chunk_index,
        source_position=booking.source_position,
        min_face_px=booking.camera.min_face_px,
        matched_tracks=list(booking.matched_tracks or []),
    )


def deployment_still_live(deployment_id: int) -> bool:
    """The kill switch, a cancellation or the window's end all show up here."""
    row = Deployment.objects.filter(pk=deployment_id).values_list("status", "ends_at").first()
    if row is None:
        return False
    status, ends_at = row
    return status == DeploymentStatus.LIVE and ends_at is not None and timezone.now() < ends_at


def watchlist_matrix(deployment_id: int, engine: str, dim: int) -> tuple[list[int], np.ndarray]:
    """The finalised watchlist's embeddings as one (m, dim) float32 matrix, and entry ids.

    One row per enrolled reference photograph (an entry's own image, then its further
    ones), with the entry's id repeated for each: the matcher takes a face's best row, so
    a face is scored against the best of an entry's photographs. Two queries in all.
    """
    live_entries = {
        "watchlist__deployment_id": deployment_id,
        "watchlist__status": WatchlistStatus.FINALISED,
        "status": EntryStatus.APPROVED,
        "enrolment_state": EnrolmentState.ENROLLED,
    }
    primary = list(
        WatchlistEntry.objects.filter(
            **live_entries, embedding_engine=engine, embedding__isnull=False
        )
        .order_by("pk")
        .values_list("pk", "embedding")
    )
    further = list(
        EntryReference.objects.filter(
            **{f"entry__{name}": value for name, value in live_entries.items()},
            enrolment_state=EnrolmentState.ENROLLED,
            embedding_engine=engine,
            embedding__isnull=False,
            biometrics_destroyed_at__isnull=True,
        )
        .order_by("entry_id", "pk")
        .values_list("entry_id", "embedding")
    )
    # Stable sort: each entry's own image first, then its further photographs in order.
    rows = sorted(primary + further, key=lambda row: row[0])
    if not rows:
        return [], np.zeros((0, dim), dtype=np.float32)
    ids = [pk for pk, _ in rows]
    # The filters above leave no row without an embedding.
    matrix = np.stack([np.frombuffer(bytes(blob or b""), dtype=np.float32) for _, blob in rows])
    return ids, np.ascontiguousarray(matrix, dtype=np.float32)


def enrolment_progress(watchlist: Watchlist) -> dict[str, int]:
    counts = dict.fromkeys(EnrolmentState.values, 0)
    for state in watchlist.entries.exclude(status=EntryStatus.REMOVED).values_list(
        "enrolment_state", flat=True
    ):
        counts[state] += 1
    total = sum(counts.values())
    done = counts[EnrolmentState.ENROLLED] + counts[EnrolmentState.REJECTED]
    return {"total": total, "done": done, **counts}


# States a job keeps fresh with its heartbeat; the others are final or not yet started.
HEARTBEAT_STATES = (CameraState.STARTING, CameraState.RUNNING, CameraState.RECONNECTING)
NOT_RESPONDING = "not_responding"


def camera_shown_state(
    booking: DeploymentCamera, *, now: datetime | None = None
) -> tuple[str, str]:
    """The camera's state as pages show it: (code, label).

    The stored state is what the job last said; a job that was killed says nothing more.
    So a job state whose heartbeat has lapsed is shown as not responding at once, rather
    than "running" until the watchdog restarts the job.
    """
    now = now or timezone.now()
    lapse = timedelta(seconds=settings.LFR_CAMERA_HEARTBEAT_LAPSE_SECONDS)
    if booking.state in HEARTBEAT_STATES and (
        booking.job_heartbeat_at is None or now - booking.job_heartbeat_at > lapse
    ):
        return NOT_RESPONDING, "Not responding (no heartbeat from its recognition job)"
    return booking.state, booking.get_state_display()


def with_shown_state(bookings: Iterable[DeploymentCamera]) -> list[DeploymentCamera]:
    """The bookings, each with `shown_state` and `shown_state_label` set for display."""
    now = timezone.now()
    bookings = list(bookings)
    for booking in bookings:
        # Display attributes, set on the instance for templates and serializers.
        booking.shown_state, booking.shown_state_label = camera_shown_state(  # type: ignore[attr-defined]
            booking, now=now
        )
    return bookings
