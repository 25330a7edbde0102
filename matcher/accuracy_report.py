"""The accuracy-by-group report that evaluate_matcher --report writes.

One self-contained HTML file: the tables, the method, and the DET curves as PNG
data URIs, so a compliance officer can attach it to an equality impact
assessment and it still reads the same wherever it is opened.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from lfr_portal.stats import Proportion, percent, proportion

SIGNIFICANCE = 0.05


@dataclass
class Curve:
    """Genuine and impostor scores of one group, drawn as one DET line."""

    label: str
    genuine: np.ndarray
    impostor: np.ndarray


@dataclass
class GroupRow:
    attribute: str
    value: str
    identities: int
    images: int
    fnmr: Proportion  # genuine pairs of the group scoring below the threshold
    fmr: Proportion  # impostor pairs within the group scoring at or above it
    rest_fmr: Proportion  # impostor pairs within the attribute's other groups
    p_value: float | None
    flagged: bool = False

    def as_dict(self) -> dict:
        return {
            "attribute": self.attribute,
            "value": self.value,
            "identities": self.identities,
            "images": self.images,
            "genuine_pairs": self.fnmr.total,
            "false_non_matches": self.fnmr.count,
            "fnmr": self.fnmr.rate,
            "fnmr_ci": [self.fnmr.low, self.fnmr.high],
            "impostor_pairs": self.fmr.total,
            "false_matches": self.fmr.count,
            "fmr": self.fmr.rate,
            "fmr_ci": [self.fmr.low, self.fmr.high],
            "rest_impostor_pairs": self.rest_fmr.total,
            "rest_false_matches": self.rest_fmr.count,
            "p_value": self.p_value,
            "flagged": self.flagged,
        }


@dataclass
class HeldOutRow:
    """One fold of --cross-check: the threshold chosen on the other sets, the errors
    counted on this one alone."""

    held_out: str
    calibrated_on: list[str]
    threshold: float
    target_reached: bool
    fmr: Proportion
    fnmr: Proportion


@dataclass
class ReportData:
    engine: str
    engine_label: str
    model_sha256: dict
    data_sets: list[str]
    generated_at: str
    threshold: float
    identities: int
    images: int
    not_detected: int
    overall_fmr: Proportion
    overall_fnmr: Proportion
    overall: Curve
    rows: list[GroupRow] = field(default_factory=list)
    curves: dict[str, list[Curve]] = field(default_factory=dict)
    tests: int = 0
    bonferroni_alpha: float = SIGNIFICANCE
    unmatched: dict[str, list[str]] = field(default_factory=dict)
    # With --cross-check: the target FMR and one row per held-out set.
    target_fmr: float | None = None
    held_out: list[HeldOutRow] = field(default_factory=list)


def det_points(
    genuine: np.ndarray, impostor: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """FMR (impostors >= t) and FNMR (genuines < t) at each threshold, by sorting once."""
    impostor = np.sort(np.asarray(impostor, dtype=np.float64))
    genuine = np.sort(np.asarray(genuine, dtype=np.float64))
    fmr = (
        (impostor.size - np.searchsorted(impostor, thresholds, side="left")) / impostor.size
        if impostor.size
        else np.full(len(thresholds), np.nan)
    )
    fnmr = (
        np.searchsorted(genuine, thresholds, side="left") / genuine.size
        if genuine.size
        else np.full(len(thresholds), np.nan)
    )
    return fmr, fnmr


def det_png(curves: Sequence[Curve], *, title: str, threshold: float) -> bytes:
    """DET curves (log-log) with each curve's operating point at the threshold marked."""
    import matplotlib  # heavy: only a report with figures needs it

    matplotlib.use("Agg")  # files only; never a window
    from matplotlib import pyplot as plt

    thresholds = np.linspace(-0.2, 1.0, 481)
    figure, axes = plt.subplots(figsize=(6.4, 5), dpi=90)
    for index, curve in enumerate(curves):
        if not curve.genuine.size or not curve.impostor.size:
            continue
        colour = f"C{index % 10}"
        fmr, fnmr = det_points(curve.genuine, curve.impostor, thresholds)
        # Zero cannot sit on a log axis; half a pair is the data's resolution.
        fmr_floor = 0.5 / curve.impostor.size
        fnmr_floor = 0.5 / curve.genuine.size
        axes.plot(
            np.maximum(fmr, fmr_floor),
            np.maximum(fnmr, fnmr_floor),
            color=colour,
            label=f"{curve.label} ({curve.genuine.size:,} genuine, "
            f"{curve.impostor.size:,} impostor pairs)",
        )
        point_fmr, point_fnmr = det_points(curve.genuine, curve.impostor, np.array([threshold]))
        axes.plot(max(point_fmr[0], fmr_floor), max(point_fnmr[0], fnmr_floor), "o", color=colour)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("False match rate (impostor pairs)")
    axes.set_ylabel("False non-match rate (genuine pairs)")
    axes.set_title(f"{title} (dots: threshold {threshold:.3f})", fontsize=9)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _ci(p: Proportion) -> str:
    if not p.total:
        return "no pairs"
    return (
        f"{percent(p.rate)} <span class='ci'>({p.count:,}/{p.total:,}; "
        f"95% CI {percent(p.low)}–{percent(p.high)})</span>"
    )


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2g}" if value >= 1e-4 else f"{value:.1e}"


def _alpha(value: float) -> str:
    # Three figures: rounding 0.0125 to 0.013 would move the line a p-value must pass.
    return f"{value:.3g}"


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #111; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #999; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eee; }
.ci { color: #444; font-size: 0.85em; }
tr.flagged td { background: #fde2e2; }
.flag { font-weight: bold; color: #a00; }
code { word-break: break-all; }
"""


def render(data: ReportData) -> str:
    """The whole report as one self-contained HTML page."""
    parts = _summary(data) + _findings(data) + _held_out(data) + _method(data)
    for attribute in dict.fromkeys(row.attribute for row in data.rows):
        parts += _attribute_section(data, attribute)
    png = det_png([data.overall], title="DET, all identities", threshold=data.threshold)
    parts += [
        "<h2>All identities</h2>",
        f'<figure><img src="{data_uri(png)}" alt="DET curve, all identities" '
        'width="576" height="450"><figcaption>DET curve, all identities.</figcaption></figure>',
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _summary(data: ReportData) -> list[str]:
    """The page head and what was measured."""
    e = html.escape
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>Accuracy by group: {e(data.engine_label)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>Accuracy by group: {e(data.engine_label)}</h1>",
        f"<p>Generated {e(data.generated_at)} by <code>evaluate_matcher</code> for an "
        "equality impact assessment.</p>",
        "<h2>What was measured</h2>",
        "<table>",
        f"<tr><th>Engine</th><td>{e(data.engine)} ({e(data.engine_label)})</td></tr>",
        "<tr><th>Model files (SHA-256)</th><td>"
        + "<br>".join(
            f"{e(name)}: <code>{e(digest)}</code>"
            for name, digest in sorted(data.model_sha256.items())
        )
        + "</td></tr>",
        f"<tr><th>Labelled data</th><td>{e(', '.join(data.data_sets))}</td></tr>",
        f"<tr><th>Images</th><td>{data.images:,} of {data.identities:,} identities; "
        f"no face found in {data.not_detected:,}</td></tr>",
        f"<tr><th>Threshold</th><td>{data.threshold:.3f}</td></tr>",
        f"<tr><th>False match rate, all</th><td>{_ci(data.overall_fmr)}</td></tr>",
        f"<tr><th>False non-match rate, all</th><td>{_ci(data.overall_fnmr)}</td></tr>",
        "</table>",
    ]


def _findings(data: ReportData) -> list[str]:
    """Which groups, if any, differ significantly from the others."""
    e = html.escape
    parts = []
    flagged = [row for row in data.rows if row.flagged]
    parts.append("<h2>Findings</h2>")
    if not data.rows:
        parts.append("<p>No groups file was given, so no group was compared.</p>")
    elif flagged:
        parts.append("<ul>")
        for row in flagged:
            direction = "higher" if (row.fmr.rate or 0) > (row.rest_fmr.rate or 0) else "lower"
            parts.append(
                f'<li class="flag">{e(row.attribute)} = {e(row.value)}: false match rate '
                f"{percent(row.fmr.rate)}, {direction} than the other groups' "
                f"{percent(row.rest_fmr.rate)} (Fisher's exact test p = {_p(row.p_value)}, "
                f"below the Bonferroni threshold {_alpha(data.bonferroni_alpha)}).</li>"
            )
        parts.append("</ul>")
    else:
        parts.append(
            f"<p>No group's false match rate differs significantly from the other groups' "
            f"at the Bonferroni-corrected level {_alpha(data.bonferroni_alpha)} "
            f"({data.tests} comparisons).</p>"
        )
    return parts


def _held_out(data: ReportData) -> list[str]:
    """The leave-one-set-out table: error rates on faces no threshold was chosen on."""
    if not data.held_out:
        return []
    e = html.escape
    target = f" {data.target_fmr:g}" if data.target_fmr is not None else ""
    parts = [
        "<h2>Held out: faces not used for calibration</h2>",
        f"<p>Each set left out in turn: the threshold is chosen for the target FMR{target} "
        "per pair on the other sets pooled, then errors are counted on the held-out set "
        "alone.</p>",
        "<table>",
        "<thead><tr><th>Held-out set</th><th>Calibrated on</th><th>Threshold</th>"
        "<th>FMR per pair</th><th>FNMR per pair</th></tr></thead>",
        "<tbody>",
    ]
    for row in data.held_out:
        note = "" if row.target_reached else " (target not reachable on the others)"
        parts.append(
            f"<tr><td>{e(row.held_out)}</td><td>{e(' + '.join(row.calibrated_on))}</td>"
            f"<td>{row.threshold:.3f}{note}</td><td>{_ci(row.fmr)}</td>"
            f"<td>{_ci(row.fnmr)}</td></tr>"
        )
    fmr = proportion(
        sum(r.fmr.count for r in data.held_out), sum(r.fmr.total for r in data.held_out)
    )
    fnmr = proportion(
        sum(r.fnmr.count for r in data.held_out), sum(r.fnmr.total for r in data.held_out)
    )
    parts += [
        f"<tr><th>Every set once</th><td>–</td><td>–</td><td>{_ci(fmr)}</td>"
        f"<td>{_ci(fnmr)}</td></tr>",
        "</tbody>",
        "</table>",
    ]
    return parts


def _method(data: ReportData) -> list[str]:
    """How the figures were computed, and the caution they need."""
    return [
        "<h2>Method</h2>",
        "<ul>",
        "<li>Every image is embedded once; every pair of images of the same identity is a "
        "genuine pair and every pair of different identities an impostor pair.</li>",
        "<li>False match rate (FMR): the share of impostor pairs scoring at or above the "
        "threshold. False non-match rate (FNMR): the share of genuine pairs scoring below "
        "it.</li>",
        "<li>A group's FMR counts impostor pairs whose two identities are both in the group: "
        "people are mostly mistaken for others of similar appearance, and pairs across groups "
        "would dilute the rate. Its comparison (“other groups”) counts the impostor pairs "
        "within each other value of the same attribute.</li>",
        "<li>Intervals are 95% Wilson score intervals. A group is flagged when Fisher's exact "
        "test of its FMR against the other groups' gives p below 0.05 divided by the number "
        f"of comparisons made (Bonferroni: {data.tests} comparisons, threshold "
        f"{_alpha(data.bonferroni_alpha)}).</li>",
        "<li>Caution: pairs share identities and images, so they are not independent; the "
        "intervals and p-values are narrower than the data strictly supports. A small labelled "
        "set cannot show that groups are treated alike, only fail to show a difference. Treat a "
        "flag as a reason to investigate, and an absence of flags as no proof of equality.</li>",
        "</ul>",
    ]


def _attribute_section(data: ReportData, attribute: str) -> list[str]:
    """One attribute's table of groups, the identities it leaves out, and its DET curves."""
    e = html.escape
    rows = [row for row in data.rows if row.attribute == attribute]
    parts = [
        f"<h2>By {e(attribute)}</h2>",
        "<table>",
        "<thead><tr><th>Group</th><th>Identities</th><th>Images</th><th>FNMR</th>"
        "<th>FMR</th><th>FMR, other groups</th><th>p (Fisher)</th><th>Flag</th></tr>"
        "</thead>",
        "<tbody>",
    ]
    for row in rows:
        parts.append(
            f'<tr class="{"flagged" if row.flagged else "group"}">'
            f"<td>{e(row.value)}</td><td>{row.identities:,}</td><td>{row.images:,}</td>"
            f"<td>{_ci(row.fnmr)}</td><td>{_ci(row.fmr)}</td><td>{_ci(row.rest_fmr)}</td>"
            f"<td>{_p(row.p_value)}</td>"
            f"<td>{'significant difference' if row.flagged else '–'}</td></tr>"
        )
    parts += ["</tbody>", "</table>"]
    missing = data.unmatched.get(attribute) or []
    if missing:
        parts.append(
            f"<p>Not in any {e(attribute)} group (no value in the groups file): "
            f"{e(', '.join(missing))}.</p>"
        )
    curves = data.curves.get(attribute, [])
    if curves:
        png = det_png(curves, title=f"DET by {attribute}", threshold=data.threshold)
        parts.append(
            f'<figure><img src="{data_uri(png)}" alt="DET curves by {e(attribute)}" '
            'width="576" height="450">'
            f"<figcaption>DET curves by {e(attribute)}.</figcaption></figure>"
        )
    return parts
