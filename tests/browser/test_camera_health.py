"""The live view's camera health on a phone (375 px): it fits, axe-core finds nothing
serious, and the figures follow the database without a reload."""

import pytest
from django.utils import timezone

from lfr_portal.models import CameraState, DeploymentCamera, Role
from tests import builders
from tests.browser.test_end_to_end import login
from tests.browser.test_operator_and_checklist import fits, shoot
from tests.factories import user_with_role

pytestmark = pytest.mark.browser
FIGURES = {
    "source_fps": 25.0,
    "read_fps": 25.0,
    "analysed_fps": 12.4,
    "skipped_share": 0.5,
    "detect_ms_mean": 8.1,
    "detect_ms_p95": 12.4,
    "embed_ms_mean": 4.0,
    "embed_ms_p95": 6.5,
    "lag_s": 0.31,
    "lag_s_max": 0.62,
    "alert_latency_ms_last": 318.0,
}


def commit(booking, figures):
    now = timezone.now()
    DeploymentCamera.objects.filter(pk=booking.pk).update(
        health=figures, health_at=now, state=CameraState.RUNNING, job_heartbeat_at=now
    )


def test_camera_health_on_a_phone_follows_the_job(page_factory, live_server, axe):
    operator = user_with_role(Role.OPERATOR)
    deployment = builders.live(operator)
    booking = deployment.cameras.get()
    commit(booking, FIGURES)
    page = page_factory(375, 800)
    login(page, live_server.url, operator)
    page.goto(f"{live_server.url}/deployments/{deployment.public_id}/operate/")
    camera = page.locator("#cameras li.camera-health")
    assert "Keeping up" in camera.inner_text()
    assert "12.4 of 25.0 fps" in camera.locator("[data-figure=analysed]").inner_text()
    assert camera.locator("[data-figure=lag] meter").count() == 1
    assert axe(page) == []
    fits(page)

    # The job commits worse figures: the next poll shows them, no reload.
    commit(booking, {**FIGURES, "lag_s": 3.2, "analysed_fps": 5.0})
    page.locator("#cameras .verdict-falling_behind").wait_for(timeout=10_000)
    assert "3.2 s behind live" in camera.locator(".camera-reasons").inner_text()
    assert "5.0 of 25.0 fps" in camera.locator("[data-figure=analysed]").inner_text()
    assert camera.locator("[data-figure=lag] meter").get_attribute("value") == "2"
    assert axe(page) == []
    fits(page)
    assert page.console_errors == []
    shoot(page, "camera-health-375")
