import pytest
from rest_framework.test import APIClient

from tests.api.endpoints import roles_namespace


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture(autouse=True)
def _eu_mode_for_eu_rows(request, settings):
    """The EU AI Act operations (paths holding "/eu/") exist only in EU AI Act mode: a
    test given one of those rows runs with the mode on."""
    callspec = getattr(request.node, "callspec", None)
    endpoint = callspec.params.get("endpoint") if callspec else None
    if "/eu/" in getattr(endpoint, "path", ""):
        settings.LFR_EU_AI_ACT_MODE = True


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
