"""The probe's smaller findings: tokens for second-factor roles, what /healthz/ tells
strangers, and cameras whose job died shown as such at once."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from lfr_portal.models import CameraState, DeploymentCamera, Role
from lfr_portal.permissions import grant_operator
from lfr_portal.selectors.recognition import NOT_RESPONDING, camera_shown_state
from tests.builders import live
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.mark.parametrize(
    "role", [Role.AUTHORISING_OFFICER, Role.WATCHLIST_MANAGER, Role.COMPLIANCE_OFFICER]
)
def test_no_token_is_issued_to_a_role_that_needs_a_one_time_password(api, settings, role):
    settings.LFR_OTP_REQUIRED = True
    user = user_with_role(role)
    response = api.post(
        "/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 403
    assert "one-time password" in response.json()["detail"]
    assert "token" not in response.json()
    assert not Token.objects.filter(user=user).exists()


def test_a_service_account_still_gets_its_token(api, settings):
    settings.LFR_OTP_REQUIRED = True
    service = user_with_role(Role.DEPLOYMENT_PLANNER)
    response = api.post(
        "/api/auth/token/", {"username": service.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=service).key


def test_the_token_endpoint_refuses_a_deeply_nested_body(api):
    body = '{"username": ' + "[" * 5000 + "]" * 5000 + "}"
    response = api.post("/api/auth/token/", body, content_type="application/json")
    assert response.status_code == 400


def test_healthz_tells_a_stranger_only_that_it_is_up(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert b"postgres" not in response.content


def test_healthz_tells_staff_the_database(client, django_user_model):
    staff = django_user_model.objects.create_user("ops", password=PASSWORD, is_staff=True)
    client.force_login(staff)
    assert client.get("/healthz/").json()["database"] == "postgresql"


def test_a_camera_whose_heartbeat_lapsed_is_shown_not_responding_at_once(
    client, operator, settings
):
    settings.LFR_CAMERA_HEARTBEAT_LAPSE_SECONDS = 8
    deployment = live(operator)
    grant_operator(operator, deployment)
    booking = DeploymentCamera.objects.get(deployment=deployment)
    now = timezone.now()
    DeploymentCamera.objects.filter(pk=booking.pk).update(
        state=CameraState.RUNNING, job_heartbeat_at=now - timedelta(seconds=3)
    )
    booking.refresh_from_db()
    assert camera_shown_state(booking, now=now)[0] == CameraState.RUNNING

    # The worker is killed: nothing writes again. Ten seconds on, well before the
    # watchdog's 30, the camera is shown as not responding.
    DeploymentCamera.objects.filter(pk=booking.pk).update(
        job_heartbeat_at=now - timedelta(seconds=10)
    )
    booking.refresh_from_db()
    assert camera_shown_state(booking, now=now)[0] == NOT_RESPONDING
    client.force_login(operator)
    feed = client.get(f"/deployments/{deployment.public_id}/operate/feed.json")
    assert feed.status_code == 200, feed.content[:200]
    assert [c["state"] for c in feed.json()["cameras"]] == [NOT_RESPONDING]
    page = client.get(f"/deployments/{deployment.public_id}/operate/")
    assert b"Not responding" in page.content


@pytest.mark.parametrize("state", [CameraState.STOPPED, CameraState.FAILED, CameraState.IDLE])
def test_a_final_state_needs_no_heartbeat(operator, state):
    deployment = live(operator)
    booking = DeploymentCamera.objects.get(deployment=deployment)
    booking.state, booking.job_heartbeat_at = state, None
    assert camera_shown_state(booking)[0] == state
