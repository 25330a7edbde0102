import pytest
from rest_framework.test import APIClient

from tests.api.endpoints import roles_namespace


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def roles(planner, ao, manager, operator, field_officer, compliance):
    return roles_namespace(planner, ao, manager, operator, field_officer, compliance)


def call(client, user, endpoint, call):
    """Send one endpoint's request as `user` (None: anonymous)."""
    client.force_authenticate(user)
    url = endpoint.url(call.params)
    if endpoint.method == "GET":
        return client.get(url)
    if call.multipart:
        return client.post(url, call.body or {}, format="multipart")
    return client.post(url, call.body, format="json")
