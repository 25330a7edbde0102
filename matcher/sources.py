"""Frames from camera sources: video files, RTSP and HTTP(S) MJPEG streams, through OpenCV.

A source is opened by URL. Files report their position, so a recognition job can
resume after the last committed chunk; live streams cannot rewind and simply go on.
Frames exist only in the worker's memory: nothing here writes or logs them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import cv2
import numpy as np

from lfr_portal.camera_sources import (
    FFMPEG_FILE_FORMATS,
    HostUnresolved,
    check_source_url,
    mask_url,
)
from lfr_portal.camera_sources import SourceRefused as RuleRefused
from matcher.pipeline import wipe

STREAM_SCHEMES = {"rtsp", "rtsps", "http", "https"}
FILE_SCHEMES = {"file", ""}


class SourceError(Exception):
    """The source cannot be used at all (bad URL, unreadable file): the job fails."""


class SourceLost(Exception):
    """A live source stopped giving frames; reconnecting may bring it back."""


class SourceEnded(Exception):
    """A video file has no more frames (and does not loop)."""


class SourceRefused(SourceError):
    """The camera source rules forbid the source (a host outside the camera networks, a
    file outside the camera folders): the job fails and says which rule."""


@dataclass(frozen=True)
class SourceSpec:
    url: str
    kind: str  # "file" or "stream"
    location: str  # path for files, URL for streams
    loop: bool = False
    realtime: bool = False


def parse_source(url: str) -> SourceSpec:
    """Check the URL's shape and say what kind of source it names."""
    if not url or not url.strip():
        raise SourceError("The camera has no source URL.")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    flags = {
        "loop": options.get("loop") in ("1", "true", "yes"),
        "realtime": options.get("realtime") in ("1", "true", "yes"),
    }
    if scheme in FILE_SCHEMES:
        path = parts.path if scheme == "file" else url.split("?", 1)[0]
        if not path:
            raise SourceError(f"The file source '{url}' names no file.")
        return SourceSpec(url, "file", path, **flags)
    if scheme in STREAM_SCHEMES:
        if not parts.hostname:
            raise SourceError(f"The stream URL '{_redact(url)}' names no host.")
        return SourceSpec(url, "stream", url.split("#", 1)[0])
    raise SourceError(
        f"The scheme '{scheme}' is not a camera source; use rtsp, rtsps, http, https or file."
    )


def _redact(url: str) -> str:
    # These messages reach logs, the camera's state and the audit trail: no credential.
    return mask_url(url, keep_username=False)


def _checked(spec: SourceSpec):
    """The source as the rules allow it to be opened, checked now, just before connecting.

    Names are resolved here and every address checked; the stream is then opened by the
    checked address, so a name that answers differently a moment later leads nowhere.
    """
    try:
        return check_source_url(spec.url, resolve=True)
    except HostUnresolved as exc:
        # Nothing was connected; the job retries, and the gap is recorded.
        raise SourceLost(exc.message) from None
    except RuleRefused as exc:
        raise SourceRefused(f"Refused by the camera source rules: {exc.message}") from None


# OpenCV's FFmpeg backend reads its open options from this variable at every open.
FFMPEG_OPTIONS_VARIABLE = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
# A file is read through FFmpeg's file protocol alone, by a single-file demuxer alone: the
# protocol list stops network fetches, and the demuxer list stops a playlist or concat
# list (which would open other files, outside the camera folders) even if one is swapped
# in after the check.
FILE_CAPTURE_OPTIONS = f"protocol_whitelist;file|format_whitelist;{FFMPEG_FILE_FORMATS}"
_options_lock = threading.Lock()


@contextmanager
def ffmpeg_capture_options(options: str) -> Iterator[None]:
    """Open captures with these FFmpeg options, then put the variable back as it was."""
    with _options_lock:
        before = os.environ.get(FFMPEG_OPTIONS_VARIABLE)
        os.environ[FFMPEG_OPTIONS_VARIABLE] = options
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(FFMPEG_OPTIONS_VARIABLE, None)
            else:
                os.environ[FFMPEG_OPTIONS_VARIABLE] = before


def open_video_file(path: str) -> cv2.VideoCapture:
    """A capture of one video file, confined to the file protocol and allowed containers."""
    with ffmpeg_capture_options(FILE_CAPTURE_OPTIONS):
        return cv2.VideoCapture(path, cv2.CAP_FFMPEG)


class FrameSource:
    """One open camera source. read() gives (position, frame) or raises."""

    def __init__(self, spec: SourceSpec, *, start_position: int = 0, open_timeout_ms: int = 5000):
        self.spec = spec
        self.position = start_position
        self._open_timeout_ms = open_timeout_ms
        self._capture: cv2.VideoCapture | None = None
        self.fps = 0.0
        self._next_due = 0.0
        self.open()

    @property
    def is_file(self) -> bool:
        return self.spec.kind == "file"

    def open(self) -> None:
        self.close()
        checked = _checked(self.spec)
        if self.is_file:
            path = Path(checked.path)
            if not path.is_file():
                raise SourceError(f"The video file '{path}' does not exist or is not a file.")
            capture = open_video_file(str(path))
            if not capture.isOpened():
                raise SourceError(f"The file '{path}' is not a video OpenCV can read.")
            ok, frame = capture.read()
            if not ok or frame is None:
                capture.release()
                raise SourceError(f"The file '{path}' holds no readable video frames.")
            # Rewind, then go to the committed position (resuming after a restart).
            capture.set(cv2.CAP_PROP_POS_FRAMES, self.position)
        else:
            params = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                self._open_timeout_ms,
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                self._open_timeout_ms,
            ]
            capture = cv2.VideoCapture(checked.connect_url, cv2.CAP_FFMPEG, params)
            if not capture.isOpened():
                capture.release()
                raise SourceLost(f"Cannot connect to {_redact(self.spec.url)}.")
        self._capture = capture
        self.fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        self._next_due = time.monotonic()

    def read(self, *, paced: bool = True) -> tuple[int, np.ndarray] | None:
        """The next frame and its position; None when a file has ended (and does not loop).

        A `?realtime=1` file waits for each frame's time unless paced=False (a
        FrameReader keeps the clock itself)."""
        if self._capture is None:
            raise SourceLost("The source is closed.")
        if paced and self.spec.realtime and self.fps > 0:
            # Pace a file like a camera, for demonstrations.
            delay = self._next_due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._next_due = max(self._next_due, time.monotonic()) + 1 / self.fps
        ok, frame = self._capture.read()
        if not ok or frame is None:
            if self.is_file:
                if self.spec.loop:
                    self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    self.position = 0
                    ok, frame = self._capture.read()
                    if ok and frame is not None:
                        self.position += 1
                        return self.position - 1, frame
                return None
            raise SourceLost(f"The stream {_redact(self.spec.url)} stopped sending frames.")
        self.position += 1
        return self.position - 1, frame

    def grab(self) -> bool:
        """Move past one frame without converting it (a paced reader catching up)."""
        if self._capture is None or not self._capture.grab():
            return False
        self.position += 1
        return True

    def timestamp_ms(self) -> float:
        """The last frame's timestamp from the source, in milliseconds (0 when unknown)."""
        if self._capture is None:
            return 0.0
        return float(self._capture.get(cv2.CAP_PROP_POS_MSEC) or 0.0)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


@dataclass
class Frame:
    """One frame as the analyser gets it."""

    # The frame number in a file, or frames delivered since the stream was opened.
    position: int
    # Seconds on the source's own clock: position / fps for a file; for a stream its
    # own timestamps where they move forward sanely, else seconds since it was opened.
    stream_time: float
    # time.time() when the frame was delivered (a live source) or was due (a paced file).
    captured_at: float
    image: np.ndarray


class FrameReader:
    """Frames of one source, as a live camera gives them or, for a file, at leisure.

    live=True: a thread reads the source as fast as it delivers (a file paced at its own
    frame rate, exactly like a camera; one that falls behind its clock drops frames to
    catch up, as a camera would have moved on) and keeps only the newest frame. A frame
    replaced before the analyser took it is counted as skipped and overwritten, never
    queued, so the analysis can never fall behind live.

    live=False: a file read at leisure; every frame is handed over in order.
    """

    # Seconds close() waits for the thread; longer than a stream read's own timeout.
    STOP_WAIT = 10.0

    def __init__(self, source: FrameSource, *, live: bool):
        self._source = source
        # A stream cannot wait for the analyser: it is always read live.
        self.live = live or not source.is_file
        self._condition = threading.Condition()
        self._held: Frame | None = None
        self._error: Exception | None = None
        self._read = 0
        self._skipped = 0
        self._taken_position = source.position
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._stream_clock = _StreamClock()
        # Set when close() could not wait for the thread: it releases the capture itself.
        self._release_on_exit = False
        self.closed = False

    # -- figures --------------------------------------------------------------------------

    @property
    def frames_read(self) -> int:
        """Frames the source delivered (for a file at leisure: frames handed over)."""
        return self._read

    @property
    def frames_skipped(self) -> int:
        return self._skipped

    @property
    def fps(self) -> float:
        return self._source.fps

    @property
    def position(self) -> int:
        """Where a file resumes after the last frame taken."""
        return self._taken_position

    @property
    def is_file(self) -> bool:
        return self._source.is_file

    # -- life -----------------------------------------------------------------------------

    def start(self) -> None:
        if self.live and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="lfr-frame-reader", daemon=True)
            self._thread.start()

    def reopen(self) -> None:
        """After SourceLost: open the source again (SourceLost if it is still down)."""
        if not self._halt():
            raise SourceLost(f"The last read of {_redact(self._source.spec.url)} has not ended.")
        self._drop_held()
        with self._condition:
            self._error = None
        try:
            self._source.open()
        except SourceLost as exc:
            # next_frame() says so too, rather than waiting on a thread that never started.
            self._fail(exc)
            raise
        self._stream_clock = _StreamClock()
        self.start()

    def close(self) -> None:
        """Stop the thread, release the capture and overwrite the frame still held."""
        if self._halt():
            self._source.close()
        else:
            # Never release a capture another thread is reading: it lets go when it returns.
            self._release_on_exit = True
            if self._thread is not None and not self._thread.is_alive():
                self._source.close()  # it returned just now, before it saw the flag
        self._drop_held()
        self.closed = True

    def _drop_held(self) -> None:
        with self._condition:
            if self._held is not None:
                wipe(self._held.image)
                self._held = None

    def _halt(self) -> bool:
        """Stop the reader thread; False if it is still stuck in a read after STOP_WAIT."""
        self._stop.set()
        with self._condition:
            self._condition.notify_all()
        if self._thread is None:
            return True
        # A stream read gives up after its own timeout, so the thread ends soon.
        self._thread.join(timeout=self.STOP_WAIT)
        if self._thread.is_alive():
            return False
        self._thread = None
        return True

    # -- frames ---------------------------------------------------------------------------

    def next_frame(self, timeout: float) -> Frame | None:
        """The newest frame not yet taken, waiting up to `timeout` seconds for one.

        None when none came in time; SourceLost when a stream dropped (then reopen());
        SourceEnded when a file has no more frames.
        """
        if not self.live:
            return self._next_at_leisure()
        with self._condition:
            self._condition.wait_for(
                lambda: self._held is not None or self._error is not None or self._stop.is_set(),
                timeout,
            )
            frame, self._held = self._held, None
            if frame is None and self._error is not None:
                raise self._error
        if frame is not None:
            self._taken_position = frame.position + 1
        return frame

    def _next_at_leisure(self) -> Frame | None:
        # At leisure means unpaced, whatever the URL says.
        item = self._source.read(paced=False)
        if item is None:
            raise SourceEnded("The video file ended.")
        position, image = item
        self._read += 1
        self._taken_position = position + 1
        fps = self._source.fps or 25.0
        return Frame(position, position / fps, time.time(), image)

    def _run(self) -> None:
        try:
            self._read_until_stopped()
        except Exception as exc:  # noqa: BLE001 - the thread must say it died, not vanish
            # The message names the error type only: a decoder's message is never a face,
            # but the camera URL may hold a password.
            self._fail(
                SourceLost(
                    f"Reading {_redact(self._source.spec.url)} failed: {type(exc).__name__}."
                )
            )
        finally:
            if self._release_on_exit:
                self._source.close()

    def _read_until_stopped(self) -> None:
        source = self._source
        fps = source.fps if source.is_file and source.fps > 0 else 0.0
        started = time.monotonic()
        wall_start = time.time()
        first = source.position
        # Frames since the start, read or passed: a paced file's frame n is due n / fps
        # after it (a looping file keeps counting, so its clock never runs back).
        count = 0
        while not self._stop.is_set():
            if fps:
                # Late: skip ahead to the frame due now, as a camera would have moved on.
                due = int((time.monotonic() - started) * fps)
                while count < due and not self._stop.is_set() and source.grab():
                    count += 1
                    with self._condition:
                        self._read += 1
                        self._skipped += 1
                delay = started + count / fps - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
            try:
                item = source.read(paced=False)
            except SourceLost as exc:
                self._fail(exc)
                return
            if self._stop.is_set():
                # close() came during the read: nobody will take this frame.
                if item is not None:
                    wipe(item[1])
                return
            if item is None:
                self._fail(SourceEnded("The video file ended."))
                return
            position, image = item
            if fps:
                stream_time = (first + count) / fps
                captured_at = wall_start + count / fps
            else:
                stream_time = self._stream_clock.time_of(source.timestamp_ms())
                captured_at = time.time()
            count += 1
            frame = Frame(position, stream_time, captured_at, image)
            with self._condition:
                self._read += 1
                if self._held is not None:
                    self._skipped += 1
                    wipe(self._held.image)
                self._held = frame
                self._condition.notify_all()

    def _fail(self, error: Exception) -> None:
        with self._condition:
            self._error = error
            self._condition.notify_all()


class _StreamClock:
    """A stream's own time: its timestamps while they move forward sanely (by at most a
    few seconds a frame), else the seconds since it was opened."""

    def __init__(self) -> None:
        self._opened = time.monotonic()
        self._offset: float | None = None
        self._last = -1.0

    def time_of(self, timestamp_ms: float) -> float:
        arrival = time.monotonic() - self._opened
        if timestamp_ms > 0:
            stamp = timestamp_ms / 1000.0
            if self._offset is None:
                self._offset = arrival - stamp
            candidate = stamp + self._offset
            if self._last < candidate <= self._last + 5.0:
                self._last = candidate
                return candidate
        # No usable timestamp: arrival time, never running backwards.
        self._last = max(arrival, self._last + 1e-3)
        return self._last
