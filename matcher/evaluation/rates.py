"""Error rates over every pair of labelled photographs, and the threshold chosen for a
target false match rate with an upper confidence bound.

FMR(t): share of impostor pairs scoring >= t (a passer-by taken for a watchlist entry).
FNMR(t): share of genuine pairs scoring < t (a watchlisted person missed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import beta

from lfr_portal.stats import Proportion, proportion
from matcher import accuracy_report
from matcher.evaluation import EvaluationError

SWEEP = np.round(np.arange(0.20, 0.7001, 0.025), 3)


# A recorded calibration is read at the next lower recorded threshold, so a fine
# step keeps that reading close to the truth.
RECORD_SWEEP = np.round(np.arange(0.0, 1.0001, 0.005), 3)


@dataclass
class PairScores:
    genuine: np.ndarray
    impostor: np.ndarray


def scored_pairs(
    embeddings: np.ndarray, references: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first, second, scores): the pairs of images the matcher's scoring counts, and
    each one's score, a reference vector times a probe vector, in row-major order.

    embeddings are the probe vectors. Where references is given and is not that same
    array (the engine makes reference vectors differently), every ordered pair
    (reference first, probe second), first != second, so each unordered pair counts
    twice, once each way round. Otherwise every unordered pair once: the upper triangle.
    """
    count = len(embeddings)
    if references is None or references is embeddings:
        first, second = np.triu_indices(count, k=1)
        matrix = embeddings @ embeddings.T
    else:
        first, second = np.nonzero(~np.eye(count, dtype=bool))
        matrix = references @ embeddings.T
    return first, second, matrix[first, second]


def pair_scores(
    embeddings: np.ndarray, labels: np.ndarray, references: np.ndarray | None = None
) -> PairScores:
    """Genuine and impostor scores over the pairs scored_pairs counts."""
    first, second, scores = scored_pairs(embeddings, references)
    same = labels[first] == labels[second]
    return PairScores(genuine=scores[same], impostor=scores[~same])


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
    import matplotlib  # heavy: only a --plot run needs it

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


def rate_counts(pairs: PairScores, thresholds: Iterable[float]) -> list[dict[str, Any]]:
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


def fmr_upper_bound(
    false_matches: int, impostor_pairs: int, confidence: float = CONFIDENCE
) -> float:
    """One-sided Clopper-Pearson upper bound on the false match rate.

    Exact (beta quantile) rather than Wilson: at the handful of false matches an
    operating point allows, the normal approximations understate the bound.
    """

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
        raise EvaluationError("Need impostor pairs to choose a threshold.")
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


def counted(scores: np.ndarray, threshold: float, *, at_or_above: bool) -> Proportion:
    values = np.asarray(scores, dtype=np.float64)
    hits = values >= threshold if at_or_above else values < threshold
    return proportion(int(np.count_nonzero(hits)), int(values.size))
