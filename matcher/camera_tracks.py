"""One camera's analysis state: its tracks, the people matched on it, its watchlist.

What the per-frame step (matcher.pipeline.process_frame) reads and updates between
frames, with the tracking that needs no embedding: new faces start tracks, known faces
are followed in a small window between full detections, and a track unseen for
`track_gap_seconds` ends. Nothing about a face that did not match outlives its track: a
track's template is overwritten when it ends, and only people who matched are handed on
(`export_matched`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import cv2
import numpy as np

from matcher.engines.base import Engine, Face
from matcher.faces import rescaled, wipe
from matcher.tracking import associate, iou_matrix

# YuNet (and SCRFD) find faces down to about 10 px; at 20 px they find them reliably.
DETECTOR_MIN_FACE = 20.0


class FrameLike(Protocol):
    position: int
    stream_time: float
    captured_at: float
    image: np.ndarray


@dataclass(frozen=True)
class AnalysisSettings:
    """How much work one camera gets. The defaults are the production defaults, chosen
    with benchmarks/live_bench.py (see the README); a camera's min_face_px overrides."""

    # The narrowest face to find, in source pixels: it fixes the detection scale.
    min_face_px: float = 40.0
    # Most frames analysed per second of source time.
    analysis_fps: float = 12.5
    # Look for new faces on every k-th analysed frame; follow known ones in between.
    detect_every: int = 2
    # A track unseen for this long (source seconds) has ended.
    track_gap_seconds: float = 1.0
    # A matched person unseen for this long (source seconds) who is found again is a new
    # pass and raises a new alert; within it they are the same pass.
    rearm_seconds: float = 3.0
    # Embeddings per track at most, and per analysed frame at most.
    max_embeddings: int = 6
    embeddings_per_frame: int = 4
    # A view is worth embedding when its quality reaches this (0..1).
    min_quality: float = 0.15
    # Another embedding is taken when a view is this much better than the best so far,
    # or after min_embed_interval seconds with a view nearly as good.
    better_view: float = 1.2
    min_embed_interval: float = 0.4
    # A known person's track is checked against their entry this often (seconds); below
    # this share of the threshold it is taken to have slid onto someone else.
    verify_seconds: float = 1.0
    verify_margin: float = 0.8


def detection_scale(frame_size: tuple[int, int], min_face_px: float) -> float:
    """The factor frames are scaled by for detection: the smallest face to find stays
    DETECTOR_MIN_FACE pixels across; never above 1, never below 0.1."""
    del frame_size  # the scale depends on face size alone; kept for callers' clarity
    return float(min(1.0, max(0.1, DETECTOR_MIN_FACE / max(float(min_face_px), 1.0))))


@dataclass
class AlertCandidate:
    entry_id: int
    score: float
    stream_time: float
    first_seen_stream_time: float
    captured_at: float
    first_seen_at: float
    track_id: int
    crop_jpeg: bytes = field(repr=False)


@dataclass
class Analysis:
    new_people: int
    alerts: list[AlertCandidate]
    detected: bool
    detect_ms: float
    embed_ms: float
    people_in_view: int


@dataclass
class Track:
    track_id: int
    box: tuple[float, float, float, float]
    velocity: tuple[float, float]
    first_seen: float
    first_seen_at: float
    last_seen: float
    hits: int = 1
    counted: bool = False
    # Set once the track is known to be a watchlist entry.
    entry_id: int | None = None
    # The quality-weighted sum of this track's embeddings, and what went into it.
    template: np.ndarray | None = field(default=None, repr=False)
    embeddings: int = 0
    best_quality: float = 0.0
    last_embedded: float = -math.inf
    last_verified: float = -math.inf
    # The face seen on the current frame, if any (fresh landmarks).
    face: Face | None = field(default=None, repr=False)
    quality: float = 0.0

    def predicted_box(self, at: float) -> tuple[float, float, float, float]:
        dt = max(0.0, at - self.last_seen)
        x, y, w, h = self.box
        return (x + self.velocity[0] * dt, y + self.velocity[1] * dt, w, h)

    def wipe(self) -> None:
        if self.template is not None:
            wipe(self.template)
            self.template = None
        self.face = None


@dataclass
class Matched:
    """A person who matched on this camera: all that is kept after their track ends."""

    entry_id: int
    last_seen: float
    box: tuple[float, float, float, float]


class CameraTracks:
    """The analysis state of one camera. One thread; not shared between cameras."""

    def __init__(
        self,
        *,
        entry_ids: list[int],
        matrix: np.ndarray,
        threshold: float,
        settings: AnalysisSettings | None = None,
        frame_size: tuple[int, int] | None = None,
    ) -> None:
        self.settings = settings or AnalysisSettings()
        self.threshold = float(threshold)
        self.set_watchlist(entry_ids, matrix)
        self.frame_size = frame_size
        self.scale = detection_scale(frame_size or (0, 0), self.settings.min_face_px)
        self.tracks: dict[int, Track] = {}
        self.matched: dict[int, Matched] = {}
        self._next_id = 1
        self.analysed = 0
        self.last_analysed: float | None = None
        self.handed_on: list[dict[str, Any]] | None = None

    # -- configuration -------------------------------------------------------------

    def set_watchlist(self, entry_ids: list[int], matrix: np.ndarray) -> None:
        """One row per reference photograph; entry_ids[row] is the row's entry."""
        self.entry_ids = list(entry_ids)
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)

    @property
    def people_in_view(self) -> int:
        return sum(1 for track in self.tracks.values() if track.counted)

    # -- the analysis rate ----------------------------------------------------------

    def due(self, stream_time: float) -> bool:
        """Whether a frame at this source time is due for analysis (the rate cap)."""
        if self.last_analysed is None or stream_time < self.last_analysed:
            return True
        interval = 1.0 / self.settings.analysis_fps if self.settings.analysis_fps > 0 else 0.0
        # A little slack, so a 25 fps source analysed at 12.5 fps takes every second frame.
        return stream_time - self.last_analysed >= interval * 0.9

    def close(self) -> None:
        """End every track, overwriting what they hold."""
        for track in self.tracks.values():
            track.wipe()
        self.tracks.clear()
        self.matched.clear()

    # -- hand-on ---------------------------------------------------------------------

    def export_matched(self) -> list[dict[str, Any]]:
        """The matched people of the last rearm window, for the next job on this camera.

        Entry ids, boxes and how long ago (source seconds) each was last seen: nothing of
        anyone who did not match.
        """
        latest = self.last_analysed or 0.0
        for track in self.tracks.values():
            if track.entry_id is not None:
                self.remember(track)
        return [
            {
                "entry_id": person.entry_id,
                "box": [round(v, 1) for v in person.box],
                "unseen_for": round(max(0.0, latest - person.last_seen), 3),
            }
            for person in self.matched.values()
            if latest - person.last_seen <= self.settings.rearm_seconds
        ]

    def restore_matched(self, state: list[dict[str, Any]]) -> None:
        """Take on the matched people another job handed on, placed on this analyser's
        clock when its first frame arrives. Time in which no job watched the camera (a
        worker that died, a restart) does not count: nobody saw them leave."""
        self.handed_on = list(state or [])

    def take_on(self, now: float) -> None:
        state, self.handed_on = self.handed_on or [], None
        for item in state:
            try:
                entry_id = int(item["entry_id"])
                x, y, w, h = (float(v) for v in item["box"])
                unseen = float(item.get("unseen_for", 0.0))
            except (KeyError, TypeError, ValueError):
                continue
            if unseen <= self.settings.rearm_seconds:
                self.matched[entry_id] = Matched(entry_id, now - unseen, (x, y, w, h))

    # -- detection and tracking ------------------------------------------------------------

    def detect_scaled(self, image: np.ndarray, engine: Engine) -> list[Face]:
        scale = self.scale
        if scale >= 0.999:
            return engine.detect(image)
        height, width = image.shape[:2]
        small = cv2.resize(
            image,
            (max(1, round(width * scale)), max(1, round(height * scale))),
            interpolation=cv2.INTER_AREA,
        )
        faces = [rescaled(face, 1.0 / scale) for face in engine.detect(small)]
        wipe(small)
        return faces

    def update_tracks(self, faces: list[Face], now: float, captured_at: float) -> int:
        """Assign a full detection's faces to tracks; new faces start tracks."""
        tracks = list(self.tracks.values())
        pairs = associate(
            np.array([face.box for face in faces], dtype=np.float64).reshape(-1, 4),
            np.array([t.predicted_box(now) for t in tracks], dtype=np.float64).reshape(-1, 4),
            # The predicted box already carries the motion: a face much further than
            # its own width from it is someone else.
            max_centre_shift=1.0,
            max_size_change=1.35,
        )
        new_people = 0
        for face_index, face in enumerate(faces):
            track_index = pairs.get(face_index)
            if track_index is None:
                track = Track(
                    track_id=self._next_id,
                    box=face.box,
                    velocity=(0.0, 0.0),
                    first_seen=now,
                    first_seen_at=captured_at,
                    last_seen=now,
                )
                self._next_id += 1
                self.tracks[track.track_id] = track
            else:
                track = tracks[track_index]
                self.seen(track, face.box, now)
            track.face = face
            if track.hits >= 2:
                # Seen on two detections: a person; a single flicker is not counted.
                new_people += self.count(track)
        return new_people

    def follow_tracks(self, image: np.ndarray, now: float, engine: Engine) -> None:
        """Detect again in a window around the predicted box of each track that may still
        be embedded: fresh landmarks for a better view, at a fraction of a full search."""
        height, width = image.shape[:2]
        for track in self.tracks.values():
            if track.entry_id is not None or track.embeddings >= self.settings.max_embeddings:
                # Nothing more to learn from this face: full detections keep its track.
                continue
            x, y, w, h = track.predicted_box(now)
            side = max(w, h) * 2.2
            cx, cy = x + w / 2, y + h / 2
            left, top = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
            right, bottom = int(min(width, cx + side / 2)), int(min(height, cy + side / 2))
            if right - left < 8 or bottom - top < 8:
                continue
            window = image[top:bottom, left:right]
            # The face fills about half the window: 64 px across is plenty for the detector.
            factor = min(1.0, 128.0 / max(right - left, bottom - top))
            small = cv2.resize(window, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
            found = engine.detect(small)
            wipe(small)
            if not found:
                continue
            faces = [rescaled(face, 1.0 / factor, shift=(left, top)) for face in found]
            overlap = iou_matrix(
                np.array([face.box for face in faces]), np.array([track.box])
            ).ravel()
            best = int(np.argmax(overlap))
            if overlap[best] < 0.2:
                continue
            self.seen(track, faces[best].box, now)
            track.face = faces[best]

    def seen(self, track: Track, box: tuple[float, float, float, float], now: float) -> None:
        dt = now - track.last_seen
        if dt > 0:
            vx = ((box[0] + box[2] / 2) - (track.box[0] + track.box[2] / 2)) / dt
            vy = ((box[1] + box[3] / 2) - (track.box[1] + track.box[3] / 2)) / dt
            track.velocity = (
                0.5 * track.velocity[0] + 0.5 * vx,
                0.5 * track.velocity[1] + 0.5 * vy,
            )
        track.box = box
        track.last_seen = now
        track.hits += 1

    def count(self, track: Track) -> int:
        if track.counted:
            return 0
        track.counted = True
        return 1

    def end_stale(self, now: float) -> None:
        """Drop tracks unseen for track_gap_seconds, remembering the matched ones."""
        for track_id in [
            tid
            for tid, t in self.tracks.items()
            if now - t.last_seen > self.settings.track_gap_seconds or now < t.first_seen
        ]:
            track = self.tracks.pop(track_id)
            if track.entry_id is not None:
                self.remember(track)
            track.wipe()
        for entry_id in [
            eid
            for eid, person in self.matched.items()
            if now - person.last_seen > self.settings.rearm_seconds or now < person.last_seen
        ]:
            del self.matched[entry_id]

    def remember(self, track: Track) -> None:
        assert track.entry_id is not None
        known = self.matched.get(track.entry_id)
        if known is None or known.last_seen <= track.last_seen:
            self.matched[track.entry_id] = Matched(track.entry_id, track.last_seen, track.box)

    def still_them(self, track: Track, embedding: np.ndarray) -> bool:
        """Whether this view still scores as the track's entry on one of its photographs."""
        rows = [row for row, entry in enumerate(self.entry_ids) if entry == track.entry_id]
        if not rows:
            return False
        scores = self.matrix[rows] @ embedding
        still = bool(float(scores.max()) >= self.threshold * self.settings.verify_margin)
        wipe(scores)
        return still

    def restart(self, track: Track, now: float, captured_at: float) -> None:
        """The track is someone new from this frame: it starts afresh and is counted."""
        if track.template is not None:
            wipe(track.template)
            track.template = None
        track.entry_id = None
        track.embeddings = 0
        track.best_quality = 0.0
        track.last_embedded = -math.inf
        track.first_seen, track.first_seen_at = now, captured_at
        track.counted = False
