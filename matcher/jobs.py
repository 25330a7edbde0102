"""The recognition job of one camera: frames in, alerts for matches out, nothing else kept.

A reader thread takes frames from the source as fast as it delivers them and keeps only
the newest (matcher.frame_reader.FrameReader), so a live camera is never fallen behind: frames
the analyser had no time for are counted as skipped, never queued. Each frame goes
through one step, matcher.pipeline.process_frame.

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
hand, retrying with backoff (matcher.recognition_store), so a database restart costs a
pause, not frames or alerts.
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
from django.utils import timezone

from lfr_portal.models import CameraState
from lfr_portal.selectors.recognition import (
    CameraJobContext,
    camera_job_context,
    watchlist_matrix,
)
from lfr_portal.services import recognition as svc
from lfr_portal.services.deployment_lifecycle import deployment_complete_if_window_ended
from matcher import pipeline
from matcher.camera_tracks import AnalysisSettings, CameraTracks
from matcher.engines import Engine, get_engine
from matcher.frame_reader import Frame, FrameReader
from matcher.live import HealthWindow
from matcher.recognition_store import DATABASE_ERRORS, RecognitionStore
from matcher.sources import (
    FrameSource,
    SourceEnded,
    SourceError,
    SourceLost,
    parse_source,
)
from matcher.stream_recovery import STOP_CHECK_SECONDS, open_with_retry, reconnect
from matcher.watchlist_enrolment import enrol_again_if_stale

# Logs name cameras and counts, never faces: no box, score or vector of a
# passer-by is ever formatted into a message.
log = logging.getLogger(__name__)


@dataclass
class _Session:
    """What a worker process keeps between two tasks of the same camera job."""

    token: str
    reader: FrameReader
    tracks: CameraTracks
    # Whether frames come as a live camera's (a stream, or a file paced like one).
    live: bool
    # For a file read at leisure: the wall time its frame 0 stands for, so that alert
    # times and the cooldown follow the video's own clock.
    anchor: float = 0.0
    matrix_key: tuple[int, str] | None = None
    # Reader counters and file position already committed.
    read_committed: int = 0
    skipped_committed: int = 0
    position_committed: int = 0
    # Frames the analysis rate passed over, not yet committed.
    passed_over: int = 0
    health: HealthWindow = field(default_factory=HealthWindow)
    # The last checkpoint committed, and when this session handed the camera on.
    chunk_index: int = -1
    handed_on_at: float = 0.0


@dataclass
class _Chunk:
    """The frames analysed since the last commit: counts and alerts only."""

    frames: int = 0
    faces: int = 0
    drafts: list[svc.AlertDraft] = field(default_factory=list)


@dataclass
class _Clock:
    """When the running job next renews its heartbeat, checks it may go on, and stops."""

    deadline: float
    next_check: float = 0.0
    next_beat: float = 0.0


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
    store = RecognitionStore(
        booking_id=booking_id, deployment_id=context.deployment_id, token=token
    )
    try:
        return _run(context, session, store, time_budget or settings.LFR_RECOGNITION_TASK_SECONDS)
    except svc.JobSuperseded:
        _close_session(booking_id)
        return JobOutcome.BUSY
    except SourceError as exc:
        # A reconnect the camera source rules refuse (the name now resolves elsewhere).
        _close_session(booking_id)
        return _fail(store, exc)
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


def _run(
    context: CameraJobContext,
    session: _Session | None,
    store: RecognitionStore,
    time_budget: float,
) -> str:
    engine = get_engine(context.engine)
    if session is None:
        opened = _open_session(context, store, engine)
        if isinstance(opened, str):
            return opened
        session = opened
    svc.camera_state_set(booking_id=context.booking_id, state=CameraState.RUNNING)
    _load_watchlist(session, context, engine, store)
    session.chunk_index = context.chunk_index
    clock = _Clock(deadline=time.monotonic() + time_budget)
    while True:
        chunk, outcome = _read_chunk(context, session, store, engine, clock)
        if chunk.frames or chunk.drafts or outcome is not None:
            _commit(store, session, chunk)
        if outcome is not None:
            return _finish(context, store, outcome)
        if time.monotonic() >= clock.deadline:
            store.heartbeat()
            session.handed_on_at = time.monotonic()
            # The next task takes the camera from here (tasks.camera_run sends it to this
            # process's own queue, so it normally finds this session).
            store.release()
            return JobOutcome.CONTINUE


def _open_session(
    context: CameraJobContext, store: RecognitionStore, engine: Engine
) -> _Session | str:
    """This camera's new session, or the job's outcome when its source cannot be had."""
    try:
        spec = parse_source(context.source_url)
        source = open_with_retry(context, spec, store)
    except SourceError as exc:
        return _fail(store, exc)
    if source is None:
        # Stopped while the stream was still down: let go of the camera all the same.
        return _finish(context, store, JobOutcome.STOPPED)
    session = _new_session(context, source, engine, store.token)
    with _sessions_lock:
        _sessions[context.booking_id] = session
    return session


def _read_chunk(
    context: CameraJobContext,
    session: _Session,
    store: RecognitionStore,
    engine: Engine,
    clock: _Clock,
) -> tuple[_Chunk, str | None]:
    """Analyse frames until the chunk is full, an alert is raised, the round's time is up
    or the job must stop; (the chunk, the outcome if the job ends)."""
    chunk = _Chunk()
    while chunk.frames < settings.LFR_RECOGNITION_CHUNK_FRAMES and not chunk.drafts:
        outcome = _stop_reason(context, store, clock)
        if outcome is not None:
            return chunk, outcome
        if time.monotonic() >= clock.deadline:
            break
        try:
            frame = session.reader.next_frame(timeout=STOP_CHECK_SECONDS)
        except SourceEnded:
            return chunk, JobOutcome.ENDED
        except SourceLost as exc:
            _commit(store, session, chunk)
            chunk = _Chunk()
            if not reconnect(context, session.reader, store, str(exc)):
                return chunk, JobOutcome.STOPPED
            continue
        if frame is not None:
            _analyse_frame(session, engine, frame, chunk)
    return chunk, None


def _stop_reason(context: CameraJobContext, store: RecognitionStore, clock: _Clock) -> str | None:
    """STOPPED once the deployment is no longer live or its window has closed; the
    heartbeat is renewed on the way."""
    if time.monotonic() >= clock.next_beat:
        # A steady heartbeat, however long a chunk takes, so that pages can show a
        # camera whose job died as not responding within seconds.
        clock.next_beat = time.monotonic() + settings.LFR_CAMERA_HEARTBEAT_SECONDS
        store.heartbeat()
    if time.monotonic() >= clock.next_check:
        clock.next_check = time.monotonic() + STOP_CHECK_SECONDS
        if not store.deployment_still_live():
            return JobOutcome.STOPPED
    if not (context.starts_at <= timezone.now() < context.ends_at):
        # Never a frame outside the authorised window.
        return JobOutcome.STOPPED
    return None


def analysis_settings_for(context: CameraJobContext) -> AnalysisSettings:
    """The analysis of this camera: the defaults in matcher.camera_tracks, as settings
    override them."""
    overrides = {
        "min_face_px": context.min_face_px or settings.LFR_MIN_FACE_PX,
        "analysis_fps": settings.LFR_ANALYSIS_FPS,
        "detect_every": settings.LFR_DETECT_EVERY,
        "rearm_seconds": settings.LFR_ALERT_COOLDOWN_SECONDS,
    }
    return AnalysisSettings(**{name: value for name, value in overrides.items() if value})


def _new_session(
    context: CameraJobContext, source: FrameSource, engine: Engine, token: str
) -> _Session:
    live = not source.is_file or source.spec.realtime
    reader = FrameReader(source, live=live)
    reader.start()
    tracks = CameraTracks(
        entry_ids=[],
        matrix=np.zeros((0, engine.dim), dtype=np.float32),
        threshold=context.threshold,
        settings=analysis_settings_for(context),
    )
    fps = reader.fps or 25.0
    log.info(
        "camera job %s opened its source (%.1f fps; analysing up to %.1f a second)",
        context.booking_id,
        reader.fps,
        tracks.settings.analysis_fps,
    )
    if context.matched_tracks:
        # People matched here by the job this one takes over from: still in view, they
        # raise no second alert.
        tracks.restore_matched(context.matched_tracks)
    return _Session(
        token=token,
        reader=reader,
        tracks=tracks,
        live=live,
        anchor=time.time() - context.source_position / fps,
        position_committed=context.source_position,
    )


def _analyse_frame(session: _Session, engine: Engine, frame: Frame, chunk: _Chunk) -> None:
    """One frame through the per-frame step, its people and alerts added to the chunk. The
    frame's pixels are overwritten afterwards, analysed or passed over: an alert keeps its
    own copy of the crop."""
    try:
        analysis = pipeline.process_frame(session.tracks, frame, engine)
    finally:
        pipeline.wipe(frame.image)
    if analysis is None:
        session.passed_over += 1
        return
    lag = time.time() - frame.captured_at if session.live else None
    session.health.add(analysis, lag)
    chunk.frames += 1
    chunk.faces += analysis.new_people
    chunk.drafts.extend(
        svc.AlertDraft(
            entry_id=alert.entry_id,
            score=alert.score,
            captured_at=_when(session, alert.captured_at, alert.stream_time),
            first_seen_at=_when(session, alert.first_seen_at, alert.first_seen_stream_time),
            track_key=f"{session.token[:8]}-{alert.track_id}",
            crop_jpeg=alert.crop_jpeg,
        )
        for alert in analysis.alerts
    )


def _when(session: _Session, captured_at: float, stream_time: float) -> datetime:
    """A frame's time as the alert records it: when a live source delivered it, or where
    it falls on a file's own clock."""
    seconds = captured_at if session.live else session.anchor + stream_time
    return datetime.fromtimestamp(seconds, tz=UTC)


def _commit(store: RecognitionStore, session: _Session, chunk: _Chunk) -> None:
    """Commit the chunk as the next checkpoint, with the health figures of its window."""
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
        window.read, window.skipped = covered, covered - chunk.frames
    store.chunk_commit(
        chunk_index=session.chunk_index + 1,
        source_position=position,
        frames=chunk.frames,
        faces=chunk.faces,
        alerts=chunk.drafts,
        frames_read=window.read,
        frames_skipped=window.skipped,
        health=window.as_dict(
            source_fps=reader.fps,
            detect_scale=session.tracks.scale,
            people_in_view=session.tracks.people_in_view,
        ),
        matched_tracks=session.tracks.export_matched(),
    )
    session.chunk_index += 1
    session.read_committed, session.skipped_committed = read, skipped
    session.position_committed = position
    session.passed_over = 0
    if chunk.drafts and session.live:
        # From the person's first frame to the committed alert; shown with the next figures.
        first = min(draft.first_seen_at for draft in chunk.drafts if draft.first_seen_at)
        session.health.alert_latency_ms = (timezone.now() - first).total_seconds() * 1000


def _finish(context: CameraJobContext, store: RecognitionStore, outcome: str) -> str:
    booking_id = context.booking_id
    if outcome == JobOutcome.ENDED:
        svc.camera_state_set(
            booking_id=booking_id, state=CameraState.STOPPED, detail="The video source ended."
        )
    else:
        # Completes the deployment only if its window has really ended (it checks).
        deployment_complete_if_window_ended(deployment_id=context.deployment_id)
        svc.camera_state_set(booking_id=booking_id, state=CameraState.STOPPED, detail="")
    svc.camera_job_release(booking_id=booking_id, token=store.token)
    _close_session(booking_id)
    return outcome


def _fail(store: RecognitionStore, exc: SourceError) -> str:
    """The camera's source cannot be used: mark it failed and let go of it."""
    svc.camera_state_set(booking_id=store.booking_id, state=CameraState.FAILED, detail=str(exc))
    svc.camera_job_release(booking_id=store.booking_id, token=store.token)
    log.warning("camera job %s failed: %s", store.booking_id, exc)
    return JobOutcome.FAILED


def _load_watchlist(
    session: _Session, context: CameraJobContext, engine: Engine, store: RecognitionStore
) -> None:
    key = (context.deployment_id, context.engine)
    if session.matrix_key != key:
        # Only embeddings of the version this engine makes are compared with its faces.
        enrol_again_if_stale(context.deployment_id, engine, beat=store.heartbeat)
        entry_ids, matrix = watchlist_matrix(
            context.deployment_id, engine.embedding_name, engine.dim
        )
        session.tracks.set_watchlist(entry_ids, matrix)
        session.matrix_key = key


def _close_idle_sessions(*, keep: int) -> None:
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


def _close_session(booking_id: int) -> None:
    with _sessions_lock:
        session = _sessions.pop(booking_id, None)
    if session is not None:
        session.reader.close()
        session.tracks.close()
