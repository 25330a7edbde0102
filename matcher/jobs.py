"""The recognition job of one camera: frames in, alerts for matches out, nothing else kept.

It runs for a bounded time, committing a chunk of frames at a time (counts, the
source position, and any alerts, together), then hands on to a fresh task. Between
chunks it checks twice a second that the deployment is still live, so the kill
switch, a cancellation or the window's end stops it within about half a second
plus one frame. Every face that does not match lives only in local variables of
`_process_frame`: its pixels, box and embedding are overwritten or dropped before
the next frame, and only the count of faces survives.

While the database is unreachable the job stops reading frames and holds the chunk in
hand, retrying with backoff, so a database restart costs a pause, not frames or alerts.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field

import cv2
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from lfr_portal.models import CameraState
from lfr_portal.selectors.recognition import (
    camera_job_context,
    deployment_still_live,
    watchlist_matrix,
)
from lfr_portal.services import recognition as svc
from lfr_portal.services.deployments import deployment_complete_if_window_ended
from matcher import pipeline
from matcher.engines import get_engine
from matcher.sources import FrameSource, SourceError, SourceLost, parse_source
from matcher.tracking import FaceTracker

# Logs name cameras and counts, never faces: no box, score or vector of a
# passer-by is ever formatted into a message.
log = logging.getLogger(__name__)

STOP_CHECK_SECONDS = 0.5
RECONNECT_BACKOFF = (0.5, 1, 2, 4, 8, 10)
DATABASE_ERRORS = (OperationalError, InterfaceError)
DATABASE_BACKOFF = (0.5, 1, 2, 3)
# Longer than a database restart takes, and short enough that a round (60 s) plus this
# wait ends inside camera_run's soft time limit (180 s); past it the task fails and is
# retried, and beat's watchdog restarts the job once the database is back.
DATABASE_WAIT_SECONDS = 100


@dataclass
class _Session:
    """What a worker process keeps between two tasks of the same camera job."""

    token: str
    source: FrameSource
    tracker: FaceTracker
    matrix_key: tuple = ()
    entry_ids: list = field(default_factory=list)
    matrix: object = None
    # The checkpoint this session handed on at, and when.
    chunk_index: int = -1
    handed_on_at: float = 0.0


# One entry per camera this process is running; a continuation task that lands on
# the same process reuses the open stream and the tracker, so there is no gap.
_sessions: dict[int, _Session] = {}
# A session no task has come back for in this many rounds was taken on by another
# worker process; its stream is closed here.
SESSION_IDLE_ROUNDS = 3


class JobOutcome:
    CONTINUE = "continue"
    STOPPED = "stopped"
    ENDED = "ended"
    FAILED = "failed"
    BUSY = "busy"


def run_camera_job(booking_id: int, *, time_budget: float | None = None) -> str:
    context = camera_job_context(booking_id)
    if context is None:
        _close_session(booking_id)
        return JobOutcome.STOPPED
    _close_idle_sessions(keep=booking_id)
    session = _sessions.get(booking_id)
    if session is not None and session.chunk_index != context.chunk_index:
        # Another worker process ran the camera after this one handed it on: this
        # stream is not at the committed position.
        _close_session(booking_id)
        session = None
    token = session.token if session else uuid.uuid4().hex
    if not svc.camera_job_claim(booking_id=booking_id, token=token):
        return JobOutcome.BUSY
    try:
        return _run(context, session, token, time_budget or settings.LFR_RECOGNITION_TASK_SECONDS)
    except svc.JobSuperseded:
        _close_session(booking_id)
        return JobOutcome.BUSY
    except SourceError as exc:
        # A reconnect the camera source rules refuse (the name now resolves elsewhere).
        _close_session(booking_id)
        svc.camera_state_set(booking_id=booking_id, state=CameraState.FAILED, detail=str(exc))
        svc.camera_job_release(booking_id=booking_id, token=token)
        log.warning("camera job %s failed: %s", booking_id, exc)
        return JobOutcome.FAILED
    except Exception:
        # The frames read since the last commit were never counted (the database stayed
        # away too long, the time limit struck), so the next task must reopen the source
        # at the committed position, not carry on from where this one stopped reading.
        _close_session(booking_id)
        # And may take the camera at once, where the database lets this job let go of it
        # (otherwise the claim lapses with the heartbeat).
        with contextlib.suppress(*DATABASE_ERRORS):
            svc.camera_job_release(booking_id=booking_id, token=token)
        raise


def _run(context, session, token, time_budget):
    booking_id = context.booking_id
    engine = get_engine(context.engine)
    if session is None:
        try:
            spec = parse_source(context.source_url)
            source = _open_with_retry(context, spec, token)
        except SourceError as exc:
            svc.camera_state_set(booking_id=booking_id, state=CameraState.FAILED, detail=str(exc))
            svc.camera_job_release(booking_id=booking_id, token=token)
            log.warning("camera job %s failed: %s", booking_id, exc)
            return JobOutcome.FAILED
        if source is None:
            # Stopped while the stream was still down: let go of the camera all the same.
            return _finish(context, token, JobOutcome.STOPPED)
        session = _Session(token=token, source=source, tracker=FaceTracker())
        _sessions[booking_id] = session
    svc.camera_state_set(booking_id=booking_id, state=CameraState.RUNNING)
    _load_watchlist(session, context, engine)

    chunk_index = context.chunk_index
    chunk_frames = settings.LFR_RECOGNITION_CHUNK_FRAMES
    deadline = time.monotonic() + time_budget
    next_check = next_beat = 0.0
    while True:
        frames = faces = 0
        drafts: list[svc.AlertDraft] = []
        outcome = None
        while frames < chunk_frames:
            if time.monotonic() >= next_beat:
                # A steady heartbeat, however long a chunk takes, so that pages can show a
                # camera whose job died as not responding within seconds.
                next_beat = time.monotonic() + settings.LFR_CAMERA_HEARTBEAT_SECONDS
                _until_database_answers(
                    context, token, svc.camera_job_heartbeat, booking_id=booking_id, token=token
                )
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + STOP_CHECK_SECONDS
                if not _until_database_answers(
                    context, token, deployment_still_live, context.deployment_id
                ):
                    outcome = JobOutcome.STOPPED
                    break
            now = timezone.now()
            if not (context.starts_at <= now < context.ends_at):
                # Never a frame outside the authorised window.
                outcome = JobOutcome.STOPPED
                break
            try:
                item = session.source.read()
            except SourceLost as exc:
                _commit(context, token, chunk_index + 1, session, frames, faces, drafts)
                chunk_index += 1
                frames = faces = 0
                drafts = []
                if not _reconnect(context, session, token, str(exc)):
                    outcome = JobOutcome.STOPPED
                    break
                continue
            if item is None:
                outcome = JobOutcome.ENDED
                break
            position, frame = item
            new_faces, new_drafts = _process_frame(
                engine, session, frame, position, context.threshold, now
            )
            frames += 1
            faces += new_faces
            drafts.extend(new_drafts)
        if frames or drafts:
            chunk_index += 1
            _commit(context, token, chunk_index, session, frames, faces, drafts)
        if outcome is not None:
            return _finish(context, token, outcome)
        if time.monotonic() >= deadline:
            _until_database_answers(
                context, token, svc.camera_job_heartbeat, booking_id=booking_id, token=token
            )
            session.chunk_index, session.handed_on_at = chunk_index, time.monotonic()
            # The next task may land on any worker process: it takes the camera from here.
            _until_database_answers(
                context, token, svc.camera_job_release, booking_id=booking_id, token=token
            )
            return JobOutcome.CONTINUE


def _process_frame(engine, session, frame, position, threshold, now):
    """Detect, track, embed the faces due for it, match; return (new faces, alert drafts)."""
    faces = pipeline.detect_faces(engine, frame, min_size=pipeline.MIN_FACE_SIZE)
    tracked = session.tracker.update(position, faces)
    new_faces = sum(1 for t in tracked if t.track.first_frame == position)
    due = [t for t in tracked if t.embed]
    drafts = []
    if due and len(session.entry_ids):
        embeddings = pipeline.embed_faces(engine, frame, [t.face for t in due])
        matches = pipeline.match(embeddings, session.matrix, threshold)
        pipeline.wipe(embeddings)
        for found in matches:
            tracked_face = due[found.face_index]
            if not session.tracker.record_match(tracked_face.track):
                continue
            crop = pipeline.crop_face(frame, tracked_face.face)
            ok, jpeg = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 90])
            pipeline.wipe(crop)
            drafts.append(
                svc.AlertDraft(
                    entry_id=session.entry_ids[found.entry_index],
                    score=found.score,
                    captured_at=now,
                    track_key=f"{session.token[:8]}-{tracked_face.track.track_id}",
                    crop_jpeg=jpeg.tobytes() if ok else b"",
                )
            )
    pipeline.wipe(frame)
    return new_faces, drafts


def _commit(context, token, chunk_index, session, frames, faces, drafts):
    # A retry of a chunk whose commit did land (the answer was lost) writes nothing twice.
    _until_database_answers(
        context,
        token,
        svc.recognition_chunk_commit,
        booking_id=context.booking_id,
        chunk_index=chunk_index,
        source_position=session.source.position if session.source.is_file else 0,
        frames=frames,
        faces=faces,
        alerts=drafts,
        token=token,
    )


def _finish(context, token, outcome):
    booking_id = context.booking_id
    if outcome == JobOutcome.ENDED:
        svc.camera_state_set(
            booking_id=booking_id, state=CameraState.STOPPED, detail="The video source ended."
        )
    else:
        # Completes the deployment only if its window has really ended (it checks).
        deployment_complete_if_window_ended(deployment_id=context.deployment_id)
        svc.camera_state_set(booking_id=booking_id, state=CameraState.STOPPED, detail="")
    svc.camera_job_release(booking_id=booking_id, token=token)
    _close_session(booking_id)
    return outcome


def _load_watchlist(session, context, engine):
    key = (context.deployment_id, context.engine)
    if session.matrix_key != key:
        session.entry_ids, session.matrix = watchlist_matrix(
            context.deployment_id, context.engine, engine.dim
        )
        session.matrix_key = key


def _open_with_retry(context, spec, token):
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
            if not _wait_live(context, token, RECONNECT_BACKOFF[min(attempt, 5)]):
                return None
            attempt += 1


def _reconnect(context, session, token, reason):
    svc.camera_gap_open(booking_id=context.booking_id, reason=reason)
    log.info("camera job %s lost its stream; reconnecting", context.booking_id)
    attempt = 0
    while True:
        if not _wait_live(context, token, RECONNECT_BACKOFF[min(attempt, 5)]):
            return False
        try:
            session.source.open()
        except SourceLost:
            attempt += 1
            continue
        svc.camera_gap_close(booking_id=context.booking_id)
        return True


def _wait_live(context, token, seconds):
    """Sleep in short steps, so a stop is seen within half a second; False once stopped."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not _until_database_answers(
            context, token, deployment_still_live, context.deployment_id
        ):
            return False
        _until_database_answers(
            context,
            token,
            svc.camera_job_heartbeat,
            booking_id=context.booking_id,
            token=token,
        )
        time.sleep(min(STOP_CHECK_SECONDS, max(end - time.monotonic(), 0)))
    return _until_database_answers(context, token, deployment_still_live, context.deployment_id)


def _until_database_answers(context, token, call, /, *args, **kwargs):
    """`call(*args, **kwargs)`, waiting out a database outage with backoff.

    The job reads no frames meanwhile, so nothing goes uncounted. Once the database
    answers, the heartbeat is renewed first, before beat's watchdog takes the job for
    dead and starts another (JobSuperseded if it already has).
    """
    waited_since = None
    attempt = 0
    while True:
        try:
            if waited_since is not None:
                svc.camera_job_heartbeat(booking_id=context.booking_id, token=token)
            result = call(*args, **kwargs)
        except DATABASE_ERRORS as exc:
            # A connection the outage broke is never used again.
            connection.close()
            if waited_since is None:
                waited_since = time.monotonic()
                log.warning(
                    "camera job %s: the database is unreachable (%s); holding the chunk",
                    context.booking_id,
                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                )
            if time.monotonic() - waited_since >= DATABASE_WAIT_SECONDS:
                raise
            time.sleep(DATABASE_BACKOFF[min(attempt, len(DATABASE_BACKOFF) - 1)])
            attempt += 1
            continue
        if waited_since is not None:
            log.info(
                "camera job %s: the database answers again after %.1f s",
                context.booking_id,
                time.monotonic() - waited_since,
            )
        return result


def _close_idle_sessions(*, keep):
    idle = SESSION_IDLE_ROUNDS * settings.LFR_RECOGNITION_TASK_SECONDS
    for booking_id, session in list(_sessions.items()):
        if booking_id != keep and time.monotonic() - session.handed_on_at > idle:
            _close_session(booking_id)


def _close_session(booking_id):
    session = _sessions.pop(booking_id, None)
    if session is not None:
        session.source.close()
