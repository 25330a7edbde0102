"""Which roles may call each endpoint: exactly the table in tests/api/endpoints.py."""

import pytest

from lfr_portal.models import Role
from tests.api.conftest import call
from tests.api.endpoints import ENDPOINTS

pytestmark = pytest.mark.django_db

CALLERS = [*Role, None]


@pytest.mark.parametrize("caller", CALLERS, ids=lambda role: role or "anonymous")
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.label)
def test_role_matrix(api, roles, endpoint, caller):
    request = endpoint.setup(roles)
    user = roles.by_role[caller] if caller else None
    response = call(api, user, endpoint, request)
    if caller is None:
        assert response.status_code in (401, 403), response.content
    elif caller in endpoint.allowed:
        # The case is one this role may legitimately act on, so it succeeds outright.
        assert 200 <= response.status_code < 300, (response.status_code, response.content)
    else:
        assert response.status_code == 403, (response.status_code, response.content)
