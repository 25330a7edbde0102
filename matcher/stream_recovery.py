"""A camera job's stream when it is down: opened or reopened with backoff, while the
deployment stays live, the gap in coverage recorded."""

from __future__ import annotations

import logging
import time

from lfr_portal.selectors.recognition import CameraJobContext
from lfr_portal.services import recognition as svc
from matcher.frame_reader import FrameReader
from matcher.recognition_store import RecognitionStore
from matcher.sources import FrameSource, SourceLost, SourceSpec

log = logging.getLogger(__name__)

# How often a waiting job checks that it may go on (seconds).
STOP_CHECK_SECONDS = 0.5
RECONNECT_BACKOFF = (0.5, 1, 2, 4, 8, 10)


def open_with_retry(
    context: CameraJobContext, spec: SourceSpec, store: RecognitionStore
) -> FrameSource | None:
    """Open the source; a stream that is down is retried with backoff while live."""
    attempt = 0
    gap_open = False
    while True:
        try:
            source = FrameSource(spec, start_position=context.source_position)
            if gap_open:
                svc.camera_gap_close(booking_id=context.booking_id)
            return source
        except SourceLost as exc:
            if not gap_open:
                svc.camera_gap_open(booking_id=context.booking_id, reason=str(exc))
                gap_open = True
            if not wait_while_live(store, RECONNECT_BACKOFF[min(attempt, 5)]):
                return None
            attempt += 1


def reconnect(
    context: CameraJobContext, reader: FrameReader, store: RecognitionStore, reason: str
) -> bool:
    """Reopen a lost stream, retrying with backoff while the deployment is live; False
    once it is not."""
    svc.camera_gap_open(booking_id=context.booking_id, reason=reason)
    log.info("camera job %s lost its stream; reconnecting", context.booking_id)
    attempt = 0
    while True:
        if not wait_while_live(store, RECONNECT_BACKOFF[min(attempt, 5)]):
            return False
        try:
            reader.reopen()
        except SourceLost:
            attempt += 1
            continue
        svc.camera_gap_close(booking_id=context.booking_id)
        return True


def wait_while_live(store: RecognitionStore, seconds: float) -> bool:
    """Sleep in short steps, so a stop is seen within half a second; False once stopped."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not store.deployment_still_live():
            return False
        store.heartbeat()
        time.sleep(min(STOP_CHECK_SECONDS, max(end - time.monotonic(), 0)))
    return store.deployment_still_live()
