"""Frames of one camera source, read on their own thread, as a live camera gives them.

The reader keeps only the newest frame for the analyser, so analysis never falls behind
a live source; a frame replaced before it was taken is overwritten, not queued. Frames
exist only in the worker's memory: nothing here writes or logs them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from matcher.faces import wipe
from matcher.sources import FrameSource, SourceEnded, SourceLost, redact


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
            raise SourceLost(f"The last read of {redact(self._source.spec.url)} has not ended.")
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
                SourceLost(f"Reading {redact(self._source.spec.url)} failed: {type(exc).__name__}.")
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
