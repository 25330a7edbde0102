"""Follow faces from frame to frame so each person is embedded a few times, not every frame.

A track is a box and a few counters, held in the worker's memory only; it has
no identity and nothing about it is stored. The tracker decides when a face is
worth embedding (first usable sight, then every `reembed_every` frames or when
the face has grown, up to `max_embeddings`), and turns a stream of per-frame
matches into one alert per track.

Association is greedy on intersection over union, with a fallback on centre
distance for low frame rates where a walking face moves further than its own
width between frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.engines.base import Face


@dataclass
class Track:
    track_id: int
    box: tuple[float, float, float, float]
    first_frame: int
    last_frame: int
    embeddings_taken: int = 0
    last_embedded_frame: int | None = None
    last_embedded_size: float = 0.0
    alerted: bool = False


@dataclass(frozen=True, eq=False)
class TrackedFace:
    face: Face
    track: Track
    embed: bool


class FaceTracker:
    def __init__(
        self,
        *,
        iou_threshold: float = 0.3,
        max_centre_shift: float = 1.5,
        max_size_change: float = 1.6,
        max_missed_frames: int = 5,
        reembed_every: int = 10,
        growth_to_reembed: float = 1.3,
        max_embeddings: int = 5,
        min_embed_size: float = 24.0,
    ):
        self.iou_threshold = iou_threshold
        # In face widths: how far a face may move between two sightings.
        self.max_centre_shift = max_centre_shift
        self.max_size_change = max_size_change
        self.max_missed_frames = max_missed_frames
        self.reembed_every = reembed_every
        self.growth_to_reembed = growth_to_reembed
        self.max_embeddings = max_embeddings
        self.min_embed_size = min_embed_size
        self._tracks: dict[int, Track] = {}
        self._next_id = 1

    @property
    def active_tracks(self) -> list[Track]:
        return list(self._tracks.values())

    def update(self, frame_index: int, faces: list[Face]) -> list[TrackedFace]:
        """Assign this frame's faces to tracks and say which to embed."""
        self._drop_stale(frame_index)
        assignment = self._associate(faces)
        result = []
        for face_index, face in enumerate(faces):
            track = assignment.get(face_index)
            if track is None:
                track = Track(
                    track_id=self._next_id,
                    box=face.box,
                    first_frame=frame_index,
                    last_frame=frame_index,
                )
                self._tracks[track.track_id] = track
                self._next_id += 1
            track.box = face.box
            track.last_frame = frame_index
            embed = self._should_embed(track, face, frame_index)
            if embed:
                track.embeddings_taken += 1
                track.last_embedded_frame = frame_index
                track.last_embedded_size = face.size
            result.append(TrackedFace(face=face, track=track, embed=embed))
        return result

    def record_match(self, track: Track) -> bool:
        """True the first time a track matches: raise an alert then, and only then."""
        if track.alerted:
            return False
        track.alerted = True
        return True

    def _should_embed(self, track: Track, face: Face, frame_index: int) -> bool:
        # A matched track has raised its alert; more vectors of it would add nothing.
        if track.alerted or face.size < self.min_embed_size:
            return False
        if track.embeddings_taken >= self.max_embeddings:
            return False
        if track.last_embedded_frame is None:
            return True
        if frame_index - track.last_embedded_frame >= self.reembed_every:
            return True
        return face.size >= track.last_embedded_size * self.growth_to_reembed

    def _drop_stale(self, frame_index: int) -> None:
        for track_id in [
            tid
            for tid, track in self._tracks.items()
            if frame_index - track.last_frame > self.max_missed_frames
        ]:
            del self._tracks[track_id]

    def _associate(self, faces: list[Face]) -> dict[int, Track]:
        tracks = list(self._tracks.values())
        if not faces or not tracks:
            return {}
        pairs = associate(
            np.array([face.box for face in faces], dtype=np.float64),
            np.array([track.box for track in tracks], dtype=np.float64),
            iou_threshold=self.iou_threshold,
            max_centre_shift=self.max_centre_shift,
            max_size_change=self.max_size_change,
        )
        return {face_index: tracks[track_index] for face_index, track_index in pairs.items()}


def associate(
    boxes: np.ndarray,
    track_boxes: np.ndarray,
    *,
    iou_threshold: float = 0.3,
    max_centre_shift: float = 1.5,
    max_size_change: float = 1.6,
) -> dict[int, int]:
    """Greedy assignment of (x, y, w, h) boxes to track boxes: {box index: track index}.

    Pairs that overlap by iou_threshold come first, best first; then plausible
    continuations by centre distance (at most max_centre_shift face widths away, and
    within max_size_change of the track's size), nearest first.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    track_boxes = np.asarray(track_boxes, dtype=np.float64).reshape(-1, 4)
    if not len(boxes) or not len(track_boxes):
        return {}
    overlap = iou_matrix(boxes, track_boxes)
    closeness = _closeness(boxes, track_boxes, max_centre_shift, max_size_change)
    # IoU pairs first (any IoU beats any centre-distance fallback), best first.
    cost = np.where(overlap >= iou_threshold, 1.0 + overlap, closeness)
    assignment: dict[int, int] = {}
    used_tracks: set[int] = set()
    for flat in np.argsort(-cost, axis=None, kind="stable"):
        face_index, track_index = divmod(int(flat), len(track_boxes))
        if cost[face_index, track_index] <= 0:
            break
        if face_index in assignment or track_index in used_tracks:
            continue
        assignment[face_index] = track_index
        used_tracks.add(track_index)
    return assignment


def _closeness(
    boxes: np.ndarray, track_boxes: np.ndarray, max_centre_shift: float, max_size_change: float
) -> np.ndarray:
    """In (0, 1] for plausible continuations by centre distance and size, else 0."""
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    track_centres = track_boxes[:, :2] + track_boxes[:, 2:] / 2
    distance = np.linalg.norm(centres[:, None, :] - track_centres[None, :, :], axis=2)
    width = np.maximum(boxes[:, None, 2], track_boxes[None, :, 2])
    shift = distance / np.maximum(width, 1.0)
    ratio = boxes[:, None, 2] / np.maximum(track_boxes[None, :, 2], 1.0)
    plausible = (
        (shift <= max_centre_shift) & (ratio <= max_size_change) & (ratio >= 1 / max_size_change)
    )
    return np.where(plausible, 1.0 - shift / (max_centre_shift + 1e-9) * 0.999, 0.0)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every (x, y, w, h) box in a with every one in b."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    left = np.maximum(a[:, None, 0], b[None, :, 0])
    top = np.maximum(a[:, None, 1], b[None, :, 1])
    right = np.minimum(a[:, None, 0] + a[:, None, 2], b[None, :, 0] + b[None, :, 2])
    bottom = np.minimum(a[:, None, 1] + a[:, None, 3], b[None, :, 1] + b[None, :, 3])
    intersection = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    union = (a[:, None, 2] * a[:, None, 3]) + (b[None, :, 2] * b[None, :, 3]) - intersection
    return np.where(union > 0, intersection / np.where(union > 0, union, 1.0), 0.0)
