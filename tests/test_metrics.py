"""/metrics for Prometheus: only for staff or the scrape token, camera figures read from the
database at scrape time, nothing about a face or a watchlist entry; and the Celery
workers' own task counts."""

import logging
import socket
import urllib.request
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from celery import signals
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from lfr_portal import celery as celery_app
from lfr_portal import metrics
from lfr_portal.models import Alert, CameraState, DeploymentCamera, DeploymentStatus, Role
from lfr_portal.tasks import worker_heartbeat
from tests.factories import (
    AlertFactory,
    BookingFactory,
    CameraFactory,
    DeploymentFactory,
    EntryFactory,
    UserFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db
TOKEN = "k3Yb0x-scrape-token-0123456789abcdef"
FIGURES = {
    "window_s": 2.0,
    "source_fps": 25.0,
    "read_fps": 24.8,
    "analysed_fps": 12.4,
    "skipped_share": 0.5,
    "detect_ms_mean": 8.0,
    "detect_ms_p95": 12.0,
    "embed_ms_mean": 4.0,
    "embed_ms_p95": 6.0,
    "lag_s": 0.25,
    "lag_s_max": 0.5,
    "alert_latency_ms_last": 300.0,
    "people_in_view": 2,
}


@pytest.fixture
def token(settings):
    settings.LFR_METRICS_SCRAPE_TOKEN = TOKEN
    return TOKEN


def scrape(client, **headers):
    return client.get("/metrics", **headers)


def samples(body):
    """{(name, frozenset(labels)): value} from the exposition text, parsed as Prometheus would."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


# --- Who may scrape ---------------------------------------------------------------------


def test_anonymous_and_non_staff_users_are_told_nothing_is_there(client, token):
    assert scrape(client).status_code == 404
    client.force_login(user_with_role(Role.OPERATOR))
    assert scrape(client).status_code == 404
    # Nor does a staff account that has been switched off.
    client.force_login(UserFactory(is_staff=True, is_active=False))
    assert scrape(client).status_code == 404


def test_a_signed_in_staff_member_may_scrape(client, token):
    client.force_login(UserFactory(is_staff=True))
    response = scrape(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    assert "lfr_frames_read_total" in response.content.decode()


def test_the_scrape_token_opens_it_and_a_wrong_one_does_not(client, token):
    assert scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert scrape(client, HTTP_AUTHORIZATION=f"bearer {TOKEN}").status_code == 200
    for wrong in (
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        "Bearer ",
        f"Basic {TOKEN}",
        TOKEN,
    ):
        assert scrape(client, HTTP_AUTHORIZATION=wrong).status_code == 404, wrong


def test_the_token_is_compared_in_constant_time(client, token):
    with mock.patch("lfr_portal.metrics.hmac.compare_digest", return_value=False) as compare:
        assert scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404
    compare.assert_called_once_with(TOKEN.encode(), TOKEN.encode())


def test_without_a_configured_token_no_token_opens_it(client, settings):
    settings.LFR_METRICS_SCRAPE_TOKEN = ""
    assert scrape(client, HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert scrape(client, HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_openmetrics_is_served_to_a_scraper_that_asks(client, token):
    response = scrape(
        client,
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
        HTTP_ACCEPT="application/openmetrics-text; version=1.0.0",
    )
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.decode().rstrip().endswith("# EOF")


# --- What it says -------------------------------------------------------------------------


def live_camera(name, figures=FIGURES, **fields):
    booking = BookingFactory(
        deployment=DeploymentFactory(status=DeploymentStatus.LIVE), camera=CameraFactory(name=name)
    )
    values = {
        "state": CameraState.RUNNING,
        "job_heartbeat_at": timezone.now(),
        "health": figures,
        "health_at": timezone.now() - timedelta(seconds=3),
        **fields,
    }
    DeploymentCamera.objects.filter(pk=booking.pk).update(**values)
    booking.refresh_from_db()
    return booking


def test_the_camera_figures_come_from_the_database(client, token):
    booking = live_camera(
        "Oxford Circus north",
        frames_read=1000,
        frames_processed=498,
        frames_skipped=502,
        faces_processed=37,
    )
    behind = live_camera("Oxford Circus south", {**FIGURES, "lag_s": 3.5})
    # An ended deployment's camera counts in the totals but has no series of its own.
    ended = BookingFactory(
        deployment=DeploymentFactory(status=DeploymentStatus.COMPLETED),
        camera=CameraFactory(name="Long gone"),
    )
    DeploymentCamera.objects.filter(pk=ended.pk).update(frames_read=5000, frames_skipped=10)
    body = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    values = samples(body)
    labels = frozenset(
        {"deployment": str(booking.deployment.public_id), "camera": "Oxford Circus north"}.items()
    )
    assert values[("lfr_camera_frames_read_total", labels)] == 1000
    assert values[("lfr_camera_frames_analysed_total", labels)] == 498
    assert values[("lfr_camera_frames_skipped_total", labels)] == 502
    assert values[("lfr_camera_people_seen_total", labels)] == 37
    assert values[("lfr_camera_analysed_fps", labels)] == 12.4
    assert values[("lfr_camera_source_fps", labels)] == 25.0
    assert values[("lfr_camera_skipped_ratio", labels)] == 0.5
    assert values[("lfr_camera_lag_seconds", labels)] == 0.25
    assert values[("lfr_camera_detect_mean_seconds", labels)] == pytest.approx(0.008)
    assert values[("lfr_camera_embed_p95_seconds", labels)] == pytest.approx(0.006)
    assert values[("lfr_camera_alert_latency_last_seconds", labels)] == pytest.approx(0.3)
    assert values[("lfr_camera_falling_behind", labels)] == 0
    assert 2.5 < values[("lfr_camera_health_age_seconds", labels)] < 60
    behind_labels = frozenset(
        {"deployment": str(behind.deployment.public_id), "camera": "Oxford Circus south"}.items()
    )
    assert values[("lfr_camera_falling_behind", behind_labels)] == 1
    assert values[("lfr_frames_read_total", frozenset())] == 6000
    assert values[("lfr_frames_skipped_total", frozenset())] == 512
    assert values[("lfr_people_seen_total", frozenset())] == 37
    assert "Long gone" not in body


def test_a_figure_not_known_yet_has_no_sample(client, token):
    booking = live_camera("Bank", {"analysed_fps": 10.0})
    values = samples(scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode())
    labels = frozenset({"deployment": str(booking.deployment.public_id), "camera": "Bank"}.items())
    assert values[("lfr_camera_analysed_fps", labels)] == 10.0
    assert ("lfr_camera_lag_seconds", labels) not in values
    assert ("lfr_camera_detect_mean_seconds", labels) not in values


def test_nothing_about_a_watchlist_entry_reaches_the_metrics(client, token):
    booking = live_camera("Victoria")
    entry = EntryFactory(
        watchlist=booking.deployment.watchlist,
        display_name="Zebedee Quartermain",
        reference_number="WL-REF-778899",
    )
    AlertFactory(
        deployment=booking.deployment,
        camera=booking,
        entry=entry,
        first_seen_at=timezone.now() - timedelta(seconds=1),
    )
    body = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert "Victoria" in body
    for secret in ("Zebedee", "Quartermain", "WL-REF-778899", str(entry.public_id), "0.5123"):
        assert secret not in body
    labels_seen = {
        name
        for family in text_string_to_metric_families(body)
        for s in family.samples
        for name in s.labels
    }
    assert labels_seen <= {"deployment", "camera", "le"}


def test_alert_latency_is_a_histogram_over_recent_alerts(client, token, settings):
    settings.LFR_METRICS_ALERT_WINDOW_MINUTES = 60
    booking = live_camera("Holborn")
    now = timezone.now()
    for _ in range(3):
        AlertFactory(deployment=booking.deployment, camera=booking, entry=None, entry_reference="R")
    # Latency is created_at - first_seen_at; created_at is set on insert, so set both.
    alerts = list(Alert.objects.filter(camera=booking).order_by("pk"))
    for alert, seconds in zip(alerts, (0.2, 0.4, 3.0), strict=True):
        Alert.objects.filter(pk=alert.pk).update(
            created_at=now, first_seen_at=now - timedelta(seconds=seconds)
        )
    # Too old to count, and one with no first sighting recorded.
    old = AlertFactory(
        deployment=booking.deployment, camera=booking, entry=None, entry_reference="R"
    )
    Alert.objects.filter(pk=old.pk).update(
        created_at=now - timedelta(hours=2), first_seen_at=now - timedelta(hours=2, seconds=1)
    )
    AlertFactory(deployment=booking.deployment, camera=booking, entry=None, entry_reference="R")
    values = samples(scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode())

    def bucket(le):
        return values[("lfr_alert_latency_seconds_bucket", frozenset({"le": le}.items()))]

    assert bucket("0.1") == 0 and bucket("0.25") == 1 and bucket("0.5") == 2
    assert bucket("2.0") == 2 and bucket("5.0") == 3 and bucket("+Inf") == 3
    assert values[("lfr_alert_latency_seconds_count", frozenset())] == 3
    assert values[("lfr_alert_latency_seconds_sum", frozenset())] == pytest.approx(3.6)


def test_a_scrape_costs_the_same_queries_however_many_cameras(client, token):
    live_camera("One")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
        return len(captured)

    one = queries()
    for name in ("Two", "Three", "Four"):
        live_camera(name)
    assert queries() == one <= 3


# --- Celery workers -----------------------------------------------------------------------


def task_count(name, outcome):
    value = metrics.WORKER_REGISTRY.get_sample_value(
        "lfr_celery_tasks_total", {"task": name, "outcome": outcome}
    )
    return value or 0.0


def runtime_count(name):
    value = metrics.WORKER_REGISTRY.get_sample_value(
        "lfr_celery_task_runtime_seconds_count", {"task": name}
    )
    return value or 0.0


@pytest.fixture
def counting(monkeypatch):
    """Task signals connected as in a worker, and disconnected after the test."""
    monkeypatch.setattr(metrics, "_signals_connected", False)
    metrics.connect_task_signals()
    yield
    signals.task_prerun.disconnect(metrics.task_started)
    signals.task_postrun.disconnect(metrics.task_finished)


def test_a_worker_counts_a_task_run_by_name_and_outcome(counting):
    name = worker_heartbeat.name
    succeeded, failed, runs = (
        task_count(name, "succeeded"),
        task_count(name, "failed"),
        (runtime_count(name)),
    )
    assert worker_heartbeat.apply(kwargs={"queue": "default"}).successful()
    assert task_count(name, "succeeded") == succeeded + 1
    assert runtime_count(name) == runs + 1
    with mock.patch("lfr_portal.tasks.worker_heartbeat_record", side_effect=RuntimeError("x")):
        assert worker_heartbeat.apply(kwargs={"queue": "default"}).failed()
    assert task_count(name, "failed") == failed + 1
    assert runtime_count(name) == runs + 2
    assert not metrics._started  # nothing left behind per task


def test_a_retried_task_is_counted_as_retried():
    before = task_count("lfr_portal.some_task", "retried")
    sender = SimpleNamespace(name="lfr_portal.some_task")
    metrics.task_started(sender=sender, task_id="t-1")
    metrics.task_finished(sender=sender, task_id="t-1", state="RETRY")
    assert task_count("lfr_portal.some_task", "retried") == before + 1


def test_worker_metrics_are_off_by_default(settings):
    assert settings.LFR_WORKER_METRICS_PORT == 0
    with (
        mock.patch.object(metrics, "connect_task_signals") as connect,
        mock.patch.object(metrics, "serve_worker_metrics") as serve,
    ):
        metrics.start_worker_metrics()
    connect.assert_not_called()
    serve.assert_not_called()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_worker_serves_its_counts_on_loopback(monkeypatch, settings):
    monkeypatch.setattr(metrics, "_server_started", False)
    settings.LFR_WORKER_METRICS_ADDR = "127.0.0.1"
    port = free_port()
    assert metrics.serve_worker_metrics(port) is True
    metrics.TASKS.labels(task="lfr_portal.served_task", outcome="succeeded").inc()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        body = response.read().decode()
    assert 'lfr_celery_tasks_total{outcome="succeeded",task="lfr_portal.served_task"}' in body
    # A second call in the same process does not try again.
    assert metrics.serve_worker_metrics(port) is False


def test_a_port_in_use_logs_one_warning_and_the_worker_carries_on(monkeypatch, settings, caplog):
    monkeypatch.setattr(metrics, "_server_started", False)
    settings.LFR_WORKER_METRICS_ADDR = "127.0.0.1"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with caplog.at_level(logging.WARNING, logger="lfr_portal.metrics"):
            assert metrics.serve_worker_metrics(port) is False
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and str(port) in warnings[0].getMessage()
    assert metrics._server_started is False


def test_only_processes_that_run_tasks_start_worker_metrics(settings):
    settings.LFR_WORKER_METRICS_PORT = 9808
    with mock.patch("lfr_portal.celery.start_worker_metrics") as start:
        # A prefork parent runs no tasks: its children serve.
        celery_app._worker_metrics_in_the_worker(sender=SimpleNamespace(pool_cls="prefork"))
        start.assert_not_called()
        celery_app._worker_metrics_in_the_worker(sender=SimpleNamespace(pool_cls="threads"))
        start.assert_called_once_with()
        start.reset_mock()
        with mock.patch("lfr_portal.celery.current_process_index", return_value=2):
            celery_app._worker_metrics_in_a_pool_child()
        start.assert_called_once_with(process_index=2)


def test_a_pool_child_serves_on_the_port_plus_its_index(settings):
    settings.LFR_WORKER_METRICS_PORT = 9808
    with (
        mock.patch.object(metrics, "connect_task_signals") as connect,
        mock.patch.object(metrics, "serve_worker_metrics") as serve,
    ):
        metrics.start_worker_metrics(process_index=3)
    connect.assert_called_once_with()
    serve.assert_called_once_with(9811)


def test_a_short_scrape_token_is_refused_at_start_up(settings):
    from lfr_portal.checks import metrics_scrape_token

    settings.LFR_METRICS_SCRAPE_TOKEN = "short"
    [error] = metrics_scrape_token(None)
    assert error.id == "lfr_portal.E032" and "5 characters" in error.msg
    settings.LFR_METRICS_SCRAPE_TOKEN = "x" * 32
    assert metrics_scrape_token(None) == []
    settings.LFR_METRICS_SCRAPE_TOKEN = ""  # unset: staff sign-in guards the page instead
    assert metrics_scrape_token(None) == []
