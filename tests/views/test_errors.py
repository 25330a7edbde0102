"""A lost database answers 503 "temporarily unavailable", as JSON or as a page; anything
else that breaks is still a 500."""

from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from tests import builders

pytestmark = pytest.mark.django_db

LOST = OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


@pytest.fixture
def signed_in(operator):
    client = Client(raise_request_exception=False)
    client.force_login(operator)
    return client


def test_a_lost_database_in_a_view_answers_503_json_to_the_live_view(signed_in, operator):
    deployment = builders.live(operator)
    with mock.patch("lfr_portal.views.operator._operated", side_effect=LOST):
        response = signed_in.get(f"/deployments/{deployment.public_id}/operate/feed.json")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "cannot reach its database" in response.json()["detail"]


def test_a_lost_database_answers_a_page_to_a_browser(signed_in, operator):
    deployment = builders.live(operator)
    closed = InterfaceError("connection already closed")
    with mock.patch("lfr_portal.views.operator._operated", side_effect=closed):
        response = signed_in.get(f"/deployments/{deployment.public_id}/operate/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert b"Temporarily unavailable" in response.content


def test_a_lost_database_under_the_api_answers_503_json(signed_in):
    with mock.patch("lfr_portal.api.alerts.alerts_visible_to", side_effect=LOST):
        response = signed_in.get("/api/alerts/")
    assert response.status_code == 503
    assert "cannot reach its database" in response.json()["detail"]


def test_a_session_that_cannot_be_read_answers_503_not_500(signed_in):
    # Raised in the session middleware, before any view runs.
    with mock.patch("django.contrib.sessions.backends.db.SessionStore.load", side_effect=LOST):
        response = signed_in.get("/dashboard/")
    assert response.status_code == 503


def test_any_other_error_is_still_a_500(signed_in, operator):
    deployment = builders.live(operator)
    with mock.patch("lfr_portal.views.operator._operated", side_effect=RuntimeError("bug")):
        response = signed_in.get(f"/deployments/{deployment.public_id}/operate/feed.json")
    assert response.status_code == 500
    assert b"database" not in response.content
