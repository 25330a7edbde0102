"""One camera's analysis: the per-frame step of live recognition, with no database and no I/O.

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
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import cv2
import numpy as np

from matcher import pipeline
from matcher.engines.base import Engine, Face
from matcher.tracking import associate, iou_matrix

# YuNet (and SCRFD) find faces down to about 10 px; at 20 px they find them reliably.
DETECTOR_MIN_FACE = 20.0
# A face narrower than this (source pixels) gives a vector that is mostly noise.
MIN_EMBED_FACE = pipeline.MIN_FACE_SIZE


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
class _Track:
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
            pipeline.wipe(self.template)
            self.template = None
        self.face = None


@dataclass
class _Matched:
    """A person who matched on this camera: all that is kept after their track ends."""

    entry_id: int
    last_seen: float
    box: tuple[float, float, float, float]


class CameraAnalyser:
    """The analysis of one camera's frames. One thread; not shared between cameras."""

    def __init__(
        self,
        engine: Engine,
        *,
        entry_ids: list[int],
        matrix: np.ndarray,
        threshold: float,
        settings: AnalysisSettings | None = None,
        frame_size: tuple[int, int] | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings or AnalysisSettings()
        self.threshold = float(threshold)
        self.set_watchlist(entry_ids, matrix)
        self.frame_size = frame_size
        self.scale = detection_scale(frame_size or (0, 0), self.settings.min_face_px)
        self._tracks: dict[int, _Track] = {}
        self._matched: dict[int, _Matched] = {}
        self._next_id = 1
        self._analysed = 0
        self._last_analysed: float | None = None
        self._handed_on: list[dict[str, Any]] | None = None

    # -- configuration -------------------------------------------------------------

    def set_watchlist(self, entry_ids: list[int], matrix: np.ndarray) -> None:
        """One row per reference photograph; entry_ids[row] is the row's entry."""
        self.entry_ids = list(entry_ids)
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)

    @property
    def people_in_view(self) -> int:
        return sum(1 for track in self._tracks.values() if track.counted)

    # -- the per-frame step ----------------------------------------------------------

    def due(self, stream_time: float) -> bool:
        """Whether a frame at this source time is due for analysis (the rate cap)."""
        if self._last_analysed is None or stream_time < self._last_analysed:
            return True
        interval = 1.0 / self.settings.analysis_fps if self.settings.analysis_fps > 0 else 0.0
        # A little slack, so a 25 fps source analysed at 12.5 fps takes every second frame.
        return stream_time - self._last_analysed >= interval * 0.9

    def analyse(self, frame: FrameLike) -> Analysis | None:
        """Analyse one frame, or return None when it is not due (the caller counts it skipped)."""
        now = float(frame.stream_time)
        if not self.due(now):
            return None
        self._last_analysed = now
        if self._handed_on is not None:
            self._take_on(now)
        image = frame.image
        if self.frame_size is None:
            self.frame_size = (int(image.shape[1]), int(image.shape[0]))
        full = self._analysed % max(1, self.settings.detect_every) == 0 or not self._tracks
        self._analysed += 1

        started = time.perf_counter()
        self._ended(now)
        new_people = 0
        if full:
            faces = self._detect_scaled(image)
            new_people = self._update_tracks(faces, now, frame.captured_at)
        else:
            self._follow_tracks(image, now)
        detect_ms = (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        alerts, embedded = self._embed_and_match(image, now, frame.captured_at)
        embed_ms = (time.perf_counter() - started) * 1000
        # A face worth an embedding is a person, even if seen on one detection only.
        new_people += sum(self._count(track) for track in embedded)
        for track in self._tracks.values():
            track.face = None
        return Analysis(
            new_people=new_people,
            alerts=alerts,
            detected=full,
            detect_ms=detect_ms,
            embed_ms=embed_ms,
            people_in_view=self.people_in_view,
        )

    def close(self) -> None:
        """End every track, overwriting what they hold."""
        for track in self._tracks.values():
            track.wipe()
        self._tracks.clear()
        self._matched.clear()

    # -- hand-on ---------------------------------------------------------------------

    def export_matched(self) -> list[dict[str, Any]]:
        """The matched people of the last rearm window, for the next job on this camera.

        Entry ids, boxes and how long ago (source seconds) each was last seen: nothing of
        anyone who did not match.
        """
        latest = self._last_analysed or 0.0
        for track in self._tracks.values():
            if track.entry_id is not None:
                self._remember(track)
        return [
            {
                "entry_id": person.entry_id,
                "box": [round(v, 1) for v in person.box],
                "unseen_for": round(max(0.0, latest - person.last_seen), 3),
            }
            for person in self._matched.values()
            if latest - person.last_seen <= self.settings.rearm_seconds
        ]

    def restore_matched(self, state: list[dict[str, Any]]) -> None:
        """Take on the matched people another job handed on, placed on this analyser's
        clock when its first frame arrives. Time in which no job watched the camera (a
        worker that died, a restart) does not count: nobody saw them leave."""
        self._handed_on = list(state or [])

    def _take_on(self, now: float) -> None:
        state, self._handed_on = self._handed_on or [], None
        for item in state:
            try:
                entry_id = int(item["entry_id"])
                x, y, w, h = (float(v) for v in item["box"])
                unseen = float(item.get("unseen_for", 0.0))
            except (KeyError, TypeError, ValueError):
                continue
            if unseen <= self.settings.rearm_seconds:
                self._matched[entry_id] = _Matched(entry_id, now - unseen, (x, y, w, h))

    # -- detection and tracking ------------------------------------------------------------

    def _detect_scaled(self, image: np.ndarray) -> list[Face]:
        scale = self.scale
        if scale >= 0.999:
            return self.engine.detect(image)
        height, width = image.shape[:2]
        small = cv2.resize(
            image,
            (max(1, round(width * scale)), max(1, round(height * scale))),
            interpolation=cv2.INTER_AREA,
        )
        faces = [_rescaled(face, 1.0 / scale) for face in self.engine.detect(small)]
        pipeline.wipe(small)
        return faces

    def _update_tracks(self, faces: list[Face], now: float, captured_at: float) -> int:
        """Assign a full detection's faces to tracks; new faces start tracks."""
        tracks = list(self._tracks.values())
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
                track = _Track(
                    track_id=self._next_id,
                    box=face.box,
                    velocity=(0.0, 0.0),
                    first_seen=now,
                    first_seen_at=captured_at,
                    last_seen=now,
                )
                self._next_id += 1
                self._tracks[track.track_id] = track
            else:
                track = tracks[track_index]
                self._seen(track, face.box, now)
            track.face = face
            if track.hits >= 2:
                # Seen on two detections: a person; a single flicker is not counted.
                new_people += self._count(track)
        return new_people

    def _follow_tracks(self, image: np.ndarray, now: float) -> None:
        """Detect again in a window around the predicted box of each track that may still
        be embedded: fresh landmarks for a better view, at a fraction of a full search."""
        height, width = image.shape[:2]
        for track in self._tracks.values():
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
            found = self.engine.detect(small)
            pipeline.wipe(small)
            if not found:
                continue
            faces = [_rescaled(face, 1.0 / factor, shift=(left, top)) for face in found]
            overlap = iou_matrix(
                np.array([face.box for face in faces]), np.array([track.box])
            ).ravel()
            best = int(np.argmax(overlap))
            if overlap[best] < 0.2:
                continue
            self._seen(track, faces[best].box, now)
            track.face = faces[best]

    def _seen(self, track: _Track, box: tuple[float, float, float, float], now: float) -> None:
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

    def _count(self, track: _Track) -> int:
        if track.counted:
            return 0
        track.counted = True
        return 1

    def _ended(self, now: float) -> None:
        """Drop tracks unseen for track_gap_seconds, remembering the matched ones."""
        for track_id in [
            tid
            for tid, t in self._tracks.items()
            if now - t.last_seen > self.settings.track_gap_seconds or now < t.first_seen
        ]:
            track = self._tracks.pop(track_id)
            if track.entry_id is not None:
                self._remember(track)
            track.wipe()
        for entry_id in [
            eid
            for eid, person in self._matched.items()
            if now - person.last_seen > self.settings.rearm_seconds or now < person.last_seen
        ]:
            del self._matched[entry_id]

    def _remember(self, track: _Track) -> None:
        assert track.entry_id is not None
        known = self._matched.get(track.entry_id)
        if known is None or known.last_seen <= track.last_seen:
            self._matched[track.entry_id] = _Matched(track.entry_id, track.last_seen, track.box)

    # -- embedding and matching ------------------------------------------------------------

    def _embed_and_match(
        self, image: np.ndarray, now: float, captured_at: float
    ) -> tuple[list[AlertCandidate], list[_Track]]:
        """Embed the tracks due for it, match; return (alerts, the tracks embedded)."""
        settings = self.settings
        candidates: list[tuple[float, _Track]] = []
        checks: list[_Track] = []
        for track in self._tracks.values():
            face = track.face
            if face is None:
                continue
            if face.size < MIN_EMBED_FACE:
                if track.entry_id is not None:
                    self._remember(track)
                continue
            if track.entry_id is not None:
                # A known person is checked again now and then, so a track that slid
                # onto someone else (two people crossing) cannot hide them.
                if now - track.last_verified >= settings.verify_seconds:
                    track.quality = view_quality(image, face)
                    if track.quality >= settings.min_quality:
                        checks.append(track)
                        continue
                self._remember(track)
                continue
            if track.embeddings >= settings.max_embeddings:
                continue
            track.quality = view_quality(image, face)
            if track.quality < settings.min_quality:
                continue
            better = track.quality >= track.best_quality * settings.better_view
            again = (
                now - track.last_embedded >= settings.min_embed_interval
                and track.quality >= track.best_quality / settings.better_view
            )
            if track.embeddings == 0 or better or again:
                candidates.append((track.quality, track))
        if not (candidates or checks) or not len(self.entry_ids):
            return [], []
        candidates.sort(key=lambda item: item[0], reverse=True)
        chosen = [track for _, track in candidates[: settings.embeddings_per_frame]]
        checks = checks[: max(1, settings.embeddings_per_frame - len(chosen))]
        row_of = {id(track): row for row, track in enumerate(chosen + checks)}
        embeddings = pipeline.embed_faces(
            self.engine,
            image,
            [track.face for track in chosen + checks],  # type: ignore[misc]
        )
        for track in checks:
            row = row_of[id(track)]
            if self._still_them(track, embeddings[row]):
                track.last_verified = now
                self._remember(track)
            else:
                # Someone else now: a new person from this view on.
                self._restart(track, now, captured_at)
                chosen.append(track)
        templates = np.empty((len(chosen), embeddings.shape[1]), dtype=np.float32)
        for index, track in enumerate(chosen):
            weighted = embeddings[row_of[id(track)]] * np.float32(track.quality)
            if track.template is None:
                track.template = weighted.copy()
            else:
                track.template += weighted
            pipeline.wipe(weighted)
            track.embeddings += 1
            track.best_quality = max(track.best_quality, track.quality)
            track.last_embedded = now
            norm = float(np.linalg.norm(track.template))
            templates[index] = track.template / norm if norm > 0 else track.template
        pipeline.wipe(embeddings)
        matches = pipeline.match(templates, self.matrix, self.threshold)
        pipeline.wipe(templates)
        alerts = []
        for found in matches:
            track = chosen[found.face_index]
            entry_id = self.entry_ids[found.entry_index]
            track.entry_id = entry_id
            track.last_verified = now
            # Known people need no more vectors: the template goes now.
            pipeline.wipe(track.template)  # type: ignore[arg-type]
            track.template = None
            known = self._matched.get(entry_id)
            repeat = known is not None and now - known.last_seen <= settings.rearm_seconds
            self._remember(track)
            if repeat:
                continue
            crop = pipeline.crop_face(image, track.face)  # type: ignore[arg-type]
            ok, jpeg = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 90])
            pipeline.wipe(crop)
            alerts.append(
                AlertCandidate(
                    entry_id=entry_id,
                    score=found.score,
                    stream_time=now,
                    first_seen_stream_time=track.first_seen,
                    captured_at=captured_at,
                    first_seen_at=track.first_seen_at,
                    track_id=track.track_id,
                    crop_jpeg=jpeg.tobytes() if ok else b"",
                )
            )
        return alerts, chosen

    def _still_them(self, track: _Track, embedding: np.ndarray) -> bool:
        """Whether this view still scores as the track's entry on one of its photographs."""
        rows = [row for row, entry in enumerate(self.entry_ids) if entry == track.entry_id]
        if not rows:
            return False
        scores = self.matrix[rows] @ embedding
        still = bool(float(scores.max()) >= self.threshold * self.settings.verify_margin)
        pipeline.wipe(scores)
        return still

    def _restart(self, track: _Track, now: float, captured_at: float) -> None:
        """The track is someone new from this frame: it starts afresh and is counted."""
        if track.template is not None:
            pipeline.wipe(track.template)
            track.template = None
        track.entry_id = None
        track.embeddings = 0
        track.best_quality = 0.0
        track.last_embedded = -math.inf
        track.first_seen, track.first_seen_at = now, captured_at
        track.counted = False


def view_quality(image: np.ndarray, face: Face) -> float:
    """How good a view of a face is for recognition, 0..1: size, sharpness, frontal pose,
    and whether the frame's edge cuts it. Only counts and ratios; nothing is kept."""
    height, width = image.shape[:2]
    x, y, w, h = face.box
    size = min(1.0, face.size / 80.0)
    if x < 1 or y < 1 or x + w > width - 1 or y + h > height - 1:
        size *= 0.3
    left, top = max(int(x), 0), max(int(y), 0)
    crop = image[top : int(y + h), left : int(x + w)]
    if crop.size == 0:
        return 0.0
    grey = cv2.cvtColor(
        cv2.resize(crop, (48, 48), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY
    )
    sharp = min(1.0, float(cv2.Laplacian(grey, cv2.CV_32F).var()) / 150.0)
    pipeline.wipe(grey)
    points = np.asarray(face.landmarks, dtype=np.float32)
    eyes = np.linalg.norm(points[1] - points[0])
    if eyes <= 1.0:
        return 0.0
    # The nose tip's offset from the eyes' midpoint, in eye distances: 0 when frontal.
    yaw = abs(float(points[2][0] - (points[0][0] + points[1][0]) / 2)) / float(eyes)
    frontal = max(0.0, 1.0 - 1.6 * yaw)
    return float(size * (0.4 + 0.6 * sharp) * frontal)


def _rescaled(face: Face, factor: float, *, shift: tuple[float, float] = (0.0, 0.0)) -> Face:
    x, y, w, h = face.box
    dx, dy = shift
    return Face(
        box=(x * factor + dx, y * factor + dy, w * factor, h * factor),
        landmarks=(np.asarray(face.landmarks, dtype=np.float32) * np.float32(factor))
        + np.array([dx, dy], dtype=np.float32),
        score=face.score,
    )


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
