"""Proportions with confidence intervals, and the words to state them.

Pure Python (statistics.NormalDist): the portal's reads call these on every page
that shows accuracy, and they should not load scipy for a square root.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import sqrt
from statistics import NormalDist

CONFIDENCE = 0.95


def z_value(confidence: float = CONFIDENCE) -> float:
    """The two-sided standard normal quantile: 1.959964 for 95%."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(count: int, total: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson's score interval for count successes in total trials.

    Chosen over the textbook p ± z·sqrt(p(1-p)/n) because false alerts are rare:
    that interval collapses to [0, 0] at zero events and dips below zero near it,
    while Wilson's stays inside [0, 1] and gives a useful upper bound at zero.
    """
    if total <= 0:
        return (0.0, 1.0)
    if not 0 <= count <= total:
        raise ValueError(f"count {count} is not between 0 and total {total}")
    z = z_value(confidence)
    p = count / total
    z2_n = z * z / total
    centre = (p + z2_n / 2) / (1 + z2_n)
    half = z * sqrt(p * (1 - p) / total + z2_n / (4 * total)) / (1 + z2_n)
    # At the extremes the exact bound is 0 or 1; rounding must not push it past.
    low = 0.0 if count == 0 else max(0.0, centre - half)
    high = 1.0 if count == total else min(1.0, centre + half)
    return (low, high)


# The units describe() is given, in the singular, for "0 in 1 alert" rather than "0 in 1
# alerts". A plain table, not ngettext: this module stays free of Django.
SINGULAR_UNITS = {
    "faces": "face",
    "alerts": "alert",
    "alerts adjudicated": "alert adjudicated",
    "impostor pairs": "impostor pair",
    "genuine pairs": "genuine pair",
}


@dataclass(frozen=True)
class Proportion:
    """count of total, with its Wilson interval. rate is None when total is 0."""

    count: int
    total: int
    low: float
    high: float
    confidence: float = CONFIDENCE

    @property
    def rate(self) -> float | None:
        return self.count / self.total if self.total else None

    def describe(self, unit: str) -> str:
        """E.g. '3 in 1,200 faces (0.25%; 95% CI 0.085% to 0.73%)'; `unit` is plural."""
        if not self.total:
            return f"no {unit} yet"
        if self.total == 1:
            unit = SINGULAR_UNITS.get(unit, unit)
        return (
            f"{self.count:,} in {self.total:,} {unit} ({percent(self.rate)}; "
            f"{self.confidence:.0%} CI {percent(self.low)} to {percent(self.high)})"
        )


def proportion(count: int, total: int, confidence: float = CONFIDENCE) -> Proportion:
    low, high = wilson_interval(count, total, confidence)
    return Proportion(count=count, total=total, low=low, high=high, confidence=confidence)


def percent(value: float | None) -> str:
    """A rate as a percentage with two significant figures, however small."""
    if value is None:
        return "n/a"
    if value == 0:
        return "0%"
    scaled = value * 100
    if scaled >= 10:
        return f"{scaled:.1f}%"
    return f"{float(f'{scaled:.2g}'):g}%"


def one_in(value: float | None) -> str:
    """A small rate as '1 in N', N rounded to two significant figures."""
    if not value:
        return "none"
    n = 1 / value
    if n < 10:
        return percent(value)  # "1 in 2.5" reads worse than "40%"
    rounded = int(float(f"{n:.2g}"))
    return f"1 in {rounded:,}"
