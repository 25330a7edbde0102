"""Error rates per demographic group, each group's false match rate compared with the
other groups' by Fisher's exact test, with a Bonferroni correction."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import fisher_exact

from lfr_portal.stats import Proportion, percent, proportion
from matcher import accuracy_report
from matcher.evaluation import EvaluationError
from matcher.evaluation.labelled import LabelledEmbeddings
from matcher.evaluation.rates import scored_pairs


def read_groups(path: Path, identities: list[str]) -> tuple[dict[str, dict[int, str]], list[str]]:
    """{attribute: {identity index: value}} from the CSV, and the names it gave that are
    not among the identities measured. The first column names an identity folder, as
    "name" or "set/name"; a header row names the attributes."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            table = [row for row in csv.reader(stream) if any(cell.strip() for cell in row)]
    except OSError as error:
        raise EvaluationError(f"Cannot read the groups file {path}: {error}") from error
    if not table or len(table[0]) < 2:
        raise EvaluationError(
            f"{path} needs a header row: the identity column, then one column per attribute."
        )
    attributes = [name.strip() for name in table[0][1:]]
    if not all(attributes) or len(set(attributes)) != len(attributes):
        raise EvaluationError(f"{path}: every attribute column needs its own name in the header.")
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
            raise EvaluationError(
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
    pairs = _Pairs.of(data, threshold)
    rows: list[accuracy_report.GroupRow] = []
    curves: dict[str, list[accuracy_report.Curve]] = {}
    unmatched: dict[str, list[str]] = {}
    for attribute, values_by_identity in groups.items():
        unmatched[attribute] = [
            name for k, name in enumerate(data.identities) if k not in values_by_identity
        ]
        attribute_rows, curves[attribute] = _attribute_groups(
            data, pairs, attribute, values_by_identity
        )
        rows.extend(attribute_rows)
    tests = sum(row.p_value is not None for row in rows)
    # Bonferroni: with many groups, one will look different by chance alone.
    alpha = accuracy_report.SIGNIFICANCE / max(tests, 1)
    for row in rows:
        row.flagged = row.p_value is not None and row.p_value < alpha
    return GroupAnalysis(rows=rows, curves=curves, unmatched=unmatched, tests=tests, alpha=alpha)


@dataclass
class _Pairs:
    """Every pair of images pair_scores counts: its score, its two identities, whether
    it is genuine and whether it reaches the threshold."""

    scores: np.ndarray
    label_a: np.ndarray
    label_b: np.ndarray
    genuine: np.ndarray
    passes: np.ndarray

    @classmethod
    def of(cls, data: LabelledEmbeddings, threshold: float) -> _Pairs:
        """The pairs pair_scores counts (rates.scored_pairs)."""
        first, second, raw = scored_pairs(data.embeddings, data.reference_vectors)
        # As float64, so the comparison with the threshold is the one error_rates makes.
        scores = raw.astype(np.float64)
        label_a, label_b = data.labels[first], data.labels[second]
        return cls(scores, label_a, label_b, label_a == label_b, scores >= threshold)


def _attribute_groups(
    data: LabelledEmbeddings,
    pairs: _Pairs,
    attribute: str,
    values_by_identity: dict[int, str],
) -> tuple[list[accuracy_report.GroupRow], list[accuracy_report.Curve]]:
    """The row and the DET curve of each value of one attribute."""
    values = sorted(set(values_by_identity.values()))
    code_of = {value: code for code, value in enumerate(values)}
    # Each identity's group as a number; -1 where the file gives it none.
    codes = np.array(
        [
            -1 if (value := values_by_identity.get(k)) is None else code_of[value]
            for k in range(len(data.identities))
        ]
    )
    code_a, code_b = codes[pairs.label_a], codes[pairs.label_b]
    same_group = (code_a == code_b) & (code_a >= 0)
    rows, curves = [], []
    for value, code in code_of.items():
        in_group = same_group & (code_a == code)
        impostor = in_group & ~pairs.genuine
        matched = in_group & pairs.genuine
        rest = same_group & (code_a != code) & ~pairs.genuine
        members = [k for k, c in enumerate(codes) if c == code]
        fmr = _count(impostor & pairs.passes, impostor)
        rest_fmr = _count(rest & pairs.passes, rest)
        rows.append(
            accuracy_report.GroupRow(
                attribute=attribute,
                value=value,
                identities=len(members),
                images=int(np.isin(data.labels, members).sum()),
                fnmr=_count(matched & ~pairs.passes, matched),
                fmr=fmr,
                rest_fmr=rest_fmr,
                p_value=_fisher_p_value(fmr, rest_fmr),
            )
        )
        curves.append(
            accuracy_report.Curve(
                label=f"{attribute}={value}",
                genuine=pairs.scores[matched],
                impostor=pairs.scores[impostor],
            )
        )
    return rows, curves


def _count(hits: np.ndarray, among: np.ndarray) -> Proportion:
    return proportion(int(np.count_nonzero(hits)), int(np.count_nonzero(among)))


def _fisher_p_value(group: Proportion, rest: Proportion) -> float | None:
    """Whether the group's false match rate differs from the other groups'; None when
    either has no impostor pairs."""
    if not group.total or not rest.total:
        return None
    table = [
        [group.count, group.total - group.count],
        [rest.count, rest.total - rest.count],
    ]
    return float(fisher_exact(table).pvalue)


def group_lines(analysis: GroupAnalysis, threshold: float) -> list[str]:
    """The per-group table as the command prints it."""
    lines = [f"By group at threshold {threshold:.3f} (FMR: impostor pairs within the group):"]
    for row in analysis.rows:
        flag = "  SIGNIFICANT DIFFERENCE" if row.flagged else ""
        p_value = "n/a" if row.p_value is None else f"{row.p_value:.3g}"
        lines.append(
            f"  {row.attribute}={row.value}: identities {row.identities}, "
            f"FMR {percent(row.fmr.rate)} ({row.fmr.count}/{row.fmr.total}; "
            f"95% CI {percent(row.fmr.low)} to {percent(row.fmr.high)}), "
            f"FNMR {percent(row.fnmr.rate)} ({row.fnmr.count}/{row.fnmr.total}; "
            f"95% CI {percent(row.fnmr.low)} to {percent(row.fnmr.high)}), "
            f"other groups' FMR {percent(row.rest_fmr.rate)}, p={p_value}{flag}"
        )
    lines.append(
        f"Fisher's exact test, Bonferroni-corrected over {analysis.tests} comparisons: "
        f"significant below p={analysis.alpha:.3g}"
    )
    return lines
