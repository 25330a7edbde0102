"""Each camera's health, as the operator's live view and the dashboard show it: a verdict a
person takes in at a glance, the figures behind it, and "—" for what is not known yet."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lfr_portal.models import CameraState, DeploymentCamera, DeploymentStatus
from lfr_portal.selectors.health import (
    DEFAULT_ANALYSIS_FPS,
    FALLING_BEHIND,
    KEEPING_UP,
    NO_FIGURES,
    camera_health,
    with_health,
)
from tests import builders
from tests.factories import BookingFactory, CameraFactory, DeploymentFactory

pytestmark = pytest.mark.django_db

STEADY = {
    "window_s": 2.0,
    "source_fps": 25.0,
    "read_fps": 25.0,
    "analysed_fps": 12.4,
    "skipped_share": 0.504,
    "detect_ms_mean": 8.13,
    "detect_ms_p95": 12.4,
    "embed_ms_mean": 4.02,
    "embed_ms_p95": 6.5,
    "lag_s": 0.31,
    "lag_s_max": 0.62,
    "alert_latency_ms_last": 318.0,
    "detect_scale": 0.5,
    "people_in_view": 2,
}


def booking_with(figures, **fields):
    """An unsaved booking holding `figures`, as a chunk commit leaves it."""
    fields.setdefault("health_at", timezone.now())
    return DeploymentCamera(health=figures, **fields)


def set_health(booking, figures, **fields):
    now = timezone.now()
    values = {"state": CameraState.RUNNING, "job_heartbeat_at": now, "health_at": now}
    DeploymentCamera.objects.filter(pk=booking.pk).update(health=figures, **{**values, **fields})


# --- The verdict ------------------------------------------------------------------------


def test_a_camera_without_figures_has_none_yet():
    assert camera_health(DeploymentCamera()).verdict == NO_FIGURES
    # Figures without a time they were committed are not trusted either.
    assert camera_health(DeploymentCamera(health=STEADY)).verdict == NO_FIGURES
    # Only the window's length: nothing about the rate or the lag is known.
    assert camera_health(booking_with({"window_s": 2.0})).verdict == NO_FIGURES


def test_a_camera_analysing_at_its_rate_close_to_live_is_keeping_up():
    health = camera_health(booking_with(STEADY), target_fps=12.5)
    assert health.verdict == KEEPING_UP and health.reasons == ()
    assert health.verdict_label == "Keeping up"
    # Half the frames skipped is the design at 12.5 of 25 fps, not falling behind.
    assert health.skipped_share == pytest.approx(0.504)


def test_more_than_a_second_behind_live_is_falling_behind():
    health = camera_health(booking_with({**STEADY, "lag_s": 2.5}), target_fps=12.5)
    assert health.verdict == FALLING_BEHIND
    assert health.reasons == ("2.5 s behind live (limit 1 s)",)
    assert camera_health(booking_with({**STEADY, "lag_s": 1.0}), target_fps=12.5).verdict == (
        KEEPING_UP
    )


def test_skipping_frames_below_the_analysis_rate_is_falling_behind():
    slow = {**STEADY, "analysed_fps": 6.0, "skipped_share": 0.76}
    health = camera_health(booking_with(slow), target_fps=12.5)
    assert health.verdict == FALLING_BEHIND
    assert health.reasons == ("analysing 6.0 frames a second of 12.5 expected",)
    # Both at once: both reasons, the lag first.
    both = camera_health(booking_with({**slow, "lag_s": 3.0}), target_fps=12.5)
    assert len(both.reasons) == 2 and both.reasons[0].startswith("3.0 s behind")


def test_a_source_slower_than_the_rate_is_measured_against_its_own_rate():
    # An 8 fps camera cannot be analysed at 12.5: all of its frames is keeping up.
    slow_source = {**STEADY, "source_fps": 8.0, "read_fps": 8.0, "analysed_fps": 7.9}
    health = camera_health(booking_with({**slow_source, "skipped_share": 0.01}), target_fps=12.5)
    assert health.verdict == KEEPING_UP and health.expected_fps == 8.0
    # A source that delivers little, with nothing skipped, is not the analyser falling behind.
    trickle = {**STEADY, "read_fps": 3.0, "analysed_fps": 3.0, "skipped_share": 0.0}
    assert camera_health(booking_with(trickle), target_fps=12.5).verdict == KEEPING_UP


def test_the_configured_analysis_rate_sets_what_is_expected(settings):
    settings.LFR_ANALYSIS_FPS = 5.0
    assert camera_health(booking_with(STEADY)).verdict == KEEPING_UP
    settings.LFR_ANALYSIS_FPS = 0.0
    health = camera_health(booking_with({**STEADY, "analysed_fps": 10.0}))
    assert health.expected_fps == DEFAULT_ANALYSIS_FPS and health.verdict == FALLING_BEHIND


def test_the_default_rate_is_the_matchers_own():
    from matcher.live import AnalysisSettings

    assert AnalysisSettings().analysis_fps == DEFAULT_ANALYSIS_FPS


def test_unknown_and_malformed_figures_read_as_unknown():
    health = camera_health(
        booking_with({"analysed_fps": 12.5, "lag_s": "soon", "detect_ms_mean": True}),
        target_fps=12.5,
    )
    assert health.verdict == KEEPING_UP
    lines = {line["key"]: line for line in health.lines()}
    assert lines["lag"]["text"] == "—" and lines["lag"]["meter"] is None
    assert lines["detect"]["text"] == "—"
    assert lines["embed"]["text"] == "—" and lines["alert_latency"]["text"] == "—"
    assert lines["analysed"]["text"] == "12.5 fps (expected 12.5)"


def test_the_figures_read_as_a_person_reads_them():
    lines = {
        line["key"]: line for line in camera_health(booking_with(STEADY), target_fps=12.5).lines()
    }
    assert lines["analysed"]["text"] == "12.4 of 25.0 fps (expected 12.5)"
    assert lines["skipped"]["text"] == "50%"
    assert lines["lag"]["text"] == "0.31 s (most 0.62 s)"
    assert lines["detect"]["text"] == "8.1 ms (p95 12.4)"
    assert lines["embed"]["text"] == "4.0 ms (p95 6.5)"
    assert lines["alert_latency"]["text"] == "318 ms after first seen"
    assert lines["lag"]["meter"]["value"] == 0.31 and lines["lag"]["meter"]["high"] == 1.0
    assert lines["analysed"]["meter"]["max"] == 12.5


def test_figures_of_a_job_that_is_not_running_are_marked_as_its_last(operator):
    deployment = builders.live(operator)
    booking = deployment.cameras.get()
    set_health(booking, STEADY)
    [running] = with_health(DeploymentCamera.objects.filter(pk=booking.pk))
    assert running.camera_health.stale is False
    DeploymentCamera.objects.filter(pk=booking.pk).update(state=CameraState.FAILED)
    [failed] = with_health(DeploymentCamera.objects.filter(pk=booking.pk))
    assert failed.camera_health.stale is True and failed.camera_health.verdict == KEEPING_UP


# --- The operator's live view -----------------------------------------------------------


def operate(client, deployment, suffix=""):
    response = client.get(f"/deployments/{deployment.public_id}/operate/{suffix}")
    assert response.status_code == 200
    return response


def test_the_live_view_shows_each_cameras_health(client, operator):
    deployment = builders.live(operator)
    booking = deployment.cameras.select_related("camera").get()
    set_health(booking, {**STEADY, "lag_s": 2.5}, frames_read=500, frames_processed=248)
    client.force_login(operator)
    page = operate(client, deployment).content.decode()
    assert "Falling behind" in page and "2.5 s behind live (limit 1 s)" in page
    assert "12.4 of 25.0 fps (expected 12.5)" in page
    assert "8.1 ms (p95 12.4)" in page and "4.0 ms (p95 6.5)" in page
    assert "318 ms after first seen" in page
    assert "248 analysed of 500 read" in page
    # The lag bar: a native meter, coloured by the browser against the one-second limit.
    assert 'low="0.5" high="1.0" optimum="0.0" value="2.0"' in page

    feed = operate(client, deployment, "feed.json").json()
    [camera] = feed["cameras"]
    assert camera["name"] == booking.camera.name
    health = camera["health"]
    assert health["verdict"] == FALLING_BEHIND and health["lag_s"] == 2.5
    assert health["frames_read"] == 500 and health["frames_analysed"] == 248
    texts = {line["key"]: line["text"] for line in health["lines"]}
    assert texts["analysed"] == "12.4 of 25.0 fps (expected 12.5)"
    assert texts["lag"] == "2.50 s (most 0.62 s)"


def test_the_live_view_says_when_there_are_no_figures_yet(client, operator):
    deployment = builders.live(operator)
    client.force_login(operator)
    page = operate(client, deployment).content.decode()
    assert "No figures yet" in page
    feed = operate(client, deployment, "feed.json").json()
    health = feed["cameras"][0]["health"]
    assert health["verdict"] == NO_FIGURES and health["lag_s"] is None
    assert {line["text"] for line in health["lines"] if line["key"] != "analysed"} == {"—"}


def test_the_live_view_costs_the_same_queries_however_many_cameras(client, operator):
    deployment = builders.live(operator)
    set_health(deployment.cameras.get(), STEADY)
    client.force_login(operator)
    operate(client, deployment)  # warm the session and permission caches

    def queries():
        with CaptureQueriesContext(connection) as page:
            operate(client, deployment)
        with CaptureQueriesContext(connection) as feed:
            operate(client, deployment, "feed.json")
        return len(page), len(feed)

    one = queries()
    for _ in range(3):
        set_health(BookingFactory(deployment=deployment), STEADY)
    assert queries() == one


# --- The dashboard ------------------------------------------------------------------------


def dashboard(client, user):
    client.force_login(user)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_shows_live_cameras_with_their_verdict(client, operator):
    deployment = builders.live(operator)
    booking = deployment.cameras.select_related("camera").get()
    set_health(booking, STEADY)
    behind = BookingFactory(deployment=deployment, camera=CameraFactory(name="Platform 2"))
    set_health(behind, {**STEADY, "lag_s": 4.0})
    page = dashboard(client, operator)
    live = page[page.index('id="live-heading"') :]
    live = live[: live.index("</section>")]
    assert booking.camera.name in live and "Platform 2" in live
    assert live.count("Keeping up") == 1 and live.count("Falling behind") == 1
    assert "4.0 s behind live (limit 1 s)" in live
    assert "12.4 of 25.0 fps analysed, 0.31 s behind live, last alert 318 ms" in live


def test_the_dashboard_costs_the_same_queries_however_many_live_cameras(client, operator):
    builders.live(operator, title="First live")
    dashboard(client, operator)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            dashboard(client, operator)
        return len(captured)

    one = queries()
    second = builders.live(operator, title="Second live")
    for _ in range(3):
        set_health(BookingFactory(deployment=second), STEADY)
    assert queries() == one
    page = dashboard(client, operator)
    assert "Second live" in page and page.count('class="badge verdict-keeping_up"') == 3


def test_a_deployment_not_live_shows_no_cameras_on_the_dashboard(client, operator):
    done = DeploymentFactory(status=DeploymentStatus.COMPLETED, title="Finished")
    set_health(BookingFactory(deployment=done), STEADY, health_at=timezone.now() - timedelta(1))
    page = dashboard(client, operator)
    assert "Finished" not in page and "Keeping up" not in page
