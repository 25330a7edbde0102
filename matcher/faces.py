"""Detect, embed, compare, wipe, crop: pure functions over arrays.

Nothing here touches the ORM, a file, the network or a logger, so a face that
does not match can only live in the caller's local variables. `match` returns
indices of matching faces only; everything it computed about the others is
overwritten before it returns.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from matcher.engines.base import Engine, Face

# A face box narrower than this (pixels) is upscaled ~5x into the 112x112
# aligned crop and its vector is mostly noise; such faces are skipped.
MIN_FACE_SIZE = 24


class Match(NamedTuple):
    face_index: int
    entry_index: int
    score: float


def detect_faces(engine: Engine, frame: np.ndarray, *, min_size: float = 0) -> list[Face]:
    return [face for face in engine.detect(frame) if face.size >= min_size]


def embed_faces(engine: Engine, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
    """An (n, engine.dim) float32 matrix of unit rows, in the order of faces."""
    return engine.embed_many(frame, faces)


def detect_and_embed(
    engine: Engine, frame: np.ndarray, *, min_size: float = MIN_FACE_SIZE
) -> tuple[list[Face], np.ndarray]:
    """Every face of the frame at least min_size pixels across, and its vector."""
    faces = detect_faces(engine, frame, min_size=min_size)
    return faces, embed_faces(engine, frame, faces)


def match(embeddings: np.ndarray, watchlist_matrix: np.ndarray, threshold: float) -> list[Match]:
    """Each face's best watchlist entry, for the faces whose best score reaches threshold.

    embeddings is (n, d) and watchlist_matrix (m, d), both float32 with unit
    rows, so one matrix product gives every cosine similarity at once.
    """
    embeddings = _as_matrix(embeddings, "embeddings")
    watchlist_matrix = _as_matrix(watchlist_matrix, "watchlist_matrix")
    if embeddings.shape[1] != watchlist_matrix.shape[1]:
        raise ValueError(
            f"embeddings have {embeddings.shape[1]} dimensions, "
            f"the watchlist {watchlist_matrix.shape[1]}: they come from different engines."
        )
    if not len(embeddings) or not len(watchlist_matrix):
        return []
    scores = embeddings @ watchlist_matrix.T
    best_entries = np.argmax(scores, axis=1)
    best_scores = scores[np.arange(len(scores)), best_entries]
    matched = np.flatnonzero(best_scores >= threshold)
    result = [
        Match(int(face), int(best_entries[face]), float(best_scores[face])) for face in matched
    ]
    # The score rows of non-matching faces say how close each passer-by came to
    # each entry; they leave no trace once this returns.
    wipe(scores, best_scores, best_entries)
    return result


def wipe(*arrays: np.ndarray) -> None:
    """Overwrite arrays in place, so discarded biometric data is gone, not just unreferenced."""
    for array in arrays:
        if isinstance(array, np.ndarray) and array.flags.writeable:
            array.fill(0)


def crop_face(frame: np.ndarray, face: Face, *, margin: float = 0.4) -> np.ndarray:
    """A copy of the face with a margin, clipped to the frame: the image an alert keeps."""
    x, y, w, h = face.box
    pad_x, pad_y = w * margin, h * margin
    height, width = frame.shape[:2]
    left, top = max(int(x - pad_x), 0), max(int(y - pad_y), 0)
    right, bottom = min(int(x + w + pad_x), width), min(int(y + h + pad_y), height)
    return frame[top:bottom, left:right].copy()


def _as_matrix(array: np.ndarray, name: str) -> np.ndarray:
    matrix = np.asarray(array)
    if matrix.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (rows, dimensions) array, not {matrix.shape}.")
    if matrix.dtype != np.float32:
        raise ValueError(f"{name} must be float32, not {matrix.dtype}.")
    return matrix


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
    wipe(grey)
    points = np.asarray(face.landmarks, dtype=np.float32)
    eyes = np.linalg.norm(points[1] - points[0])
    if eyes <= 1.0:
        return 0.0
    # The nose tip's offset from the eyes' midpoint, in eye distances: 0 when frontal.
    yaw = abs(float(points[2][0] - (points[0][0] + points[1][0]) / 2)) / float(eyes)
    frontal = max(0.0, 1.0 - 1.6 * yaw)
    return float(size * (0.4 + 0.6 * sharp) * frontal)


def rescaled(face: Face, factor: float, *, shift: tuple[float, float] = (0.0, 0.0)) -> Face:
    """The face as it lies in an image scaled by factor and shifted by shift."""
    x, y, w, h = face.box
    dx, dy = shift
    return Face(
        box=(x * factor + dx, y * factor + dy, w * factor, h * factor),
        landmarks=(np.asarray(face.landmarks, dtype=np.float32) * np.float32(factor))
        + np.array([dx, dy], dtype=np.float32),
        score=face.score,
    )
