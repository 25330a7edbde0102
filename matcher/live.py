"""One camera's live analysis: the analyser the jobs and benchmarks drive, and its health
figures. No database and no I/O.

A live camera delivers 25 frames a second whatever the worker does, so the analyser
spends work where it pays:

- it analyses at most `analysis_fps` frames a second of source time (the reader hands it
  the newest frame; older ones are skipped, never queued);
- it looks for new faces on every `detect_every`-th analysed frame only, on a copy of the
  frame scaled down so that the smallest face the camera must find (`min_face_px`, in
  source pixels) is still `DETECTOR_MIN_FACE` pixels across for the detector;
- in between it follows the faces it already has by detecting again in a small window
  around each one, which also gives fresh landmarks, so a track can be embedded on any
  analysed frame;
- it embeds a track's best views (large, sharp, frontal, not cut by the frame's edge),
  not its first ones, from the full-resolution frame, and matches the quality-weighted
  mean of a track's embeddings, so one poor view neither raises nor loses an alert.

Alert timing runs on the source's own clock (Frame.stream_time): a person still in view
never raises a second alert, and a matched person who is gone for longer than
`rearm_seconds` and comes back raises a new one, however fast the worker runs.

Nothing about a face that did not match outlives its track: a track's embeddings are
overwritten when it ends, and only people who matched are handed on (`export_matched`).

The state lives in matcher.camera_tracks and the per-frame step in
matcher.pipeline.process_frame; CameraAnalyser binds the two to one engine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcher import pipeline
from matcher.camera_tracks import (
    DETECTOR_MIN_FACE,
    AlertCandidate,
    Analysis,
    AnalysisSettings,
    CameraTracks,
    FrameLike,
    detection_scale,
)
from matcher.engines.base import Engine
from matcher.faces import view_quality

__all__ = [
    "DETECTOR_MIN_FACE",
    "AlertCandidate",
    "Analysis",
    "AnalysisSettings",
    "CameraAnalyser",
    "HealthWindow",
    "detection_scale",
    "view_quality",
]


class CameraAnalyser(CameraTracks):
    """One camera's analysis state bound to the engine that analyses its frames."""

    def __init__(self, engine: Engine, **options: Any) -> None:
        super().__init__(**options)
        self.engine = engine

    def analyse(self, frame: FrameLike) -> Analysis | None:
        """Analyse one frame, or return None when it is not due (the caller counts it skipped)."""
        return pipeline.process_frame(self, frame, self.engine)


@dataclass
class HealthWindow:
    """Counts and timings of one camera between two commits: nothing biometric."""

    started: float = field(default_factory=time.monotonic)
    read: int = 0
    skipped: int = 0
    analysed: int = 0
    detect_ms: list[float] = field(default_factory=list)
    embed_ms: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    alert_latency_ms: float | None = None

    def add(self, analysis: Analysis, lag: float | None) -> None:
        self.analysed += 1
        self.detect_ms.append(analysis.detect_ms)
        self.embed_ms.append(analysis.embed_ms)
        if lag is not None:
            self.lags.append(lag)

    def as_dict(
        self, *, source_fps: float, detect_scale: float, people_in_view: int
    ) -> dict[str, Any]:
        window = max(time.monotonic() - self.started, 1e-6)
        delivered = max(self.read, 1)
        figures: dict[str, Any] = {
            "window_s": round(window, 2),
            "source_fps": round(source_fps, 2),
            "read_fps": round(self.read / window, 2),
            "analysed_fps": round(self.analysed / window, 2),
            "skipped_share": round(min(1.0, self.skipped / delivered), 4) if self.read else 0.0,
            "detect_scale": round(detect_scale, 3),
            "people_in_view": people_in_view,
        }
        for name, values in (("detect_ms", self.detect_ms), ("embed_ms", self.embed_ms)):
            if values:
                figures[f"{name}_mean"] = round(float(np.mean(values)), 2)
                figures[f"{name}_p95"] = round(float(np.percentile(values, 95)), 2)
        if self.lags:
            figures["lag_s"] = round(self.lags[-1], 3)
            figures["lag_s_max"] = round(max(self.lags), 3)
        if self.alert_latency_ms is not None:
            figures["alert_latency_ms_last"] = round(self.alert_latency_ms, 1)
        return figures
