"""Prometheus metrics: camera health at /metrics, and task counts from each Celery worker.

Counts and timings only. Labels name a deployment by its public id and a camera by its
name; nothing about a face, a watchlist entry or its reference is ever a label or a value.

The portal's figures are read from the database when Prometheus scrapes, so every web
process answers the same. Workers count their own tasks in memory and serve them on
LFR_WORKER_METRICS_PORT (see start_worker_metrics).
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from celery import signals
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

CAMERA_LABELS = ["deployment", "camera"]

# (metric name, help, health key, scale to base units) for the per-camera gauges.
CAMERA_GAUGES = (
    ("lfr_camera_source_fps", "Frames per second the camera itself delivers.", "source_fps", 1),
    ("lfr_camera_read_fps", "Frames per second read from the source.", "read_fps", 1),
    ("lfr_camera_analysed_fps", "Frames per second analysed.", "analysed_fps", 1),
    (
        "lfr_camera_skipped_ratio",
        "Share of delivered frames never analysed (0..1), in the latest window.",
        "skipped_share",
        1,
    ),
    (
        "lfr_camera_detect_mean_seconds",
        "Mean face detection time per analysed frame.",
        "detect_ms_mean",
        0.001,
    ),
    (
        "lfr_camera_detect_p95_seconds",
        "95th percentile face detection time per analysed frame.",
        "detect_ms_p95",
        0.001,
    ),
    (
        "lfr_camera_embed_mean_seconds",
        "Mean embedding time per analysed frame.",
        "embed_ms_mean",
        0.001,
    ),
    (
        "lfr_camera_embed_p95_seconds",
        "95th percentile embedding time per analysed frame.",
        "embed_ms_p95",
        0.001,
    ),
    ("lfr_camera_lag_seconds", "How far behind live the last analysed frame was.", "lag_s", 1),
    ("lfr_camera_lag_max_seconds", "Most behind live in the latest window.", "lag_s_max", 1),
    (
        "lfr_camera_alert_latency_last_seconds",
        "From the person's first frame to the last alert committed on this camera.",
        "alert_latency_ms_last",
        0.001,
    ),
    (
        "lfr_camera_people_in_view",
        "People being followed in view now (a count).",
        "people_in_view",
        1,
    ),
)


class _CameraFamilies:
    """The per-camera metric families of one scrape, filled one booking at a time."""

    def __init__(self) -> None:
        self.counters = {
            "frames_read": CounterMetricFamily(
                "lfr_camera_frames_read",
                "Frames read from the camera's source.",
                labels=CAMERA_LABELS,
            ),
            "frames_processed": CounterMetricFamily(
                "lfr_camera_frames_analysed", "Frames analysed for faces.", labels=CAMERA_LABELS
            ),
            "frames_skipped": CounterMetricFamily(
                "lfr_camera_frames_skipped",
                "Frames read but never analysed (older than a newer frame, or over the rate).",
                labels=CAMERA_LABELS,
            ),
            "faces_processed": CounterMetricFamily(
                "lfr_camera_people_seen",
                "People seen by the camera (tracks, not faces kept).",
                labels=CAMERA_LABELS,
            ),
        }
        self.gauges = [
            (GaugeMetricFamily(name, text, labels=CAMERA_LABELS), key, scale)
            for name, text, key, scale in CAMERA_GAUGES
        ]
        self.behind = GaugeMetricFamily(
            "lfr_camera_falling_behind",
            "1 when the camera is falling behind live (lag over 1 s, or under its analysis rate).",
            labels=CAMERA_LABELS,
        )
        self.age = GaugeMetricFamily(
            "lfr_camera_health_age_seconds",
            "Seconds since the camera's figures were last committed.",
            labels=CAMERA_LABELS,
        )

    def add(self, booking: Any, health: Any, *, now: datetime) -> None:
        labels = [str(booking.deployment.public_id), booking.camera.name]
        for field_name, counter in self.counters.items():
            counter.add_metric(labels, getattr(booking, field_name))
        figures = booking.health if isinstance(booking.health, dict) else {}
        for gauge, key, scale in self.gauges:
            value = figures.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                gauge.add_metric(labels, value * scale)
        if health.verdict != "no_figures":
            self.behind.add_metric(labels, 1 if health.falling_behind else 0)
        if booking.health_at is not None:
            self.age.add_metric(labels, (now - booking.health_at).total_seconds())

    def families(self) -> Iterator[Metric]:
        yield from self.counters.values()
        yield from (family for family, _, _ in self.gauges)
        yield self.behind
        yield self.age


# (health key, metric name, help) for the totals over every camera ever booked.
FRAME_TOTALS = (
    ("frames_read", "lfr_frames_read", "Frames read, over every camera ever booked."),
    ("frames_analysed", "lfr_frames_analysed", "Frames analysed, over every camera."),
    ("frames_skipped", "lfr_frames_skipped", "Frames skipped, over every camera."),
    ("faces", "lfr_people_seen", "People seen, over every camera."),
)


class CameraHealthCollector(Collector):
    """Per-camera counters and gauges for live cameras, and totals over all of them."""

    def collect(self) -> Iterator[Metric]:
        # Read at scrape time: celery.py loads this module before the app registry is ready.
        from .selectors.health import (
            analysis_rate,
            bookings_for_metrics,
            camera_health,
            frame_totals,
        )

        cameras = _CameraFamilies()
        now = timezone.now()
        target = analysis_rate()
        for booking in bookings_for_metrics():
            cameras.add(booking, camera_health(booking, target_fps=target), now=now)
        yield from cameras.families()
        totals = frame_totals()
        for key, name, text in FRAME_TOTALS:
            yield CounterMetricFamily(name, text, value=totals[key])


class AlertLatencyCollector(Collector):
    """Alert latency over the recent window, as a histogram Prometheus can take quantiles of."""

    def collect(self) -> Iterator[Metric]:
        # Read at scrape time: celery.py loads this module before the app registry is ready.
        from .selectors.health import alert_latency_histogram

        histogram = alert_latency_histogram()
        minutes = int(histogram.window.total_seconds() // 60)
        family = HistogramMetricFamily(
            "lfr_alert_latency_seconds",
            "From the person's first frame to the alert being committed, over alerts raised "
            f"in the last {minutes} minutes (not cumulative: a window).",
        )
        family.add_metric(
            [],
            buckets=[(repr(bound), count) for bound, count in histogram.buckets]
            + [("+Inf", histogram.count)],
            sum_value=histogram.total_s,
        )
        yield family


def portal_registry() -> CollectorRegistry:
    """A registry of the portal's collectors, kept apart from the process-wide default."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CameraHealthCollector())
    registry.register(AlertLatencyCollector())
    return registry


PORTAL_REGISTRY = portal_registry()


def _bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def scrape_allowed(request: HttpRequest) -> bool:
    """A signed-in staff member, or the scrape token (compared in constant time)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active and user.is_staff:
        return True
    expected = settings.LFR_METRICS_SCRAPE_TOKEN
    given = _bearer_token(request)
    return bool(expected and given) and hmac.compare_digest(
        given.encode("utf-8"), expected.encode("utf-8")
    )


def metrics_view(request: HttpRequest) -> HttpResponse:
    # Anyone else gets the site's own 404: the endpoint does not admit it exists.
    if not scrape_allowed(request):
        raise Http404("Not found")
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = HttpResponse(encoder(PORTAL_REGISTRY), content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


# --- Celery workers ---------------------------------------------------------------------

WORKER_REGISTRY = CollectorRegistry(auto_describe=True)
TASKS = Counter(
    "lfr_celery_tasks",
    "Tasks run in this worker process, by name and outcome.",
    ["task", "outcome"],
    registry=WORKER_REGISTRY,
)
TASK_RUNTIME = Histogram(
    "lfr_celery_task_runtime_seconds",
    "Wall-clock time of each task run in this worker process.",
    ["task"],
    # Camera jobs run for up to LFR_RECOGNITION_TASK_SECONDS; governance tasks take ms.
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0),
    registry=WORKER_REGISTRY,
)
# Celery's state names, in the words the metric uses.
OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}

_started: dict[str, float] = {}
_started_lock = threading.Lock()
_signals_connected = False
_server_started = False


def task_started(sender: Any = None, task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        with _started_lock:
            _started[task_id] = time.monotonic()


def task_finished(
    sender: Any = None, task_id: str | None = None, state: str | None = None, **kwargs: Any
) -> None:
    name = getattr(sender, "name", None) or "unknown"
    with _started_lock:
        began = _started.pop(task_id, None) if task_id else None
    if began is not None:
        TASK_RUNTIME.labels(task=name).observe(time.monotonic() - began)
    TASKS.labels(task=name, outcome=OUTCOMES.get(state or "", "other")).inc()


def connect_task_signals() -> None:
    """Count every task this process runs (once, however often it is called)."""
    global _signals_connected
    if _signals_connected:
        return
    signals.task_prerun.connect(task_started, weak=False)
    signals.task_postrun.connect(task_finished, weak=False)
    _signals_connected = True


def serve_worker_metrics(port: int) -> bool:
    """Serve WORKER_REGISTRY on LFR_WORKER_METRICS_ADDR:port; False (and one warning) if
    the port is taken, as when several workers share a host: the worker carries on."""
    global _server_started
    if _server_started or port <= 0:
        return False
    address = settings.LFR_WORKER_METRICS_ADDR
    try:
        start_http_server(port, addr=address, registry=WORKER_REGISTRY)
    except OSError as exc:
        logger.warning(
            "Worker metrics not served: %s:%s is not free (%s); give each worker its own "
            "LFR_WORKER_METRICS_PORT.",
            address,
            port,
            exc.strerror or exc,
        )
        return False
    _server_started = True
    logger.info("Worker metrics served on %s:%s/metrics", address, port)
    return True


def start_worker_metrics(*, process_index: int | None = None) -> None:
    """Count tasks and serve the counts, in a process that runs tasks.

    A prefork child serves on LFR_WORKER_METRICS_PORT plus its index in the pool, so a
    worker of four children uses four ports in a row; a solo or thread-pool worker runs
    tasks in its own process and serves on the port itself.
    """
    port = settings.LFR_WORKER_METRICS_PORT
    if port <= 0:
        return
    connect_task_signals()
    serve_worker_metrics(port + (process_index or 0))
