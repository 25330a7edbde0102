"""The reports' charts, drawn server-side with matplotlib (Agg) into PNG bytes: pure, no
queries. Each chart comes with a sentence that says what it shows, for its alt text;
the same figures are in the tables beside it.

matplotlib's object API (Figure and its Agg canvas) is used, not pyplot, so no global
state is shared between requests served by different threads.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .models import ComplaintCategory, UseCase

BLUE, RED, GREY, GREEN = "#0b4f8a", "#a4161a", "#8a939c", "#2b7a3d"


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    alt: str
    png: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode()


def _bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], str]],
    *,
    horizontal: bool = False,
) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # heavy: only reports need it
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    height = max(3.0, 0.4 * len(labels) + 1.2) if horizontal else 3.6
    figure = Figure(figsize=(5.6, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    count = max(1, len(series))
    width = 0.8 / count
    for index, (name, values, colour) in enumerate(series):
        positions = [i + (index - (count - 1) / 2) * width for i in range(len(labels))]
        draw = axes.barh if horizontal else axes.bar
        draw(positions, values, width, label=name, color=colour)
    ticks = list(range(len(labels)))
    if horizontal:
        axes.set_yticks(ticks, labels, fontsize=10)
        axes.invert_yaxis()
    else:
        axes.set_xticks(
            ticks,
            labels,
            fontsize=10,
            rotation=45 if len(labels) > 6 else 0,
            ha="right" if len(labels) > 6 else "center",
        )
    # Counts: whole numbers on the value axis.
    (axes.xaxis if horizontal else axes.yaxis).set_major_locator(MaxNLocator(integer=True))
    axes.set_title(title, fontsize=12)
    axes.grid(True, axis="x" if horizontal else "y", alpha=0.3)
    if len(series) > 1:
        axes.legend(fontsize=10)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _words(labels: Sequence[str], values: Sequence[Any]) -> str:
    return "; ".join(f"{label}: {value:,}" for label, value in zip(labels, values, strict=True))


def _chart(key: str, title: str, labels: list[str], values: list[int], colour: str = BLUE) -> Chart:
    png = _bars(title, labels, [(title, values, colour)], horizontal=True)
    return Chart(key, title, f"{title}. {_words(labels, values) or 'None'}.", png)


def annual_charts(data: dict[str, Any], *, people: bool = True) -> list[Chart]:
    """Deployments per month, by use case, alerts by the operator's decision; with
    `people` (staff versions only) also complaints by category."""
    d, a = data["deployments"], data["alerts"]
    months = list(d["by_month"])
    charts = [
        Chart(
            "months",
            "Deployments per month",
            f"Deployments per month. {_words(months, list(d['by_month'].values())) or 'None'}.",
            _bars(
                "Deployments per month",
                months,
                [("Deployments", list(d["by_month"].values()), BLUE)],
            ),
        ),
        use_case_chart(data),
        _chart(
            "decisions",
            "Alerts by the operator's decision",
            ["Confirmed matches", "False alerts", "Not resolved", "Awaiting"],
            [
                a["confirmed_matches"],
                a["false_alerts"],
                a["unresolved"],
                a["awaiting_adjudication"],
            ],
        ),
    ]
    if people:
        charts.append(complaints_chart(data))
    return charts


def use_case_chart(data: dict[str, Any]) -> Chart:
    by_use_case = data["deployments"]["by_use_case"]
    return _chart(
        "use_cases",
        "Deployments by use",
        [str(label) for _, label in UseCase.choices],
        [by_use_case.get(value, 0) for value, _ in UseCase.choices],
    )


def complaints_chart(data: dict[str, Any]) -> Chart:
    c = data["complaints"]["by_category"]
    return _chart(
        "complaints",
        "Complaints by what they were about",
        [str(label) for _, label in ComplaintCategory.choices],
        [c.get(value, 0) for value, _ in ComplaintCategory.choices],
        RED,
    )


def oversight_charts(data: dict[str, Any], rows: Sequence[tuple[str, int, int]]) -> list[Chart]:
    """The pack's plots: alerts and false alerts per deployment (label, alerts, false
    alerts), deployments by use, review status and complaints."""
    labels = [label for label, _, _ in rows]
    alerts = [n for _, n, _ in rows]
    false = [n for _, _, n in rows]
    r = data["reviews"]
    review_labels = ["Signed off", "Open", "Overdue", "Not opened"]
    review_values = [r["signed_off"], r["open"] - r["overdue"], r["overdue"], r["not_opened"]]
    per_deployment = Chart(
        "per_deployment",
        "Alerts and false alerts per deployment",
        "Alerts and false alerts per deployment. "
        + ("; ".join(f"{x}: {n:,} alerts, {f:,} false" for x, n, f in rows) or "None")
        + ".",
        _bars(
            "Alerts and false alerts per deployment",
            labels,
            [("Alerts", alerts, BLUE), ("False alerts", false, RED)],
            horizontal=True,
        ),
    )
    return [
        per_deployment,
        use_case_chart(data),
        _chart("reviews", "Post-deployment reviews", review_labels, review_values, GREEN),
        complaints_chart(data),
    ]
