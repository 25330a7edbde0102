"""Measure an engine's false match and false non-match rates on labelled photographs.

    python manage.py evaluate_matcher --faces ../shared/faces/deepface_celebs \
        [--faces OTHER_DIR ...] [--engine opencv-sface] [--threshold 0.4] [--plot det.png]

Each --faces directory holds one sub-directory per identity. Every image is
embedded once (the largest face in it; a tight crop is padded and tried again
when nothing is found); then every pair of images of the same identity is a
genuine comparison and every pair of different identities an impostor one.
Identities from different --faces directories are different people.

FMR(t): share of impostor pairs scoring >= t (a passer-by taken for a watchlist entry).
FNMR(t): share of genuine pairs scoring < t (a watchlisted person missed).
Images with no detected face are counted and left out of both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from django.core.management.base import BaseCommand, CommandError

from matcher.engines import ENGINE_NAMES, Engine, EngineError, create_engine

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".pgm", ".bmp", ".webp"}
DEFAULT_PAD = 0.5
SWEEP = np.round(np.arange(0.20, 0.7001, 0.025), 3)


@dataclass
class LabelledEmbeddings:
    embeddings: np.ndarray
    labels: np.ndarray
    identities: list[str]
    images: int = 0
    not_detected: list[str] = field(default_factory=list)
    padded: int = 0
    detect_seconds: float = 0.0
    embed_seconds: float = 0.0


@dataclass
class PairScores:
    genuine: np.ndarray
    impostor: np.ndarray


def identity_folders(roots: list[Path]) -> list[tuple[str, Path]]:
    folders = []
    for root in roots:
        if not root.is_dir():
            raise CommandError(f"{root} is not a directory.")
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            folders.append((f"{root.name}/{folder.name}", folder))
    if not folders:
        raise CommandError("No identity folders found; each --faces DIR needs one per person.")
    return folders


def image_files(folder: Path, limit: int | None) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return files[:limit] if limit else files


def pad_image(image: np.ndarray, fraction: float) -> np.ndarray:
    """A border of fraction x the image's size on each side: detectors need context."""
    height, width = image.shape[:2]
    top, side = int(height * fraction), int(width * fraction)
    return cv2.copyMakeBorder(image, top, top, side, side, cv2.BORDER_REPLICATE)


def largest_face(engine: Engine, image: np.ndarray):
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
    vectors, labels = [], []
    result = LabelledEmbeddings(
        embeddings=np.empty((0, engine.dim), np.float32),
        labels=np.empty(0, int),
        identities=[name for name, _ in folders],
    )
    for label, (name, folder) in enumerate(folders):
        for path in image_files(folder, per_identity):
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                raise CommandError(f"{path} is not a readable image.")
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
            vectors.append(engine.embed(image, face))
            result.embed_seconds += time.perf_counter() - started
            labels.append(label)
    if vectors:
        result.embeddings = np.stack(vectors).astype(np.float32)
        result.labels = np.asarray(labels)
    return result


def pair_scores(embeddings: np.ndarray, labels: np.ndarray) -> PairScores:
    """Every unordered pair once: upper triangle of the similarity matrix."""
    scores = embeddings @ embeddings.T
    upper = np.triu(np.ones(scores.shape, dtype=bool), k=1)
    same = labels[:, None] == labels[None, :]
    return PairScores(genuine=scores[upper & same], impostor=scores[upper & ~same])


def error_rates(pairs: PairScores, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    thresholds = np.asarray(thresholds, dtype=np.float64)[:, None]
    fmr = (
        (pairs.impostor[None, :] >= thresholds).mean(axis=1)
        if pairs.impostor.size
        else np.full(len(thresholds), np.nan)
    )
    fnmr = (
        (pairs.genuine[None, :] < thresholds).mean(axis=1)
        if pairs.genuine.size
        else np.full(len(thresholds), np.nan)
    )
    return fmr, fnmr


def equal_error(pairs: PairScores) -> tuple[float, float]:
    """(threshold, rate) where FMR and FNMR cross, on the observed scores."""
    candidates = np.unique(np.concatenate([pairs.genuine, pairs.impostor]))
    fmr, fnmr = error_rates(pairs, candidates)
    best = int(np.argmin(np.abs(fmr - fnmr)))
    return float(candidates[best]), float((fmr[best] + fnmr[best]) / 2)


def write_det_plot(pairs: PairScores, path: Path, *, title: str, marks: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only; the command never opens a window
    from matplotlib import pyplot as plt

    thresholds = np.linspace(-0.2, 1.0, 481)
    fmr, fnmr = error_rates(pairs, thresholds)
    # Zero rates cannot sit on log axes; half a pair is the resolution of the data.
    fmr_floor = 0.5 / max(pairs.impostor.size, 1)
    fnmr_floor = 0.5 / max(pairs.genuine.size, 1)
    figure, axes = plt.subplots(figsize=(6, 5), dpi=100)
    axes.plot(np.maximum(fmr, fmr_floor), np.maximum(fnmr, fnmr_floor), color="tab:blue")
    for (name, threshold), colour in zip(
        marks.items(), ["tab:red", "tab:orange", "tab:green"], strict=False
    ):
        point_fmr, point_fnmr = error_rates(pairs, np.array([threshold]))
        axes.plot(
            max(point_fmr[0], fmr_floor),
            max(point_fnmr[0], fnmr_floor),
            "o",
            color=colour,
            label=f"{name} {threshold:.3f}: FMR {point_fmr[0]:.4%}, FNMR {point_fnmr[0]:.2%}",
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("False match rate (impostor pairs)")
    axes.set_ylabel("False non-match rate (genuine pairs)")
    axes.set_title(title, fontsize=9)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)


class Command(BaseCommand):
    help = "Print an engine's false match and false non-match rates on labelled face folders."

    def add_arguments(self, parser):
        parser.add_argument(
            "--faces",
            action="append",
            required=True,
            type=Path,
            help="directory with one sub-directory per identity; repeat to combine sets",
        )
        parser.add_argument("--engine", default="opencv-sface", choices=ENGINE_NAMES)
        parser.add_argument(
            "--threshold", type=float, help="cosine threshold to report (default: engine's)"
        )
        parser.add_argument("--plot", type=Path, help="write a DET curve to this PNG file")
        parser.add_argument(
            "--pad",
            type=float,
            default=DEFAULT_PAD,
            help="border (fraction of image size) added when no face is found at first",
        )
        parser.add_argument("--per-identity", type=int, help="use at most N images per identity")
        parser.add_argument("--identities", type=int, help="use at most N identities")

    def handle(self, *args, **options):
        identity_folders(options["faces"])  # a wrong path fails before the models load
        try:
            engine = create_engine(options["engine"])
        except EngineError as error:
            raise CommandError(str(error)) from error
        threshold = (
            options["threshold"] if options["threshold"] is not None else engine.default_threshold
        )
        data = embed_labelled_faces(
            engine,
            options["faces"],
            pad=options["pad"],
            per_identity=options["per_identity"],
            identities=options["identities"],
        )
        pairs = pair_scores(data.embeddings, data.labels)
        out = self.stdout.write
        sets = ", ".join(str(path) for path in options["faces"])
        out(f"Engine {engine.name} ({engine.label}), faces from {sets}")
        out(
            f"Images {data.images} of {len(data.identities)} identities; "
            f"faces not detected {len(data.not_detected)}; found only after padding {data.padded}"
        )
        for name in data.not_detected:
            out(f"  not detected: {name}")
        embedded = len(data.embeddings)
        if embedded:
            out(
                f"Mean time per image: detect {1000 * data.detect_seconds / data.images:.1f} ms, "
                f"embed {1000 * data.embed_seconds / embedded:.1f} ms"
            )
        out(f"Pairs: genuine {pairs.genuine.size}, impostor {pairs.impostor.size}")
        if not pairs.genuine.size or not pairs.impostor.size:
            raise CommandError(
                "Need at least two images of one identity and two identities to measure rates."
            )
        marks = {"threshold": threshold}
        if engine.default_threshold != threshold:
            marks["engine default"] = engine.default_threshold
        marks["engine floor"] = engine.floor
        for name, value in marks.items():
            fmr, fnmr = error_rates(pairs, np.array([value]))
            out(
                f"At {name} {value:.3f}: "
                f"FMR {fmr[0]:.4%} ({int(round(fmr[0] * pairs.impostor.size))}"
                f"/{pairs.impostor.size}), "
                f"FNMR {fnmr[0]:.4%} ({int(round(fnmr[0] * pairs.genuine.size))}"
                f"/{pairs.genuine.size})"
            )
        eer_threshold, eer = equal_error(pairs)
        out(f"Equal error rate {eer:.2%} at {eer_threshold:.3f}")
        out(
            f"Highest impostor score {pairs.impostor.max():.3f}; "
            f"lowest genuine score {pairs.genuine.min():.3f}"
        )
        out("threshold      FMR     FNMR")
        fmrs, fnmrs = error_rates(pairs, SWEEP)
        for value, fmr, fnmr in zip(SWEEP, fmrs, fnmrs, strict=True):
            out(f"  {value:.3f}  {fmr:8.4%} {fnmr:8.4%}")
        if options["plot"]:
            write_det_plot(
                pairs,
                options["plot"],
                title=f"{engine.name} on {' + '.join(p.name for p in options['faces'])}",
                marks=marks,
            )
            out(f"DET plot written to {options['plot']}")
