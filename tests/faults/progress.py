"""Watching a camera job's committed progress from a thread while a fault runs its course."""

import threading
import time

from django.db import DatabaseError, connection

from lfr_portal.models import DeploymentCamera


class FrameCounter(threading.Thread):
    """Samples the camera's committed frame count every `interval` seconds, on the thread's
    own database connection; a sample the database cannot answer is skipped."""

    def __init__(self, booking_id, interval=0.2):
        super().__init__(daemon=True)
        self.booking_id = booking_id
        self.interval = interval
        self.samples = []  # (monotonic time, frames processed)
        self._stop_sampling = threading.Event()

    def run(self):
        try:
            while not self._stop_sampling.is_set():
                try:
                    frames = (
                        DeploymentCamera.objects.filter(pk=self.booking_id)
                        .values_list("frames_processed", flat=True)
                        .get()
                    )
                except DatabaseError:
                    connection.close()
                else:
                    self.samples.append((time.monotonic(), frames))
                time.sleep(self.interval)
        finally:
            connection.close()

    def stop(self):
        self._stop_sampling.set()
        if self.ident is not None:
            self.join(timeout=10)

    def frames_between(self, start, end):
        inside = [frames for at, frames in self.samples if start <= at <= end]
        return inside[-1] - inside[0] if inside else 0

    def longest_stall(self, *, after, until_frames):
        """The longest time after `after` that the count stood still, up to `until_frames`."""
        before = [frames for at, frames in self.samples if at <= after]
        longest, since, last = 0.0, after, before[-1] if before else None
        for at, frames in self.samples:
            if at <= after:
                continue
            if frames != last:
                longest, since, last = max(longest, at - since), at, frames
            if frames >= until_frames:
                break
        return longest

    def first_progress_after(self, moment):
        """Seconds from `moment` until the count first moved past its value at `moment`."""
        before = [frames for at, frames in self.samples if at <= moment]
        baseline = before[-1] if before else 0
        for at, frames in self.samples:
            if at > moment and frames > baseline:
                return at - moment
        return None
