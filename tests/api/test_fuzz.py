"""Generated bad input against every write endpoint: never a 500, and every refusal is JSON.

schemathesis turns the published OpenAPI schema into hypothesis strategies, both
conforming bodies and broken ones (wrong types, missing and unknown fields, odd
strings, malformed UUIDs in the path). Requests go through Django's real WSGI
handler, as the right role, against an object that role could act on.
"""

import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

from tests.api.endpoints import WRITE_ENDPOINTS

pytestmark = pytest.mark.django_db

EXAMPLES_PER_ENDPOINT = 25


@pytest.fixture(scope="module")
def api_schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    # Through JSON once so that the lazy strings and enums become plain data.
    return schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))


@pytest.fixture
def wsgi_app():
    # A real WSGI handler would close the test's connection at each request's end,
    # breaking the transaction the test runs in; Django's test client does the same.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz_cases(operation):
    return st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
    )


def _assert_handled(case, response):
    assert response.status_code < 500, (case.formatted_path, case.body, response.text[:500])
    if response.status_code >= 400:
        content_type = response.headers["content-type"][0]
        assert content_type.startswith("application/json"), (case.formatted_path, content_type)
        json.loads(response.text)


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_ENDPOINT,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# Mostly aim at a real object, so that bodies get past the lookup to validation;
# sometimes keep the generated path, so malformed and unknown UUIDs are sent too.
REAL_OBJECT_MOSTLY = st.sampled_from([True, True, True, False])


@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS, ids=lambda e: e.label)
def test_write_endpoint_survives_generated_input(api_schema, wsgi_app, roles, endpoint):
    actor = roles.by_role[sorted(endpoint.allowed)[0]]
    real_params = {k: str(v) for k, v in endpoint.setup(roles).params.items()}
    headers = {"Authorization": f"Token {Token.objects.create(user=actor).key}"}
    operation = api_schema[endpoint.path][endpoint.method]
    seen = []

    @FUZZ_SETTINGS
    @given(case=_fuzz_cases(operation), use_real_object=REAL_OBJECT_MOSTLY)
    def check(case, use_real_object):
        if use_real_object:
            case.path_parameters = {**case.path_parameters, **real_params}
        response = case.call(app=wsgi_app, headers=headers)
        seen.append(response.status_code)
        _assert_handled(case, response)

    check()
    assert seen, "hypothesis sent no request"


def test_token_endpoint_survives_generated_input(api_schema, wsgi_app, planner):
    operation = api_schema["/api/auth/token/"]["POST"]
    seen = []

    @FUZZ_SETTINGS
    @given(case=_fuzz_cases(operation))
    def check(case):
        response = case.call(app=wsgi_app)
        seen.append(response.status_code)
        _assert_handled(case, response)

    check()
    assert seen, "hypothesis sent no request"
