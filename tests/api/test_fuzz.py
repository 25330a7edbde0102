"""Generated requests against every operation, as every role and as nobody: never a 500.

schemathesis turns the published OpenAPI schema into hypothesis strategies, both
conforming requests and broken ones (wrong types, missing and unknown fields, odd
strings, malformed UUIDs in the path, hostile query strings). Requests go through
Django's real WSGI handler in this process (no server to start, so many more requests
fit in the time), with each role's API token, mostly against an object that role could
act on so that bodies get past the lookup to validation and the rules.

Two runs, each with a floor on the requests it makes and a time bound:
- the sweep: every operation x every caller, round after round until its floor is met;
- sequences: generated chains of conforming and broken requests against one shared
  deployment, its watchlist, entry, sign and alert, so that earlier requests change the
  state later ones meet (submitted, approved, rejected and redrafted, live, cancelled...).
The floors add up to 10,000; LFR_FUZZ_SCALE multiplies them for a longer run.
"""

import json
import os
import time

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

from lfr_portal.models import DeploymentStatus, Engagement, Role
from lfr_portal.permissions import grant_field_officer, grant_operator
from tests import builders
from tests.api.endpoints import ENDPOINTS
from tests.factories import (
    AlertFactory,
    BookingFactory,
    CameraFactory,
    DeploymentFactory,
    EntryFactory,
    SignageFactory,
)

pytestmark = pytest.mark.django_db

SCALE = float(os.environ.get("LFR_FUZZ_SCALE", "1"))
SWEEP_FLOOR = int(8_000 * SCALE)
SEQUENCE_FLOOR = int(2_000 * SCALE)
# Each run stops as soon as it reaches its floor; these wall-clock bounds only stop a
# run that hangs. They are generous so that a slow machine still reaches the floor:
# on two cores shared with other work (load 6) the sweep made 11,340 requests in 94 s
# and the sequences about 2,000 in 80 s.
SWEEP_SECONDS = 360 * SCALE
SEQUENCE_SECONDS = 240 * SCALE
ANONYMOUS = "anonymous"
CALLERS = (*Role, ANONYMOUS)


@pytest.fixture(scope="module")
def api_schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    # Through JSON once so that the lazy strings and enums become plain data.
    return schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))


@pytest.fixture(scope="module")
def operations(api_schema):
    """(method, path) of every operation the schema publishes."""
    return [
        (method.upper(), path)
        for path, item in api_schema.raw_schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


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


@pytest.fixture
def headers(roles):
    """Each caller's request headers: a role's API token, or none at all."""
    by_caller = {
        role: {"Authorization": f"Token {Token.objects.create(user=user).key}"}
        for role, user in roles.by_role.items()
    }
    by_caller[ANONYMOUS] = {}
    return by_caller


def _cases(operation, mode=None):
    if mode is not None:
        return operation.as_strategy(generation_mode=mode)
    return st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
    )


def _assert_handled(case, response):
    where = (case.method, case.formatted_path, case.query, str(case.body)[:300])
    assert response.status_code < 500, (*where, response.text[:500])
    # Outside /api/ a path that matches no route is the site's ordinary 404 page.
    html_not_found = response.status_code == 404 and not case.path.startswith("/api/")
    if response.status_code >= 400 and not html_not_found:
        content_type = response.headers["content-type"][0]
        # The open-data CSV answers its errors in CSV, as a spreadsheet user expects.
        expected = "text/csv" if case.path.endswith(".csv") else "application/json"
        assert content_type.startswith(expected), (*where, content_type)
        if expected == "application/json":
            json.loads(response.text)


def _fuzz_settings(examples):
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def _report(capsys, line):
    with capsys.disabled():
        print(f"\n{line}")


# Mostly aim at a real object, so that bodies get past the lookup to validation;
# sometimes keep the generated path, so malformed and unknown UUIDs are sent too.
REAL_OBJECT_MOSTLY = st.sampled_from([True, True, True, False])


def _sweep(operation, params, headers, examples, app, statuses):
    """Generated requests to one operation, each sent as every caller in turn.

    Generating a request costs more than answering it, so each one is reused for all
    seven callers: the allowed roles reach validation and the rules, the others the
    role check, and all of them the parsers.
    """

    @_fuzz_settings(examples)
    @given(case=_cases(operation), use_real_object=REAL_OBJECT_MOSTLY)
    def check(case, use_real_object):
        if use_real_object and params:
            case.path_parameters = {**(case.path_parameters or {}), **params}
        for caller_headers in headers.values():
            response = case.call(app=app, headers=caller_headers)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            _assert_handled(case, response)

    check()


def test_every_operation_and_caller_survives_generated_requests(
    api_schema, operations, wsgi_app, roles, headers, capsys
):
    known = {(e.method, e.path): e for e in ENDPOINTS}
    real = {
        key: {k: str(v) for k, v in endpoint.setup(roles).params.items()}
        for key, endpoint in known.items()
    }
    per_round = max(4, SWEEP_FLOOR // (len(operations) * len(CALLERS)) // 2)
    statuses = {}
    started = time.monotonic()
    rounds = 0
    while sum(statuses.values()) < SWEEP_FLOOR and time.monotonic() - started < SWEEP_SECONDS:
        rounds += 1
        for method, path in operations:
            operation = api_schema[path][method]
            params = real.get((method, path), {})
            _sweep(operation, params, headers, per_round, wsgi_app, statuses)
    sent = sum(statuses.values())
    elapsed = time.monotonic() - started
    _report(
        capsys,
        f"fuzz sweep: {sent} requests over {len(operations)} operations x "
        f"{len(CALLERS)} callers in {rounds} rounds, {elapsed:.0f} s; statuses {statuses}",
    )
    assert sent >= SWEEP_FLOOR, (
        f"only {sent} requests in {SWEEP_SECONDS:.0f} s; the floor is {SWEEP_FLOOR}"
    )
    # Conforming requests as an allowed role must also succeed, not only be refused.
    assert statuses.get(200, 0) + statuses.get(201, 0) > sent // 20


LIFECYCLE_ACTIONS = {"submit", "approve", "start", "stop", "cancel"}

# Where a sequence starts: a bare draft, a draft ready to submit, or approved with its
# window open, signs up and watchlist finalised (ready to go live).
STARTS = {
    "draft": lambda r: DeploymentFactory(created_by=r.planner),
    "complete": lambda r: builders.complete_draft(created_by=r.planner),
    "approved": lambda r: builders.ready_to_go_live(operator=r.operator, created_by=r.planner),
}


def _scenario(roles, start):
    """One deployment and everything hanging off it, shared by a whole sequence."""
    deployment = STARTS[start](roles)
    grant_operator(roles.operator, deployment)
    camera = CameraFactory()
    BookingFactory(deployment=deployment, camera=CameraFactory())
    entry = EntryFactory(watchlist=deployment.watchlist, added_by=roles.manager)
    sign = SignageFactory(deployment=deployment, recorded_by=roles.field_officer)
    alert = AlertFactory(deployment=deployment)
    # Field officers on it: the alert can be sent for engagement, and one already was.
    grant_field_officer(roles.field_officer, deployment)
    engagement = Engagement.objects.create(
        alert=AlertFactory(deployment=deployment),
        dispatched_by=roles.operator,
        dispatched_at=timezone.now(),
    )
    return {
        "/api/deployments/": {"public_id": deployment.public_id, "camera_id": camera.public_id},
        "/api/engagements/": {"public_id": engagement.public_id},
        "/api/watchlists/": {"public_id": deployment.watchlist.public_id},
        "/api/watchlist-entries/": {"public_id": entry.public_id},
        "/api/signage/": {"public_id": sign.public_id},
        "/api/alerts/": {"public_id": alert.public_id},
        "/api/cameras/": {},
        "/transparency/": {"public_id": deployment.public_id},
    }, deployment


def _scenario_params(scenario, path):
    for prefix, params in scenario.items():
        if path.startswith(prefix):
            return {k: str(v) for k, v in params.items() if "{" + k + "}" in path}
    return {}


def test_generated_sequences_of_requests_survive(
    api_schema, operations, wsgi_app, roles, headers, capsys
):
    allowed = {(e.method, e.path): sorted(e.allowed) for e in ENDPOINTS}
    sent = []
    states = set()
    started = time.monotonic()
    # Half the steps are the deployment's own lifecycle (submit, approve, start, stop,
    # cancel): drawn from every operation alike, a run of sequences could, by chance,
    # never move its deployment at all and so test only the starting states.
    lifecycle = [
        (method, path)
        for method, path in operations
        if path.startswith("/api/deployments/{public_id}/")
        and path.rstrip("/").rsplit("/", 1)[1] in LIFECYCLE_ACTIONS
    ]
    assert len(lifecycle) == len(LIFECYCLE_ACTIONS), lifecycle
    step = st.tuples(
        st.one_of(st.sampled_from(lifecycle), st.sampled_from(operations)),
        st.sampled_from([GenerationMode.POSITIVE] * 3 + [GenerationMode.NEGATIVE]),
        st.booleans(),
    )

    @_fuzz_settings(25)
    @given(data=st.data(), steps=st.lists(step, min_size=10, max_size=40))
    def sequence(data, steps):
        start = data.draw(st.sampled_from(sorted(STARTS)))
        scenario, deployment = _scenario(roles, start)
        for (method, path), mode, as_allowed in steps:
            callers = allowed.get((method, path)) or list(CALLERS)
            caller = data.draw(st.sampled_from(callers if as_allowed else list(CALLERS)))
            case = data.draw(_cases(api_schema[path][method], mode))
            params = _scenario_params(scenario, path)
            if params:
                case.path_parameters = {**(case.path_parameters or {}), **params}
            response = case.call(app=wsgi_app, headers=headers[caller])
            sent.append(1)
            _assert_handled(case, response)
        deployment.refresh_from_db()
        states.add(deployment.status)

    while len(sent) < SEQUENCE_FLOOR and time.monotonic() - started < SEQUENCE_SECONDS:
        sequence()
    elapsed = time.monotonic() - started
    _report(
        capsys,
        f"fuzz sequences: {len(sent)} requests in {elapsed:.0f} s; the shared deployment "
        f"ended in states {sorted(states)}",
    )
    assert len(sent) >= SEQUENCE_FLOOR, (
        f"only {len(sent)} requests in {SEQUENCE_SECONDS:.0f} s; the floor is {SEQUENCE_FLOOR}"
    )
    # The sequences must move deployments on, or they test their starting states only.
    assert states - {DeploymentStatus.DRAFT, DeploymentStatus.APPROVED}, states
