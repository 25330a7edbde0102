"""The one interface every recognition engine offers the pipeline.

An engine finds faces (box, five landmarks, detector score) and turns one face
into an L2-normalised float32 vector, so that a dot product of two vectors is
their cosine similarity. Thresholds and floors are cosine similarities on that
engine's own scale; they do not carry over between engines.

Two kinds of vector: a reference vector, stored when a watchlist photograph is
enrolled (``embed_references``), and a probe vector, made live for each face a
camera sees (``embed``/``embed_many``). A score is always a reference vector times
a probe vector, never two probes or two references. An engine may spend more on
the reference side (it runs once per photograph, at enrolment) and keep the live
side cheap; by default the two are the same.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The 112x112 ArcFace template: right eye, left eye, nose tip, right and left
# mouth corners (the subject's right is on the image's left). SFace and ArcFace
# were both trained on faces warped onto these points.
ARCFACE_TEMPLATE_112 = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float32,
)


class EngineError(RuntimeError):
    """An engine cannot be built or used as configured; the message says how to fix it."""


class ModelIntegrityError(EngineError):
    """A model file is not the file whose digest the code pins."""


@dataclass(frozen=True, eq=False)
class Face:
    """One detected face in image coordinates.

    box is (x, y, width, height); landmarks is a (5, 2) float32 array in the
    ArcFace order above; score is the detector's confidence in [0, 1].
    """

    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    score: float

    @property
    def size(self) -> float:
        """The shorter side of the box, the figure that limits recognition quality."""
        return float(min(self.box[2], self.box[3]))

    @property
    def centre(self) -> tuple[float, float]:
        x, y, w, h = self.box
        return (x + w / 2.0, y + h / 2.0)


class Engine(ABC):
    """A face detector plus embedder.

    Instances hold native inference sessions that are neither fork-safe nor
    meant to be shared between threads: build one per worker process (see
    ``get_engine``), after the fork, and call it from one thread.
    """

    name: str
    label: str
    dim: int
    # Cosine similarities. The default is the calibrated operating point; the
    # floor is the lowest threshold governance accepts without an override.
    default_threshold: float
    floor: float
    # Raised whenever the same models turn a face into a different vector (another
    # alignment, an average over views). Enrolment records embedding_name with each
    # embedding, and the matcher compares only embeddings of the running version. Both
    # describe the stored reference vectors.
    embedding_version: int = 1
    # How embed_references differs from embed_many, in a few words, for the method text
    # of a calibration; None where the engine makes both vectors the same way.
    reference_view: str | None = None

    @property
    def embedding_name(self) -> str:
        """The engine name an enrolled embedding records: "name", or "name@N" from
        version 2 on (embeddings stored before versions existed are version 1)."""
        if self.embedding_version == 1:
            return self.name
        return f"{self.name}@{self.embedding_version}"

    @abstractmethod
    def detect(self, image_bgr: np.ndarray) -> list[Face]:
        """Every face in a BGR uint8 image, highest score first."""

    @abstractmethod
    def embed(self, image_bgr: np.ndarray, face: Face) -> np.ndarray:
        """The (dim,) float32 unit probe vector of one face of the image."""

    def embed_many(self, image_bgr: np.ndarray, faces: list[Face]) -> np.ndarray:
        """An (n, dim) float32 matrix of probe vectors, one unit row per face; engines
        may batch. This is what runs on every live camera face."""
        if not faces:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.stack([self.embed(image_bgr, face) for face in faces]).astype(
            np.float32, copy=False
        )

    def embed_references(self, image_bgr: np.ndarray, faces: list[Face]) -> np.ndarray:
        """An (n, dim) float32 matrix of reference vectors: what enrolment stores for a
        watchlist photograph, to be scored against live probe vectors. The probe vectors
        unless the engine spends more here (see reference_view)."""
        return self.embed_many(image_bgr, faces)

    @property
    def references_differ(self) -> bool:
        """Whether reference vectors are made differently from probe vectors."""
        return self.reference_view is not None


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32; an all-zero row stays zero."""
    matrix = np.asarray(vectors, dtype=np.float32)
    single = matrix.ndim == 1
    matrix = np.atleast_2d(matrix)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    normalised = matrix / np.where(norms > 0, norms, 1.0)
    return normalised[0] if single else normalised


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 least-squares similarity (rotation, uniform scale, shift) taking src onto dst.

    Umeyama's method, as OpenCV's FaceRecognizerSF.alignCrop and InsightFace's
    norm_crop use, so all five points count equally (no RANSAC outlier dropping).
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    src_mean = src.mean(axis=0)
    dst_mean = dst.mean(axis=0)
    src_c = src - src_mean
    dst_c = dst - dst_mean
    covariance = dst_c.T @ src_c / len(src)
    u, s, vt = np.linalg.svd(covariance)
    d = np.ones(2)
    if np.linalg.det(covariance) < 0:
        d[1] = -1.0
    rotation = u @ np.diag(d) @ vt
    src_var = (src_c**2).sum() / len(src)
    scale = (s * d).sum() / src_var if src_var > 0 else 1.0
    shift = dst_mean - scale * rotation @ src_mean
    return np.hstack([scale * rotation, shift[:, None]])


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str) -> None:
    """Refuse a model file that is missing or differs from the pinned digest."""
    if not Path(path).is_file():
        raise ModelIntegrityError(f"Model file {path} is missing.")
    actual = sha256_of(path)
    if actual != expected:
        raise ModelIntegrityError(
            f"Model file {path} has SHA-256 {actual}, expected {expected}; "
            "refusing to load a model that is not the one calibrated. Reinstall the package "
            "that ships it."
        )
