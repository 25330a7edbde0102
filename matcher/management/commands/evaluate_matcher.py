"""Measure an engine's false match and false non-match rates on labelled photographs.

    python manage.py evaluate_matcher [--faces matcher/sample_faces/att_faces] \
        [--faces OTHER_DIR ...] [--engine opencv-sface] [--threshold 0.4] [--plot det.png]
        [--groups groups.csv] [--report report.html] [--record "data set description"]
        [--target-fmr 0.0001 [--cross-check]] [--references 3]

Without --faces it measures every known set: the bundled AT&T set and the extra sets
named by LFR_FACE_SETS_EXTRA (matcher/face_sets.py).

Each --faces directory holds one sub-directory per identity. Every image is
embedded once (the largest face in it; a tight crop is padded and tried again
when nothing is found); then every pair of images of the same identity is a
genuine comparison and every pair of different identities an impostor one.
Identities from different --faces directories are different people.

FMR(t): share of impostor pairs scoring >= t (a passer-by taken for a watchlist entry).
FNMR(t): share of genuine pairs scoring < t (a watchlisted person missed).
Images with no detected face are counted and left out of both.

--target-fmr F chooses the threshold: the lowest on a 0.001 grid whose one-sided 95%
Clopper-Pearson upper bound on FMR, over every impostor pair of all the sets pooled, is at
most F. --cross-check then leaves each set out in turn, chooses on the others and counts
errors on the held-out set alone. --references K adds per-search figures: each identity
enrolled with K photographs, a probe scored by its best match among an identity's K.

--record stores the run as the engine's calibration (CalibrationRecord: rates at
every 0.005 step, the model files' SHA-256, who ran it), which approval and the
expected false alerts read. --groups reads a CSV whose first column names an
identity folder ("name" or "set/name") and whose other columns are attributes
(e.g. sex, skin_tone): rates per group with 95% intervals, and a group whose false
match rate differs from the others' flagged by Fisher's exact test with a
Bonferroni correction. --report writes all of it as one self-contained HTML file
with DET curves per group.
"""

from __future__ import annotations

import csv
import getpass
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lfr_portal.stats import Proportion, percent, proportion
from matcher import accuracy_report
from matcher.engines import ENGINE_NAMES, Engine, EngineError, create_engine
from matcher.engines.base import sha256_of
from matcher.face_sets import all_sets

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".pgm", ".bmp", ".webp"}
DEFAULT_PAD = 0.5
SWEEP = np.round(np.arange(0.20, 0.7001, 0.025), 3)
# A recorded calibration is read at the next lower recorded threshold, so a fine
# step keeps that reading close to the truth.
RECORD_SWEEP = np.round(np.arange(0.0, 1.0001, 0.005), 3)


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
    # By sorting, not a candidates x pairs matrix: on 100,000 pairs that would be 10^10 cells.
    fmr, fnmr = accuracy_report.det_points(pairs.genuine, pairs.impostor, candidates)
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


def rate_counts(pairs: PairScores, thresholds) -> list[dict]:
    """Per threshold, the error counts behind FMR and FNMR (what a calibration record keeps)."""
    impostor = np.sort(pairs.impostor.astype(np.float64))
    genuine = np.sort(pairs.genuine.astype(np.float64))
    rows = []
    for value in thresholds:
        # float32 scores against a decimal threshold: compare as error_rates does.
        false_matches = int(impostor.size - np.searchsorted(impostor, value, side="left"))
        false_non_matches = int(np.searchsorted(genuine, value, side="left"))
        rows.append(
            {
                "threshold": f"{value:.3f}",
                "fmr": false_matches / impostor.size,
                "false_matches": false_matches,
                "fnmr": false_non_matches / genuine.size,
                "false_non_matches": false_non_matches,
            }
        )
    return rows


CONFIDENCE = 0.95
# Thresholds are stated to three decimals everywhere (profiles, deployments, records).
CALIBRATION_STEP = 0.001
CALIBRATION_GRID = np.round(np.arange(-1.0, 1.0 + CALIBRATION_STEP / 2, CALIBRATION_STEP), 3)


def fmr_upper_bound(false_matches: int, impostor_pairs: int, confidence: float = CONFIDENCE):
    """One-sided Clopper-Pearson upper bound on the false match rate.

    Exact (beta quantile) rather than Wilson: at the handful of false matches an
    operating point allows, the normal approximations understate the bound.
    """
    from scipy.stats import beta

    if impostor_pairs <= 0:
        return 1.0
    if false_matches >= impostor_pairs:
        return 1.0
    return float(beta.ppf(confidence, false_matches + 1, impostor_pairs - false_matches))


@dataclass
class Calibration:
    """The threshold chosen for a target FMR, and the evidence for it."""

    target_fmr: float
    confidence: float
    threshold: float
    false_matches: int
    impostor_pairs: int
    bound: float
    # False when no threshold on the grid brings the bound under the target: too few
    # impostor pairs. The threshold is then the lowest with no false match at all.
    reached: bool

    def describe(self) -> str:
        verdict = "" if self.reached else " (target NOT reached: too few impostor pairs)"
        return (
            f"{self.threshold:.3f}: {self.false_matches:,} of {self.impostor_pairs:,} impostor "
            f"pairs at or above it, {self.confidence:.0%} upper bound on FMR "
            f"{self.bound:.3g} against target {self.target_fmr:g}{verdict}"
        )


def calibrate_threshold(
    impostor: np.ndarray, target_fmr: float, confidence: float = CONFIDENCE
) -> Calibration:
    """The lowest threshold on the 0.001 grid whose upper confidence bound on the
    impostor pairs' false match rate is at or below target_fmr."""
    scores = np.sort(np.asarray(impostor, dtype=np.float64))
    total = int(scores.size)
    if not total:
        raise CommandError("Need impostor pairs to choose a threshold.")
    # The bound rises with the count, so find the most false matches the target allows.
    allowed = -1
    while allowed < total and fmr_upper_bound(allowed + 1, total, confidence) <= target_fmr:
        allowed += 1
    counts = total - np.searchsorted(scores, CALIBRATION_GRID, side="left")
    reached = allowed >= 0
    index = int(np.argmax(counts <= max(allowed, 0)))
    count = int(counts[index])
    return Calibration(
        target_fmr=target_fmr,
        confidence=confidence,
        threshold=float(CALIBRATION_GRID[index]),
        false_matches=count,
        impostor_pairs=total,
        bound=fmr_upper_bound(count, total, confidence),
        reached=reached,
    )


def subset(data: LabelledEmbeddings, keep: np.ndarray) -> LabelledEmbeddings:
    """The images whose rows are set in keep; labels keep their identity numbers."""
    return LabelledEmbeddings(
        embeddings=data.embeddings[keep], labels=data.labels[keep], identities=data.identities
    )


def identity_sets(data: LabelledEmbeddings) -> np.ndarray:
    """Per image, the name of the --faces set its identity came from."""
    names = np.array([name.split("/", 1)[0] for name in data.identities])
    return names[data.labels]


@dataclass
class SearchScores:
    """Best-of-K figures: per probe, the best score over each enrolled identity's K
    references. genuine holds one score per probe of an enrolled identity; impostor
    one per (probe, other enrolled identity)."""

    genuine: np.ndarray
    impostor: np.ndarray
    references: int
    enrolled: int
    probes: int


def search_scores(data: LabelledEmbeddings, references: int) -> SearchScores:
    """Each identity with more than K images is enrolled with its first K; every other
    image is a probe, searched against every enrolled identity."""
    if references < 1:
        raise CommandError("--references needs at least 1.")
    enrolled_refs: list[np.ndarray] = []
    enrolled_labels: list[int] = []
    is_reference = np.zeros(len(data.labels), dtype=bool)
    for label in np.unique(data.labels):
        rows = np.flatnonzero(data.labels == label)
        if rows.size > references:
            is_reference[rows[:references]] = True
            enrolled_refs.append(rows[:references])
            enrolled_labels.append(int(label))
    probes = np.flatnonzero(~is_reference)
    if not enrolled_labels or not probes.size:
        return SearchScores(np.empty(0), np.empty(0), references, 0, 0)
    similarity = data.embeddings[probes] @ data.embeddings.T
    # (probes, enrolled identities): the best over each identity's references.
    best = np.stack([similarity[:, rows].max(axis=1) for rows in enrolled_refs], axis=1)
    same = data.labels[probes][:, None] == np.asarray(enrolled_labels)[None, :]
    return SearchScores(
        genuine=best[same].astype(np.float64),
        impostor=best[~same].astype(np.float64),
        references=references,
        enrolled=len(enrolled_labels),
        probes=int(probes.size),
    )


@dataclass
class HeldOutResult:
    """One fold of the leave-one-set-out check."""

    held_out: str
    calibrated_on: list[str]
    calibration: Calibration
    fmr: Proportion
    fnmr: Proportion
    search_fmr: Proportion | None = None
    search_fnmr: Proportion | None = None

    def as_dict(self) -> dict:
        result = {
            "held_out": self.held_out,
            "calibrated_on": self.calibrated_on,
            "threshold": f"{self.calibration.threshold:.3f}",
            "target_reached": self.calibration.reached,
            "calibration_bound": self.calibration.bound,
            "false_matches": self.fmr.count,
            "impostor_pairs": self.fmr.total,
            "fmr_ci": [self.fmr.low, self.fmr.high],
            "false_non_matches": self.fnmr.count,
            "genuine_pairs": self.fnmr.total,
            "fnmr_ci": [self.fnmr.low, self.fnmr.high],
        }
        if self.search_fmr is not None and self.search_fnmr is not None:
            result |= {
                "search_false_matches": self.search_fmr.count,
                "search_comparisons": self.search_fmr.total,
                "search_misses": self.search_fnmr.count,
                "searches": self.search_fnmr.total,
            }
        return result


def counted(scores: np.ndarray, threshold: float, *, at_or_above: bool) -> Proportion:
    values = np.asarray(scores, dtype=np.float64)
    hits = values >= threshold if at_or_above else values < threshold
    return proportion(int(np.count_nonzero(hits)), int(values.size))


def cross_check(
    data: LabelledEmbeddings,
    target_fmr: float,
    *,
    references: int | None = None,
    confidence: float = CONFIDENCE,
) -> list[HeldOutResult]:
    """Leave one set out: calibrate on the others pooled (pairs across them included),
    then count errors on the held-out set alone at the threshold chosen."""
    sets = identity_sets(data)
    names = list(dict.fromkeys(sets.tolist()))
    if len(names) < 2:
        raise CommandError("--cross-check needs at least two --faces sets.")
    results = []
    for held_out in names:
        inside = sets == held_out
        calibration = calibrate_threshold(
            pair_scores(data.embeddings[~inside], data.labels[~inside]).impostor,
            target_fmr,
            confidence,
        )
        test = subset(data, inside)
        pairs = pair_scores(test.embeddings, test.labels)
        result = HeldOutResult(
            held_out=held_out,
            calibrated_on=[name for name in names if name != held_out],
            calibration=calibration,
            fmr=counted(pairs.impostor, calibration.threshold, at_or_above=True),
            fnmr=counted(pairs.genuine, calibration.threshold, at_or_above=False),
        )
        if references:
            search = search_scores(test, references)
            result.search_fmr = counted(search.impostor, calibration.threshold, at_or_above=True)
            result.search_fnmr = counted(search.genuine, calibration.threshold, at_or_above=False)
        results.append(result)
    return results


def pooled(results: list[HeldOutResult]) -> tuple[Proportion, Proportion]:
    """Held-out errors summed over the folds: every set counted once, as unseen."""
    fmr = proportion(sum(r.fmr.count for r in results), sum(r.fmr.total for r in results))
    fnmr = proportion(sum(r.fnmr.count for r in results), sum(r.fnmr.total for r in results))
    return fmr, fnmr


def _rate(p: Proportion) -> str:
    if not p.total:
        return "n/a"
    return f"{percent(p.rate)} ({p.count:,}/{p.total:,}; 95% CI {percent(p.low)}-{percent(p.high)})"


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
    raise CommandError(f"Cannot tell which model files the {engine.name} engine loaded.")


def read_groups(path: Path, identities: list[str]) -> tuple[dict[str, dict[int, str]], list[str]]:
    """{attribute: {identity index: value}} from the CSV, and the names it gave that are
    not among the identities measured. The first column names an identity folder, as
    "name" or "set/name"; a header row names the attributes."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            table = [row for row in csv.reader(stream) if any(cell.strip() for cell in row)]
    except OSError as error:
        raise CommandError(f"Cannot read the groups file {path}: {error}") from error
    if not table or len(table[0]) < 2:
        raise CommandError(
            f"{path} needs a header row: the identity column, then one column per attribute."
        )
    attributes = [name.strip() for name in table[0][1:]]
    if not all(attributes) or len(set(attributes)) != len(attributes):
        raise CommandError(f"{path}: every attribute column needs its own name in the header.")
    by_name = {name: index for index, name in enumerate(identities)}
    by_folder: dict[str, list[int]] = {}
    for index, name in enumerate(identities):
        by_folder.setdefault(name.split("/", 1)[-1], []).append(index)
    groups: dict[str, dict[int, str]] = {attribute: {} for attribute in attributes}
    unknown = []
    for line, row in enumerate(table[1:], start=2):
        key = row[0].strip()
        if key in by_name:
            index = by_name[key]
        elif len(by_folder.get(key, [])) == 1:
            index = by_folder[key][0]
        elif by_folder.get(key):
            raise CommandError(
                f"{path} line {line}: '{key}' is a folder in more than one set; write set/name."
            )
        else:
            unknown.append(key)
            continue
        for attribute, cell in zip(attributes, row[1:], strict=False):
            if cell.strip():
                groups[attribute][index] = cell.strip()
    return groups, unknown


@dataclass
class GroupAnalysis:
    rows: list[accuracy_report.GroupRow]
    curves: dict[str, list[accuracy_report.Curve]]
    unmatched: dict[str, list[str]]
    tests: int
    alpha: float


def analyse_groups(
    data: LabelledEmbeddings, groups: dict[str, dict[int, str]], threshold: float
) -> GroupAnalysis:
    """Per attribute value: FNMR on its genuine pairs, FMR on impostor pairs within the
    group, compared with the impostor pairs within the attribute's other groups."""
    from scipy.stats import fisher_exact

    first, second = np.triu_indices(len(data.labels), k=1)
    # As float64, so the comparison with the threshold is the one error_rates makes.
    scores = (data.embeddings @ data.embeddings.T)[first, second].astype(np.float64)
    label_a, label_b = data.labels[first], data.labels[second]
    genuine = label_a == label_b
    passes = scores >= threshold
    rows: list = []
    curves: dict = {}
    unmatched: dict = {}
    for attribute, values_by_identity in groups.items():
        values = sorted(set(values_by_identity.values()))
        code_of = {value: code for code, value in enumerate(values)}
        # Each identity's group as a number; -1 where the file gives it none.
        codes = np.array(
            [
                -1 if (value := values_by_identity.get(k)) is None else code_of[value]
                for k in range(len(data.identities))
            ]
        )
        code_a, code_b = codes[label_a], codes[label_b]
        same_group = (code_a == code_b) & (code_a >= 0)
        unmatched[attribute] = [
            name for k, name in enumerate(data.identities) if k not in values_by_identity
        ]
        curves[attribute] = []
        for value, code in code_of.items():
            in_group = same_group & (code_a == code)
            impostor = in_group & ~genuine
            matched = in_group & genuine
            rest = same_group & (code_a != code) & ~genuine
            false_matches = int(np.count_nonzero(impostor & passes))
            rest_false_matches = int(np.count_nonzero(rest & passes))
            n_impostor, n_rest = int(np.count_nonzero(impostor)), int(np.count_nonzero(rest))
            p_value = None
            if n_impostor and n_rest:
                table = [
                    [false_matches, n_impostor - false_matches],
                    [rest_false_matches, n_rest - rest_false_matches],
                ]
                p_value = float(fisher_exact(table).pvalue)
            members = [k for k, c in enumerate(codes) if c == code]
            rows.append(
                accuracy_report.GroupRow(
                    attribute=attribute,
                    value=value,
                    identities=len(members),
                    images=int(np.isin(data.labels, members).sum()),
                    fnmr=proportion(
                        int(np.count_nonzero(matched & ~passes)), int(np.count_nonzero(matched))
                    ),
                    fmr=proportion(false_matches, n_impostor),
                    rest_fmr=proportion(rest_false_matches, n_rest),
                    p_value=p_value,
                )
            )
            curves[attribute].append(
                accuracy_report.Curve(
                    label=f"{attribute}={value}", genuine=scores[matched], impostor=scores[impostor]
                )
            )
    tests = sum(row.p_value is not None for row in rows)
    # Bonferroni: with many groups, one will look different by chance alone.
    alpha = accuracy_report.SIGNIFICANCE / max(tests, 1)
    for row in rows:
        row.flagged = row.p_value is not None and row.p_value < alpha
    return GroupAnalysis(rows=rows, curves=curves, unmatched=unmatched, tests=tests, alpha=alpha)


def calibration_method(
    engine: Engine,
    options: dict,
    threshold: float,
    calibration: Calibration | None,
    held_out: list[HeldOutResult] | None,
    search: SearchScores | None,
) -> str:
    """How the run chose and tested its threshold, in words, for the record's description
    (which the approval pages show), so a reader knows what the figures mean."""
    sets = " + ".join(Path(path).name for path in options["faces"])
    lines = [f"Method (evaluate_matcher, engine {engine.name}, sets {sets}):"]
    if calibration is not None:
        lines.append(
            f"threshold chosen for target FMR {calibration.target_fmr:g} per pair with the "
            f"one-sided {calibration.confidence:.0%} Clopper-Pearson upper bound, over every "
            f"impostor pair of the sets pooled (pairs across sets included): "
            f"{calibration.describe()}."
        )
    else:
        lines.append(f"threshold {threshold:.3f} given, not chosen by this run.")
    if held_out:
        lines.append("Held out (calibrated on the other sets, counted on this one only):")
        for r in held_out:
            line = (
                f"{r.held_out} at {r.calibration.threshold:.3f}"
                f"{'' if r.calibration.reached else ' (target not reachable on the others)'}: "
                f"FMR {_rate(r.fmr)}, FNMR {_rate(r.fnmr)}"
            )
            if r.search_fnmr is not None and r.search_fmr is not None:
                line += f"; best of references FNMR {_rate(r.search_fnmr)}"
            lines.append(line + ".")
        fmr, fnmr = pooled(held_out)
        lines.append(f"Every set once, held out: FMR {_rate(fmr)}, FNMR {_rate(fnmr)}.")
    if search is not None and search.probes:
        fnmr = counted(search.genuine, threshold, at_or_above=False)
        fmr = counted(search.impostor, threshold, at_or_above=True)
        lines.append(
            f"Best of {search.references} references at {threshold:.3f}: FNMR per search "
            f"{_rate(fnmr)}, FMR per identity comparison {_rate(fmr)}."
        )
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Print an engine's false match and false non-match rates on labelled face folders."

    def add_arguments(self, parser):
        parser.add_argument(
            "--faces",
            action="append",
            type=Path,
            help="directory with one sub-directory per identity; repeat to combine sets "
            "(default: the bundled set and any extra sets of LFR_FACE_SETS_EXTRA)",
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
        parser.add_argument(
            "--groups",
            type=Path,
            help="CSV: identity folder, then attribute columns (e.g. sex, skin_tone); "
            "reports rates per group",
        )
        parser.add_argument(
            "--report", type=Path, help="write a self-contained HTML report to this file"
        )
        parser.add_argument(
            "--record",
            metavar="DESCRIPTION",
            help="store this run as the engine's calibration, with this data set description",
        )
        parser.add_argument(
            "--ran-by", help="the portal username of whoever ran it (default: the OS login)"
        )
        parser.add_argument(
            "--target-fmr",
            type=float,
            metavar="F",
            help="choose the lowest threshold whose one-sided 95%% Clopper-Pearson upper bound "
            "on the false match rate, over every impostor pair of all sets pooled (pairs "
            "across sets included), is at most F (e.g. 0.0001)",
        )
        parser.add_argument(
            "--cross-check",
            action="store_true",
            help="with --target-fmr: leave each set out in turn, calibrate on the others and "
            "report the held-out set's error rates at the threshold chosen",
        )
        parser.add_argument(
            "--references",
            type=int,
            metavar="K",
            help="also report per-search figures: each identity enrolled with its first K "
            "photographs, every other photograph searched against every enrolled identity, "
            "taking the best score over each identity's K references",
        )
        parser.add_argument(
            "--fusion-weight",
            type=float,
            help="sface-dlib only: SFace's share of the fused score (default: the engine's)",
        )

    def handle(self, *args, **options):
        if not options["faces"]:
            options["faces"] = [face_set.path for face_set in all_sets()]
        identity_folders(options["faces"])  # a wrong path fails before the models load
        ran_by = self._ran_by(options["ran_by"]) if options["record"] is not None else None
        if options["record"] is not None and not options["record"].strip():
            raise CommandError("--record needs a description of the data set.")
        if options["cross_check"] and options["target_fmr"] is None:
            raise CommandError("--cross-check needs --target-fmr: the rule it checks.")
        if options["target_fmr"] is not None and not 0 < options["target_fmr"] < 1:
            raise CommandError("--target-fmr is a rate between 0 and 1, e.g. 0.0001.")
        if options["references"] is not None and options["references"] < 1:
            raise CommandError("--references needs at least 1.")
        engine_options = {}
        if options["fusion_weight"] is not None:
            if options["engine"] != "sface-dlib":
                raise CommandError("--fusion-weight applies to the sface-dlib engine only.")
            engine_options["sface_weight"] = options["fusion_weight"]
        try:
            engine = create_engine(options["engine"], **engine_options)
        except EngineError as error:
            raise CommandError(str(error)) from error
        data = embed_labelled_faces(
            engine,
            options["faces"],
            pad=options["pad"],
            per_identity=options["per_identity"],
            identities=options["identities"],
        )
        pairs = pair_scores(data.embeddings, data.labels)
        calibration = None
        if options["target_fmr"] is not None and pairs.impostor.size:
            calibration = calibrate_threshold(pairs.impostor, options["target_fmr"])
        threshold = (
            options["threshold"]
            if options["threshold"] is not None
            else calibration.threshold
            if calibration is not None
            else engine.default_threshold
        )
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
        if calibration is not None:
            out(
                f"Calibrated for target FMR {calibration.target_fmr:g} on all sets pooled: "
                f"{calibration.describe()}"
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
        search = None
        if options["references"]:
            search = search_scores(data, options["references"])
            self._print_search(search, threshold)
        held_out = None
        if options["cross_check"]:
            held_out = cross_check(data, options["target_fmr"], references=options["references"])
            self._print_cross_check(held_out)
        if options["plot"]:
            write_det_plot(
                pairs,
                options["plot"],
                title=f"{engine.name} on {' + '.join(p.name for p in options['faces'])}",
                marks=marks,
            )
            out(f"DET plot written to {options['plot']}")
        hashes = model_file_hashes(engine)
        analysis = None
        if options["groups"]:
            groups, unknown = read_groups(options["groups"], data.identities)
            for name in unknown:
                out(f"  groups file names {name}, which was not measured")
            analysis = analyse_groups(data, groups, threshold)
            self._print_groups(analysis, threshold)
        if options["report"]:
            self._write_report(options, engine, data, pairs, threshold, hashes, analysis)
            out(f"Report written to {options['report']}")
        if options["record"] is not None:
            method = calibration_method(engine, options, threshold, calibration, held_out, search)
            record = self._record(
                options, engine, data, pairs, hashes, analysis, ran_by, threshold, method
            )
            out(
                f"Calibration recorded: {record.public_id} ({record.engine}, "
                f"{len(record.rates)} thresholds)"
            )

    def _ran_by(self, username):
        if not username:
            return None
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"--ran-by: no active user '{username}'.")
        return user

    def _print_search(self, search: SearchScores, threshold: float) -> None:
        out = self.stdout.write
        if not search.probes:
            out(f"Best of {search.references}: no identity has more images than that.")
            return
        fnmr = counted(search.genuine, threshold, at_or_above=False)
        fmr = counted(search.impostor, threshold, at_or_above=True)
        out(
            f"Best of {search.references} references at {threshold:.3f} "
            f"({search.enrolled} identities enrolled, {search.probes} probes): "
            f"FNMR per search {_rate(fnmr)}, FMR per identity comparison {_rate(fmr)}"
        )

    def _print_cross_check(self, results: list[HeldOutResult]) -> None:
        out = self.stdout.write
        out("Leave one set out (calibrated on the others, counted on the held-out set only):")
        out("  held out / calibrated on / threshold / held-out FMR per pair / FNMR per pair")
        for r in results:
            out(
                f"  {r.held_out} / {' + '.join(r.calibrated_on)} / {r.calibration.describe()} / "
                f"FMR {_rate(r.fmr)} / FNMR {_rate(r.fnmr)}"
            )
            if r.search_fmr is not None and r.search_fnmr is not None:
                out(
                    f"      best of references: FMR per identity comparison {_rate(r.search_fmr)}"
                    f" / FNMR per search {_rate(r.search_fnmr)}"
                )
        fmr, fnmr = pooled(results)
        out(f"  every set once, held out: FMR {_rate(fmr)} / FNMR {_rate(fnmr)}")

    def _print_groups(self, analysis, threshold):
        out = self.stdout.write
        out(f"By group at threshold {threshold:.3f} (FMR: impostor pairs within the group):")
        for row in analysis.rows:
            flag = "  SIGNIFICANT DIFFERENCE" if row.flagged else ""
            p_value = "n/a" if row.p_value is None else f"{row.p_value:.3g}"
            out(
                f"  {row.attribute}={row.value}: identities {row.identities}, "
                f"FMR {percent(row.fmr.rate)} ({row.fmr.count}/{row.fmr.total}; "
                f"95% CI {percent(row.fmr.low)} to {percent(row.fmr.high)}), "
                f"FNMR {percent(row.fnmr.rate)} ({row.fnmr.count}/{row.fnmr.total}; "
                f"95% CI {percent(row.fnmr.low)} to {percent(row.fnmr.high)}), "
                f"other groups' FMR {percent(row.rest_fmr.rate)}, p={p_value}{flag}"
            )
        out(
            f"Fisher's exact test, Bonferroni-corrected over {analysis.tests} comparisons: "
            f"significant below p={analysis.alpha:.3g}"
        )

    def _write_report(self, options, engine, data, pairs, threshold, hashes, analysis):
        [at_threshold] = rate_counts(pairs, [threshold])
        report = accuracy_report.ReportData(
            engine=engine.name,
            engine_label=engine.label,
            model_sha256=hashes,
            data_sets=[str(path) for path in options["faces"]],
            generated_at=timezone.localtime().strftime("%d %b %Y %H:%M"),
            threshold=threshold,
            identities=len(data.identities),
            images=data.images,
            not_detected=len(data.not_detected),
            overall_fmr=proportion(at_threshold["false_matches"], pairs.impostor.size),
            overall_fnmr=proportion(at_threshold["false_non_matches"], pairs.genuine.size),
            overall=accuracy_report.Curve("all", pairs.genuine, pairs.impostor),
        )
        if analysis is not None:
            report.rows = analysis.rows
            report.curves = analysis.curves
            report.tests = analysis.tests
            report.bonferroni_alpha = analysis.alpha
            report.unmatched = analysis.unmatched
        options["report"].write_text(accuracy_report.render(report), encoding="utf-8")

    def _record(self, options, engine, data, pairs, hashes, analysis, ran_by, threshold, method):
        from lfr_portal.services.accuracy import calibration_record_create

        thresholds = sorted(
            {round(float(t), 3) for t in RECORD_SWEEP}
            | {round(float(t), 3) for t in (engine.default_threshold, engine.floor, threshold)}
        )
        return calibration_record_create(
            actor=ran_by,
            engine=engine.name,
            description=f"{options['record'].strip()}\n{method}",
            measured_at=timezone.now(),
            model_sha256=hashes,
            identities=len(data.identities),
            images=data.images,
            images_without_face=len(data.not_detected),
            genuine_pairs=int(pairs.genuine.size),
            impostor_pairs=int(pairs.impostor.size),
            rates=rate_counts(pairs, thresholds),
            group_rates=[row.as_dict() for row in analysis.rows] if analysis else [],
            ran_by_name="" if ran_by else getpass.getuser(),
        )
