"""Reads of each camera's health: counts and timings of its recognition job, never faces.

The job commits the figures of its latest window with every chunk (DeploymentCamera.health,
keys as matcher.live.HealthWindow.as_dict writes them); a key it has not written yet is
unknown, never zero. Pages take a verdict from here; /metrics takes the raw rows.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from ..models import Alert, CameraState, DeploymentCamera, DeploymentStatus
from .recognition import with_shown_state

# matcher.live.AnalysisSettings.analysis_fps, the rate used when LFR_ANALYSIS_FPS is 0; the
# portal never imports the matcher, so a test holds the two equal.
DEFAULT_ANALYSIS_FPS = 12.5
# Further behind live than this and an alert may come after the person has walked on.
LAG_LIMIT_S = 1.0
# A window's measured rate wobbles with chunk boundaries; 10% short is still keeping up.
RATE_TOLERANCE = 0.9

KEEPING_UP = "keeping_up"
FALLING_BEHIND = "falling_behind"
NO_FIGURES = "no_figures"
VERDICT_LABELS = {
    KEEPING_UP: "Keeping up",
    FALLING_BEHIND: "Falling behind",
    NO_FIGURES: "No figures yet",
}


def analysis_rate() -> float:
    """The frames per second each camera should analyse, as configured."""
    return float(settings.LFR_ANALYSIS_FPS or DEFAULT_ANALYSIS_FPS)


def _number(figures: dict[str, Any], key: str) -> float | None:
    value = figures.get(key)
    # bool is an int; a flag is never a figure.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@dataclass(frozen=True)
class CameraHealth:
    """One camera's latest figures and what they mean, for a person to read at a glance."""

    verdict: str
    reasons: tuple[str, ...]
    at: datetime | None
    source_fps: float | None = None
    read_fps: float | None = None
    analysed_fps: float | None = None
    expected_fps: float | None = None
    skipped_share: float | None = None
    detect_ms_mean: float | None = None
    detect_ms_p95: float | None = None
    embed_ms_mean: float | None = None
    embed_ms_p95: float | None = None
    lag_s: float | None = None
    lag_s_max: float | None = None
    alert_latency_ms_last: float | None = None
    detect_scale: float | None = None
    people_in_view: float | None = None
    window_s: float | None = None
    frames_read: int = 0
    frames_analysed: int = 0
    frames_skipped: int = 0
    # Set when the camera's job is not running now: the figures are its last ones.
    stale: bool = False

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS[self.verdict]

    @property
    def falling_behind(self) -> bool:
        return self.verdict == FALLING_BEHIND

    @property
    def analysed_share(self) -> float | None:
        """Analysed frames per second as a share of the rate expected (0..1), for a bar."""
        if self.analysed_fps is None or not self.expected_fps:
            return None
        return max(0.0, min(1.0, self.analysed_fps / self.expected_fps))

    def lines(self) -> list[dict[str, Any]]:
        """The figures as a person reads them, the same on the page and in the feed:
        key, label, text ("—" when unknown) and, where a glance says more, a meter."""
        return [
            {
                "key": "analysed",
                "label": "Analysed",
                "text": _rate_text(self.analysed_fps, self.source_fps, self.expected_fps),
                "meter": _meter(
                    self.analysed_fps,
                    high=self.expected_fps,
                    low=(self.expected_fps or 0) * RATE_TOLERANCE,
                    optimum=self.expected_fps,
                    label="Analysed frame rate against the rate expected",
                ),
            },
            {
                "key": "skipped",
                "label": "Skipped",
                "text": _text(self.skipped_share, 100, 0, "%"),
                "meter": None,
            },
            {
                "key": "lag",
                "label": "Behind live",
                "text": _text(self.lag_s, 1, 2, " s")
                + (f" (most {self.lag_s_max:.2f} s)" if self.lag_s_max is not None else ""),
                "meter": _meter(
                    self.lag_s,
                    high=2 * LAG_LIMIT_S,
                    low=LAG_LIMIT_S / 2,
                    optimum=0.0,
                    label="Lag behind live, against its limit of one second",
                    limit=LAG_LIMIT_S,
                ),
            },
            {
                "key": "detect",
                "label": "Detection",
                "text": _timing_text(self.detect_ms_mean, self.detect_ms_p95),
                "meter": None,
            },
            {
                "key": "embed",
                "label": "Embedding",
                "text": _timing_text(self.embed_ms_mean, self.embed_ms_p95),
                "meter": None,
            },
            {
                "key": "alert_latency",
                "label": "Last alert",
                "text": _text(self.alert_latency_ms_last, 1, 0, " ms after first seen"),
                "meter": None,
            },
        ]

    def summary(self) -> str:
        """One line for lists: the rate, the lag and the last alert's latency."""
        if self.verdict == NO_FIGURES:
            return ""
        parts = [
            f"{_rate_text(self.analysed_fps, self.source_fps, None)} analysed",
            f"{_text(self.lag_s, 1, 2, ' s')} behind live",
        ]
        if self.alert_latency_ms_last is not None:
            parts.append(f"last alert {self.alert_latency_ms_last:.0f} ms")
        return ", ".join(parts)

    def as_json(self) -> dict[str, Any]:
        """The figures for the live view's feed: numbers or None, never anything else."""
        return {
            "verdict": self.verdict,
            "verdict_label": self.verdict_label,
            "reasons": list(self.reasons),
            "at": self.at.isoformat() if self.at else "",
            "at_label": timezone.localtime(self.at).strftime("%H:%M:%S") if self.at else "",
            "stale": self.stale,
            "lines": self.lines(),
            "source_fps": self.source_fps,
            "read_fps": self.read_fps,
            "analysed_fps": self.analysed_fps,
            "expected_fps": self.expected_fps,
            "analysed_share": self.analysed_share,
            "skipped_share": self.skipped_share,
            "detect_ms_mean": self.detect_ms_mean,
            "detect_ms_p95": self.detect_ms_p95,
            "embed_ms_mean": self.embed_ms_mean,
            "embed_ms_p95": self.embed_ms_p95,
            "lag_s": self.lag_s,
            "lag_s_max": self.lag_s_max,
            "alert_latency_ms_last": self.alert_latency_ms_last,
            "people_in_view": self.people_in_view,
            "frames_read": self.frames_read,
            "frames_analysed": self.frames_analysed,
            "frames_skipped": self.frames_skipped,
        }


UNKNOWN = "—"


def _text(value: float | None, scale: float, digits: int, unit: str) -> str:
    return UNKNOWN if value is None else f"{value * scale:.{digits}f}{unit}"


def _rate_text(analysed: float | None, source: float | None, expected: float | None) -> str:
    text = _text(analysed, 1, 1, "")
    text += f" of {source:.1f} fps" if source is not None else " fps"
    return text + (f" (expected {expected:.1f})" if expected is not None else "")


def _timing_text(mean: float | None, p95: float | None) -> str:
    text = _text(mean, 1, 1, " ms")
    return text + (f" (p95 {p95:.1f})" if p95 is not None else "")


def _meter(
    value: float | None,
    *,
    high: float | None,
    low: float,
    optimum: float | None,
    label: str,
    limit: float | None = None,
) -> dict[str, Any] | None:
    """An HTML <meter>'s attributes: the browser colours it by which side of low and
    high the value falls, with no style of ours (the CSP allows none inline)."""
    if value is None or not high:
        return None
    limit = high if limit is None else limit
    return {
        "value": round(min(value, high), 3),
        "min": 0,
        "max": round(high, 3),
        "low": round(low, 3),
        "high": round(limit, 3),
        "optimum": round(optimum or 0.0, 3),
        "label": label,
    }


def expected_rate(source_fps: float | None, target_fps: float) -> float:
    """What the analyser should manage: the configured rate, or the source's if slower."""
    return min(target_fps, source_fps) if source_fps else target_fps


def camera_health(booking: DeploymentCamera, *, target_fps: float | None = None) -> CameraHealth:
    """The booking's health: "keeping up", "falling behind" or "no figures yet".

    Falling behind is a lag behind live over LAG_LIMIT_S, or frames skipped while the
    analysed rate stays under the rate expected (the configured one, or the source's own
    when that is lower). Skipping alone is by design: frames beyond the rate are dropped.
    """
    figures = booking.health if isinstance(booking.health, dict) else {}
    # Any: the counters fill int fields of a dataclass that also has bool and float ones.
    totals: dict[str, Any] = {
        "frames_read": booking.frames_read,
        "frames_analysed": booking.frames_processed,
        "frames_skipped": booking.frames_skipped,
    }
    if not figures or booking.health_at is None:
        return CameraHealth(verdict=NO_FIGURES, reasons=(), at=booking.health_at, **totals)
    target = analysis_rate() if target_fps is None else target_fps
    # Any: each value is float | None, typed here so it can fill the dataclass's fields.
    known: dict[str, Any] = {
        key: _number(figures, key)
        for key in (
            "source_fps",
            "read_fps",
            "analysed_fps",
            "skipped_share",
            "detect_ms_mean",
            "detect_ms_p95",
            "embed_ms_mean",
            "embed_ms_p95",
            "lag_s",
            "lag_s_max",
            "alert_latency_ms_last",
            "detect_scale",
            "people_in_view",
            "window_s",
        )
    }
    expected = expected_rate(known["source_fps"], target)
    reasons = []
    lag = known["lag_s"]
    if lag is not None and lag > LAG_LIMIT_S:
        reasons.append(f"{lag:.1f} s behind live (limit {LAG_LIMIT_S:.0f} s)")
    analysed, skipped = known["analysed_fps"], known["skipped_share"]
    if (
        analysed is not None
        and skipped is not None
        and skipped > 0
        and analysed < expected * RATE_TOLERANCE
    ):
        reasons.append(f"analysing {analysed:.1f} frames a second of {expected:.1f} expected")
    if not reasons and analysed is None and lag is None:
        return CameraHealth(verdict=NO_FIGURES, reasons=(), at=booking.health_at, **totals)
    return CameraHealth(
        verdict=FALLING_BEHIND if reasons else KEEPING_UP,
        reasons=tuple(reasons),
        at=booking.health_at,
        expected_fps=expected,
        **known,
        **totals,
    )


def with_health(bookings: Iterable[DeploymentCamera]) -> list[DeploymentCamera]:
    """The bookings with `shown_state`, `shown_state_label` and `camera_health` set."""
    target = analysis_rate()
    bookings = with_shown_state(bookings)
    for booking in bookings:
        health = camera_health(booking, target_fps=target)
        # shown_state and camera_health are display attributes set on the instance.
        if health.verdict != NO_FIGURES and booking.shown_state != CameraState.RUNNING:  # type: ignore[attr-defined]
            health = replace(health, stale=True)
        booking.camera_health = health  # type: ignore[attr-defined]
    return bookings


def cameras_with_health(deployment_ids: Sequence[int]) -> dict[int, list[DeploymentCamera]]:
    """Each deployment's cameras with their health, by deployment id, in one query."""
    by_deployment: dict[int, list[DeploymentCamera]] = {pk: [] for pk in deployment_ids}
    if not deployment_ids:
        return by_deployment
    bookings = (
        DeploymentCamera.objects.filter(deployment_id__in=deployment_ids)
        .select_related("camera")
        .order_by("deployment_id", "camera__name")
    )
    for booking in with_health(bookings):
        by_deployment[booking.deployment_id].append(booking)
    return by_deployment


# --- For /metrics (lfr_portal/metrics.py): rows, not objects ------------------------


def bookings_for_metrics() -> QuerySet[DeploymentCamera]:
    """Cameras worth a series: those of live deployments, and any whose job still runs."""
    return (
        DeploymentCamera.objects.filter(
            Q(deployment__status=DeploymentStatus.LIVE) | Q(state=CameraState.RUNNING)
        )
        .select_related("deployment", "camera")
        .order_by("deployment_id", "camera__name")
    )


def frame_totals() -> dict[str, int]:
    """Frames read, analysed and skipped, and people seen, over every camera booked."""
    sums = DeploymentCamera.objects.aggregate(
        frames_read=Sum("frames_read"),
        frames_analysed=Sum("frames_processed"),
        frames_skipped=Sum("frames_skipped"),
        faces=Sum("faces_processed"),
    )
    return {key: int(value or 0) for key, value in sums.items()}


# Alert latency buckets in seconds: the goal is p95 under half a second.
LATENCY_BUCKETS_S = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True)
class LatencyHistogram:
    """Alert latencies (created_at - first_seen_at) over a recent window, cumulative buckets."""

    window: timedelta
    buckets: tuple[tuple[float, int], ...]
    count: int
    total_s: float


def alert_latency_histogram(
    *, window: timedelta | None = None, now: datetime | None = None
) -> LatencyHistogram:
    """Alerts raised within `window` (LFR_METRICS_ALERT_WINDOW_MINUTES), in one query."""
    window = window or timedelta(minutes=settings.LFR_METRICS_ALERT_WINDOW_MINUTES)
    now = now or timezone.now()
    latency = ExpressionWrapper(F("created_at") - F("first_seen_at"), output_field=DurationField())
    recent = Alert.objects.filter(
        created_at__gte=now - window, first_seen_at__isnull=False
    ).annotate(latency=latency)
    counts = {
        f"le_{i}": Count("pk", filter=Q(latency__lte=timedelta(seconds=bound)))
        for i, bound in enumerate(LATENCY_BUCKETS_S)
    }
    row = recent.aggregate(count=Count("pk"), total=Sum("latency"), **counts)
    return LatencyHistogram(
        window=window,
        buckets=tuple(
            (bound, int(row[f"le_{i}"] or 0)) for i, bound in enumerate(LATENCY_BUCKETS_S)
        ),
        count=int(row["count"] or 0),
        total_s=row["total"].total_seconds() if row["total"] else 0.0,
    )
