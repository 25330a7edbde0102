"""Pinned query counts on the list endpoints: a page of 20 costs what a page of 1 costs."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lfr_portal.models import DeploymentStatus
from lfr_portal.permissions import grant_operator
from tests.factories import (
    AlertFactory,
    CameraFactory,
    DeploymentFactory,
    EntryFactory,
    LeafletFactory,
    SignageFactory,
)

pytestmark = pytest.mark.django_db
ROWS = 20


def _get(api, user, url):
    # A fresh user object each time: roles are cached on the instance for one request.
    api.force_authenticate(get_user_model().objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return response.json(), len(queries)


def _pinned(api, user, url, grow, expected):
    grow(1)
    _get(api, user, url)  # warms process-wide caches (content types, permissions)
    _, one = _get(api, user, url)
    grow(ROWS - 1)
    page, many = _get(api, user, url)
    assert page["count"] >= ROWS
    assert (one, many) == (expected, expected)


def test_deployment_list(api, ao):
    _pinned(api, ao, "/api/deployments/", lambda n: DeploymentFactory.create_batch(n), 3)


def test_deployment_list_for_an_operator(api, operator):
    def grow(n):
        for deployment in DeploymentFactory.create_batch(n, status=DeploymentStatus.APPROVED):
            grant_operator(operator, deployment)

    _pinned(api, operator, "/api/deployments/?status=approved", grow, 3)


def test_alert_list(api, ao):
    deployment = DeploymentFactory(status=DeploymentStatus.LIVE)
    _pinned(
        api, ao, "/api/alerts/", lambda n: AlertFactory.create_batch(n, deployment=deployment), 3
    )


def test_entry_list(api, manager):
    deployment = DeploymentFactory()
    url = f"/api/watchlists/{deployment.watchlist.public_id}/entries/"
    _pinned(
        api,
        manager,
        url,
        lambda n: EntryFactory.create_batch(n, watchlist=deployment.watchlist),
        4,
    )


def test_signage_list(api, field_officer):
    deployment = DeploymentFactory(status=DeploymentStatus.SUBMITTED)
    url = f"/api/deployments/{deployment.public_id}/signage/"
    _pinned(
        api,
        field_officer,
        url,
        lambda n: SignageFactory.create_batch(n, deployment=deployment),
        4,
    )


def test_leaflet_list(api, compliance):
    deployment = DeploymentFactory(status=DeploymentStatus.LIVE)
    url = f"/api/deployments/{deployment.public_id}/leaflets/"
    _pinned(
        api,
        compliance,
        url,
        lambda n: LeafletFactory.create_batch(n, deployment=deployment),
        4,
    )


def test_camera_list(api, planner):
    _pinned(api, planner, "/api/cameras/", lambda n: CameraFactory.create_batch(n), 3)
