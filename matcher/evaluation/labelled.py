"""Labelled photographs: one folder per identity, each image embedded once."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from matcher.engines import Engine
from matcher.engines.base import Face, sha256_of
from matcher.evaluation import EvaluationError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".pgm", ".bmp", ".webp"}


DEFAULT_PAD = 0.5


@dataclass
class LabelledEmbeddings:
    """One row per embedded image. embeddings are probe vectors (as a live camera face
    gets), references the reference vectors enrolment would store for the same image:
    the very same array when the engine makes both alike (see references_differ)."""

    embeddings: np.ndarray
    labels: np.ndarray
    identities: list[str]
    images: int = 0
    not_detected: list[str] = field(default_factory=list)
    padded: int = 0
    detect_seconds: float = 0.0
    embed_seconds: float = 0.0
    reference_seconds: float = 0.0
    references: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.references is None:
            self.references = self.embeddings

    @property
    def reference_vectors(self) -> np.ndarray:
        """references, typed as set (__post_init__ fills it)."""
        assert self.references is not None
        return self.references

    @property
    def references_differ(self) -> bool:
        return self.references is not self.embeddings


def identity_folders(roots: list[Path]) -> list[tuple[str, Path]]:
    folders = []
    for root in roots:
        if not root.is_dir():
            raise EvaluationError(f"{root} is not a directory.")
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            folders.append((f"{root.name}/{folder.name}", folder))
    if not folders:
        raise EvaluationError("No identity folders found; each --faces DIR needs one per person.")
    return folders


def image_files(folder: Path, limit: int | None) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return files[:limit] if limit else files


def pad_image(image: np.ndarray, fraction: float) -> np.ndarray:
    """A border of fraction x the image's size on each side: detectors need context."""
    height, width = image.shape[:2]
    top, side = int(height * fraction), int(width * fraction)
    return cv2.copyMakeBorder(image, top, top, side, side, cv2.BORDER_REPLICATE)


def largest_face(engine: Engine, image: np.ndarray) -> Face | None:
    faces = engine.detect(image)
    return max(faces, key=lambda face: face.box[2] * face.box[3]) if faces else None


def embed_labelled_faces(
    engine: Engine,
    roots: list[Path],
    *,
    pad: float = DEFAULT_PAD,
    per_identity: int | None = None,
    identities: int | None = None,
) -> LabelledEmbeddings:
    folders = identity_folders(roots)[:identities] if identities else identity_folders(roots)
    vectors, reference_vectors, labels = [], [], []
    differ = engine.references_differ
    result = LabelledEmbeddings(
        embeddings=np.empty((0, engine.dim), np.float32),
        labels=np.empty(0, int),
        identities=[name for name, _ in folders],
    )
    for label, (name, folder) in enumerate(folders):
        for path in image_files(folder, per_identity):
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                raise EvaluationError(f"{path} is not a readable image.")
            result.images += 1
            started = time.perf_counter()
            face = largest_face(engine, image)
            if face is None and pad > 0:
                image = pad_image(image, pad)
                face = largest_face(engine, image)
                result.padded += face is not None
            result.detect_seconds += time.perf_counter() - started
            if face is None:
                result.not_detected.append(f"{name}/{path.name}")
                continue
            started = time.perf_counter()
            vectors.append(engine.embed_many(image, [face])[0])
            result.embed_seconds += time.perf_counter() - started
            if differ:
                started = time.perf_counter()
                reference_vectors.append(engine.embed_references(image, [face])[0])
                result.reference_seconds += time.perf_counter() - started
            labels.append(label)
    if vectors:
        result.embeddings = np.stack(vectors).astype(np.float32)
        result.labels = np.asarray(labels)
    # Computed once where the engine makes both alike: then they are one array.
    result.references = (
        np.stack(reference_vectors).astype(np.float32)
        if differ and reference_vectors
        else result.embeddings
    )
    return result


def subset(data: LabelledEmbeddings, keep: np.ndarray) -> LabelledEmbeddings:
    """The images whose rows are set in keep; labels keep their identity numbers."""
    embeddings = data.embeddings[keep]
    return LabelledEmbeddings(
        embeddings=embeddings,
        labels=data.labels[keep],
        identities=data.identities,
        references=data.reference_vectors[keep] if data.references_differ else embeddings,
    )


def identity_sets(data: LabelledEmbeddings) -> np.ndarray:
    """Per image, the name of the --faces set its identity came from."""
    names = np.array([name.split("/", 1)[0] for name in data.identities])
    return names[data.labels]


def model_file_hashes(engine: Engine) -> dict[str, str]:
    """SHA-256 of the model files the engine runs: the pinned digests, which the engine
    verified on loading, or, for an operator-supplied pack, the loaded files' digests."""
    pinned = getattr(sys.modules.get(type(engine).__module__), "MODEL_SHA256", None)
    if pinned:
        return dict(pinned)
    directory = getattr(engine, "model_dir", None)
    detector = getattr(engine, "detector_file", None)
    recogniser = getattr(engine, "recogniser_file", None)
    if directory and detector and recogniser:
        return {name: sha256_of(Path(directory) / name) for name in (detector, recogniser)}
    raise EvaluationError(f"Cannot tell which model files the {engine.name} engine loaded.")
