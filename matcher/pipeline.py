"""Detect, embed, compare: pure functions over arrays.

Nothing here touches the ORM, a file, the network or a logger, so a face that
does not match can only live in the caller's local variables. `match` returns
indices of matching faces only; everything it computed about the others is
overwritten before it returns.
"""

from __future__ import annotations

from typing import NamedTuple

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
