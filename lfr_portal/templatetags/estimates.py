"""The review page's false-alert estimate as a reader sees it: one rounded sentence, a
small server-drawn figure and the working behind it."""

from dataclasses import dataclass

from django import template
from django.utils.translation import ngettext

from ..selectors.accuracy import ExpectedFalseAlerts, ceiling_for

register = template.Library()

# The figure's drawing area, in SVG user units.
WIDTH, LEFT, RIGHT = 400, 12, 388


def _two_figures(value: float) -> int:
    return int(float(f"{value:.2g}"))


def count_words(value: float) -> str:
    """A number of alerts as a person would say it: no tenths of an alert."""
    if value < 1:
        return "fewer than 1"
    if value < 10:
        return f"about {round(value):,}"
    return f"about {_two_figures(value):,}"


@dataclass(frozen=True)
class Estimate:
    sentence: str
    figure_text: str
    comparisons: int
    low_words: str
    high_words: str
    one_in_faces: int | None
    ceiling_count: float
    # Figure geometry, in SVG units.
    scale_max: float
    x_expected: float
    x_low: float
    x_high: float
    x_ceiling: float | None
    bar_width: float


def _x(value: float, scale_max: float) -> float:
    return round(LEFT + (RIGHT - LEFT) * min(value, scale_max) / scale_max, 1)


def estimate_for(expected: ExpectedFalseAlerts, deployment) -> Estimate | None:
    if expected is None or expected.expected is None:
        return None
    faces = expected.expected_faces
    value, low, high = expected.expected, expected.expected_low, expected.expected_high
    words = count_words(value)
    if value < 1:
        sentence = ngettext(
            "Fewer than 1 expected false alert in %(faces)s face.",
            "Fewer than 1 expected false alert in %(faces)s faces.",
            faces,
        ) % {"faces": f"{faces:,}"}
    else:
        rounded = round(value) if value < 10 else _two_figures(value)
        sentence = ngettext(
            "%(words)s expected false alert in %(faces)s faces.",
            "%(words)s expected false alerts in %(faces)s faces.",
            rounded,
        ) % {"words": words.capitalize(), "faces": f"{faces:,}"}
    ceiling_count = float(ceiling_for(deployment)) * faces
    scale_max = max(high, ceiling_count, 1.0) * 1.1
    x_low, x_high = _x(low, scale_max), _x(high, scale_max)
    figure_text = (
        f"Expected false alerts: {words}, with a 95% range from {count_words(low)} to "
        f"{count_words(high)}"
    )
    if ceiling_count:
        figure_text += (
            f"; the false-alert ceiling would be reached at {count_words(ceiling_count)} "
            "false alerts"
        )
    return Estimate(
        sentence=sentence,
        figure_text=figure_text + ".",
        comparisons=expected.watchlist_size * faces,
        low_words=count_words(low),
        high_words=count_words(high),
        one_in_faces=_two_figures(faces / value) if value and faces / value >= 10 else None,
        ceiling_count=ceiling_count,
        scale_max=scale_max,
        x_expected=_x(value, scale_max),
        x_low=x_low,
        x_high=x_high,
        x_ceiling=_x(ceiling_count, scale_max) if ceiling_count else None,
        # A range too narrow to see is drawn two units wide.
        bar_width=max(round(x_high - x_low, 1), 2),
    )


@register.simple_tag
def false_alert_estimate(expected, deployment):
    return estimate_for(expected, deployment)
