"""The recognition job of one camera: frames in, alerts for matches out, nothing else kept.

A reader thread takes frames from the source as fast as it delivers them and keeps only
the newest (matcher.sources.FrameReader), so a live camera is never fallen behind: frames
the analyser had no time for are counted as skipped, never queued. Each frame goes
through one step, matcher.live.CameraAnalyser.analyse.

The job runs for a bounded time, committing a chunk of frames at a time (counts, health
figures, the source position, the matched people still in view and any alerts,
together), and commits at once when an alert is raised. Then it hands on to a fresh task
on the same worker process, which finds the open source, the tracks and the models here,
so a camera stays where it is. Between frames it checks twice a second that the
deployment is still live, so the kill switch, a cancellation or the window's end stops
it within about half a second plus one frame. A face that does not match lives only in
the analyser's track of it, which is overwritten when the track ends; only the count of
people survives.

While the database is unreachable the job stops reading frames and holds the chunk in
hand, retrying with backoff, so a database restart costs a pause, not frames or alerts.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
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
from matcher.live import AnalysisSettings, CameraAnalyser, HealthWindow
from matcher.sources import (
    FrameReader,
    FrameSource,
    SourceEnded,
    SourceError,
    SourceLost,
    parse_source,
)

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
    reader: FrameReader
    analyser: CameraAnalyser
    # Whether frames come as a live camera's (a stream, or a file paced like one).
    live: bool
    # For a file read at leisure: the wall time its frame 0 stands for, so that alert
    # times and the cooldown follow the video's own clock.
    anchor: float = 0.0
    matrix_key: tuple = ()
    # Reader counters and file position already committed.
    read_committed: int = 0
    skipped_committed: int = 0
    position_committed: int = 0
    # Frames the analyser passed over (not due under the analysis rate), not yet committed.
    passed_over: int = 0
    health: HealthWindow = field(default_factory=HealthWindow)
    # The checkpoint this session handed on at, and when.
    chunk_index: int = -1
    handed_on_at: float = 0.0


# One entry per camera this process is running; a continuation task that lands on
# the same process reuses the open stream and the tracks, so there is no gap. Camera
# workers run a thread pool, so the map is shared between threads.
_sessions: dict[int, _Session] = {}
_sessions_lock = threading.Lock()
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
    with _sessions_lock:
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
        session = _new_session(context, source, engine, token)
        with _sessions_lock:
            _sessions[booking_id] = session
    # A hand-on may land on another thread of this process, which has its own engine.
    session.analyser.engine = engine
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
        while frames < chunk_frames and not drafts:
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
            if not (context.starts_at <= timezone.now() < context.ends_at):
                # Never a frame outside the authorised window.
                outcome = JobOutcome.STOPPED
                break
            if time.monotonic() >= deadline:
                break
            try:
                frame = session.reader.next_frame(timeout=STOP_CHECK_SECONDS)
            except SourceEnded:
                outcome = JobOutcome.ENDED
                break
            except SourceLost as exc:
                chunk_index += 1
                _commit(context, token, chunk_index, session, frames, faces, drafts)
                frames = faces = 0
                drafts = []
                if not _reconnect(context, session, token, str(exc)):
                    outcome = JobOutcome.STOPPED
                    break
                continue
            if frame is None:
                continue
            new_faces, new_drafts = _analyse_frame(session, frame)
            if new_faces is None:
                continue
            frames += 1
            faces += new_faces
            drafts.extend(new_drafts)
        if frames or drafts or outcome is not None:
            chunk_index += 1
            _commit(context, token, chunk_index, session, frames, faces, drafts)
        if outcome is not None:
            return _finish(context, token, outcome)
        if time.monotonic() >= deadline:
            _until_database_answers(
                context, token, svc.camera_job_heartbeat, booking_id=booking_id, token=token
            )
            session.chunk_index, session.handed_on_at = chunk_index, time.monotonic()
            # The next task takes the camera from here (tasks.camera_run sends it to this
            # process's own queue, so it normally finds this session).
            _until_database_answers(
                context, token, svc.camera_job_release, booking_id=booking_id, token=token
            )
            return JobOutcome.CONTINUE


def analysis_settings_for(context) -> AnalysisSettings:
    """The analysis of this camera: the defaults in matcher.live, as settings override them."""
    overrides = {
        "min_face_px": context.min_face_px or settings.LFR_MIN_FACE_PX,
        "analysis_fps": settings.LFR_ANALYSIS_FPS,
        "detect_every": settings.LFR_DETECT_EVERY,
        "rearm_seconds": settings.LFR_ALERT_COOLDOWN_SECONDS,
    }
    return AnalysisSettings(**{name: value for name, value in overrides.items() if value})


def _new_session(context, source: FrameSource, engine, token: str) -> _Session:
    live = not source.is_file or source.spec.realtime
    reader = FrameReader(source, live=live)
    reader.start()
    analyser = CameraAnalyser(
        engine,
        entry_ids=[],
        matrix=_empty_matrix(engine.dim),
        threshold=context.threshold,
        settings=analysis_settings_for(context),
    )
    fps = reader.fps or 25.0
    log.info(
        "camera job %s opened its source (%.1f fps; analysing up to %.1f a second)",
        context.booking_id,
        reader.fps,
        analyser.settings.analysis_fps,
    )
    anchor = time.time() - context.source_position / fps
    session = _Session(
        token=token,
        reader=reader,
        analyser=analyser,
        live=live,
        anchor=anchor,
        position_committed=context.source_position,
    )
    if context.matched_tracks:
        # People matched here by the job this one takes over from: still in view, they
        # raise no second alert.
        analyser.restore_matched(context.matched_tracks)
    return session


def _empty_matrix(dim: int) -> np.ndarray:
    return np.zeros((0, dim), dtype=np.float32)


def _analyse_frame(session: _Session, frame) -> tuple[int | None, list[svc.AlertDraft]]:
    """One frame through the analyser: (new people, alert drafts), or (None, []) when the
    analysis rate passed it over. The frame's pixels are overwritten afterwards, analysed or
    not: an alert keeps its own copy of the crop."""
    try:
        analysis = session.analyser.analyse(frame)
    finally:
        pipeline.wipe(frame.image)
    if analysis is None:
        session.passed_over += 1
        return None, []
    lag = time.time() - frame.captured_at if session.live else None
    session.health.add(analysis, lag)
    drafts = [
        svc.AlertDraft(
            entry_id=alert.entry_id,
            score=alert.score,
            captured_at=_when(session, alert.captured_at, alert.stream_time),
            first_seen_at=_when(session, alert.first_seen_at, alert.first_seen_stream_time),
            track_key=f"{session.token[:8]}-{alert.track_id}",
            crop_jpeg=alert.crop_jpeg,
        )
        for alert in analysis.alerts
    ]
    return analysis.new_people, drafts


def _when(session: _Session, captured_at: float, stream_time: float) -> datetime:
    """A frame's time as the alert records it: when a live source delivered it, or where
    it falls on a file's own clock."""
    seconds = captured_at if session.live else session.anchor + stream_time
    return datetime.fromtimestamp(seconds, tz=UTC)


def _commit(context, token, chunk_index, session, frames, faces, drafts):
    reader = session.reader
    read, skipped = reader.frames_read, reader.frames_skipped
    window, session.health = session.health, HealthWindow()
    window.read = read - session.read_committed
    window.skipped = skipped - session.skipped_committed + session.passed_over
    position = reader.position if reader.is_file else 0
    covered = position - session.position_committed
    if reader.is_file and covered >= 0:
        # A file is counted by the position committed with the chunk, which is where a
        # job that takes over resumes: every frame up to it analysed or skipped, once.
        window.read, window.skipped = covered, covered - frames
    health = window.as_dict(
        source_fps=reader.fps,
        detect_scale=session.analyser.scale,
        people_in_view=session.analyser.people_in_view,
    )
    # A retry of a chunk whose commit did land (the answer was lost) writes nothing twice.
    _until_database_answers(
        context,
        token,
        svc.recognition_chunk_commit,
        booking_id=context.booking_id,
        chunk_index=chunk_index,
        source_position=position,
        frames=frames,
        faces=faces,
        alerts=drafts,
        token=token,
        frames_read=window.read,
        frames_skipped=window.skipped,
        health=health,
        matched_tracks=session.analyser.export_matched(),
    )
    session.read_committed, session.skipped_committed = read, skipped
    session.position_committed = position
    session.passed_over = 0
    if drafts and session.live:
        # From the person's first frame to the committed alert; shown with the next figures.
        first = min(draft.first_seen_at for draft in drafts if draft.first_seen_at)
        session.health.alert_latency_ms = (timezone.now() - first).total_seconds() * 1000


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
        entry_ids, matrix = watchlist_matrix(context.deployment_id, context.engine, engine.dim)
        session.analyser.set_watchlist(entry_ids, matrix)
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
            session.reader.reopen()
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
    with _sessions_lock:
        idle_ids = [
            booking_id
            for booking_id, session in _sessions.items()
            if booking_id != keep
            and session.handed_on_at
            and time.monotonic() - session.handed_on_at > idle
        ]
    for booking_id in idle_ids:
        _close_session(booking_id)


def _close_session(booking_id):
    with _sessions_lock:
        session = _sessions.pop(booking_id, None)
    if session is not None:
        session.reader.close()
        session.analyser.close()
