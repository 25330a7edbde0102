"""The camera job's database calls, one named method per commit point.

Each method calls lfr_portal.services.recognition (or a selector) and waits out a
database outage with backoff: the job reads no frames meanwhile, so nothing goes
uncounted. Once the database answers again the heartbeat is renewed first, before
beat's watchdog takes the job for dead and starts another (JobSuperseded if it has).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from django.db import InterfaceError, OperationalError, connection

from lfr_portal.selectors.recognition import deployment_still_live
from lfr_portal.services import recognition as svc

# Logs name cameras, never faces.
log = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
DATABASE_BACKOFF = (0.5, 1, 2, 3)
# Longer than a database restart takes, and short enough that a round (60 s) plus this
# wait ends inside camera_run's soft time limit (180 s); past it the task fails and is
# retried, and beat's watchdog restarts the job once the database is back.
DATABASE_WAIT_SECONDS = 100

P = ParamSpec("P")
R = TypeVar("R")


def waits_out_database_outage(
    method: Callable[Concatenate[RecognitionStore, P], R],
) -> Callable[Concatenate[RecognitionStore, P], R]:
    """Retry the store method while the database is unreachable, up to DATABASE_WAIT_SECONDS."""

    @functools.wraps(method)
    def retrying(store: RecognitionStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        waited_since: float | None = None
        attempt = 0
        while True:
            try:
                if waited_since is not None:
                    svc.camera_job_heartbeat(booking_id=store.booking_id, token=store.token)
                result = method(store, *args, **kwargs)
            except DATABASE_ERRORS as exc:
                # A connection the outage broke is never used again.
                connection.close()
                if waited_since is None:
                    waited_since = time.monotonic()
                    store.log_outage(exc)
                if time.monotonic() - waited_since >= DATABASE_WAIT_SECONDS:
                    raise
                time.sleep(DATABASE_BACKOFF[min(attempt, len(DATABASE_BACKOFF) - 1)])
                attempt += 1
                continue
            if waited_since is not None:
                log.info(
                    "camera job %s: the database answers again after %.1f s",
                    store.booking_id,
                    time.monotonic() - waited_since,
                )
            return result

    return retrying


class RecognitionStore:
    """What one camera job writes and checks, as the holder of its claim (token)."""

    def __init__(self, *, booking_id: int, deployment_id: int, token: str) -> None:
        self.booking_id = booking_id
        self.deployment_id = deployment_id
        self.token = token

    @waits_out_database_outage
    def heartbeat(self) -> None:
        svc.camera_job_heartbeat(booking_id=self.booking_id, token=self.token)

    @waits_out_database_outage
    def deployment_still_live(self) -> bool:
        return bool(deployment_still_live(self.deployment_id))

    @waits_out_database_outage
    def release(self) -> None:
        svc.camera_job_release(booking_id=self.booking_id, token=self.token)

    @waits_out_database_outage
    def chunk_commit(
        self,
        *,
        chunk_index: int,
        source_position: int,
        frames: int,
        faces: int,
        alerts: list[svc.AlertDraft],
        frames_read: int,
        frames_skipped: int,
        health: dict[str, Any],
        matched_tracks: list[dict[str, Any]],
    ) -> None:
        # A retry of a chunk whose commit did land (the answer was lost) writes nothing twice.
        svc.recognition_chunk_commit(
            booking_id=self.booking_id,
            chunk_index=chunk_index,
            source_position=source_position,
            frames=frames,
            faces=faces,
            alerts=alerts,
            token=self.token,
            frames_read=frames_read,
            frames_skipped=frames_skipped,
            health=health,
            matched_tracks=matched_tracks,
        )

    def log_outage(self, exc: Exception) -> None:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        log.warning(
            "camera job %s: the database is unreachable (%s); holding the chunk",
            self.booking_id,
            first_line or type(exc).__name__,
        )
