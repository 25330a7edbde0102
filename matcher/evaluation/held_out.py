"""Per-search figures (best of K references per identity) and the leave-one-set-out
check of a calibration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lfr_portal.stats import Proportion, percent, proportion
from matcher.engines import Engine
from matcher.evaluation import EvaluationError
from matcher.evaluation.labelled import LabelledEmbeddings, identity_sets, subset
from matcher.evaluation.rates import (
    CONFIDENCE,
    Calibration,
    calibrate_threshold,
    counted,
    pair_scores,
)


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
        raise EvaluationError("--references needs at least 1.")
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
    # A probe's live vector against the enrolled identities' reference vectors.
    similarity = data.embeddings[probes] @ data.reference_vectors.T
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
        raise EvaluationError("--cross-check needs at least two --faces sets.")
    results = []
    for held_out in names:
        inside = sets == held_out
        others = subset(data, ~inside)
        calibration = calibrate_threshold(
            pair_scores(others.embeddings, others.labels, others.reference_vectors).impostor,
            target_fmr,
            confidence,
        )
        test = subset(data, inside)
        pairs = pair_scores(test.embeddings, test.labels, test.reference_vectors)
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


def describe_rate(p: Proportion) -> str:
    """A rate with its counts and 95% interval, as the command and the record state it."""
    if not p.total:
        return "n/a"
    return f"{percent(p.rate)} ({p.count:,}/{p.total:,}; 95% CI {percent(p.low)}-{percent(p.high)})"


def calibration_method(
    engine: Engine,
    sets: list[Path],
    threshold: float,
    calibration: Calibration | None,
    held_out: list[HeldOutResult] | None,
    search: SearchScores | None,
) -> str:
    """How the run chose and tested its threshold, in words, for the record's description
    (which the approval pages show), so a reader knows what the figures mean."""
    names = " + ".join(Path(path).name for path in sets)
    # The embedding's version too ("opencv-sface@2"): figures of one version say nothing
    # about another's scores.
    lines = [f"Method (evaluate_matcher, engine {engine.embedding_name}, sets {names}):"]
    if engine.reference_view is not None:
        # As the matcher scores: a stored reference against a live probe.
        lines.append(
            f"reference vectors {engine.reference_view}, probes plain; every ordered pair "
            "(reference of one image, probe of another) scored, so each pair counts both "
            "ways round."
        )
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
                f"FMR {describe_rate(r.fmr)}, FNMR {describe_rate(r.fnmr)}"
            )
            if r.search_fnmr is not None and r.search_fmr is not None:
                line += f"; best of references FNMR {describe_rate(r.search_fnmr)}"
            lines.append(line + ".")
        fmr, fnmr = pooled(held_out)
        lines.append(
            f"Every set once, held out: FMR {describe_rate(fmr)}, FNMR {describe_rate(fnmr)}."
        )
    if search is not None and search.probes:
        fnmr, fmr = search_rates(search, threshold)
        lines.append(
            f"Best of {search.references} references at {threshold:.3f}: FNMR per search "
            f"{describe_rate(fnmr)}, FMR per identity comparison {describe_rate(fmr)}."
        )
    return "\n".join(lines)


def search_rates(search: SearchScores, threshold: float) -> tuple[Proportion, Proportion]:
    """(FNMR per search, FMR per identity comparison) at the threshold."""
    fnmr = counted(search.genuine, threshold, at_or_above=False)
    fmr = counted(search.impostor, threshold, at_or_above=True)
    return fnmr, fmr


def search_summary(search: SearchScores, threshold: float) -> str:
    if not search.probes:
        return f"Best of {search.references}: no identity has more images than that."
    fnmr, fmr = search_rates(search, threshold)
    return (
        f"Best of {search.references} references at {threshold:.3f} "
        f"({search.enrolled} identities enrolled, {search.probes} probes): "
        f"FNMR per search {describe_rate(fnmr)}, "
        f"FMR per identity comparison {describe_rate(fmr)}"
    )


def cross_check_lines(results: list[HeldOutResult]) -> list[str]:
    """The leave-one-set-out table, one line per fold and one for all folds pooled."""
    lines = [
        "Leave one set out (calibrated on the others, counted on the held-out set only):",
        "  held out / calibrated on / threshold / held-out FMR per pair / FNMR per pair",
    ]
    for r in results:
        lines.append(
            f"  {r.held_out} / {' + '.join(r.calibrated_on)} / {r.calibration.describe()} / "
            f"FMR {describe_rate(r.fmr)} / FNMR {describe_rate(r.fnmr)}"
        )
        if r.search_fmr is not None and r.search_fnmr is not None:
            lines.append(
                "      best of references: FMR per identity comparison "
                f"{describe_rate(r.search_fmr)} / FNMR per search {describe_rate(r.search_fnmr)}"
            )
    fmr, fnmr = pooled(results)
    lines.append(
        f"  every set once, held out: FMR {describe_rate(fmr)} / FNMR {describe_rate(fnmr)}"
    )
    return lines
