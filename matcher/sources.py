"""Camera sources: video files, RTSP and HTTP(S) MJPEG streams, opened through OpenCV.

A source is opened by URL. Files report their position, so a recognition job can
resume after the last committed chunk; live streams cannot rewind and simply go on.
Frames exist only in the worker's memory: nothing here writes or logs them. The
thread that reads a source and hands the analyser its newest frame is
matcher.frame_reader.FrameReader.
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
    CheckedSource,
    HostUnresolved,
    check_source_url,
    mask_url,
)
from lfr_portal.camera_sources import SourceRefused as RuleRefused

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
            raise SourceError(f"The stream URL '{redact(url)}' names no host.")
        return SourceSpec(url, "stream", url.split("#", 1)[0])
    raise SourceError(
        f"The scheme '{scheme}' is not a camera source; use rtsp, rtsps, http, https or file."
    )


def redact(url: str) -> str:
    """The URL with any credential masked."""
    # These messages reach logs, the camera's state and the audit trail: no credential.
    return mask_url(url, keep_username=False)


def _checked(spec: SourceSpec) -> CheckedSource:
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
                raise SourceLost(f"Cannot connect to {redact(self.spec.url)}.")
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
            raise SourceLost(f"The stream {redact(self.spec.url)} stopped sending frames.")
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
