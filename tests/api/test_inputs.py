"""Bad input answers 400 naming the field and the rule, and leaves nothing half-written."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lfr_portal.models import (
    Adjudication,
    AuditEvent,
    Deployment,
    DeploymentStatus,
    EntryStatus,
    UseCase,
    WatchlistEntry,
)
from lfr_portal.permissions import grant_operator
from tests.api.conftest import call
from tests.api.endpoints import WRITE_ENDPOINTS, Call, create_body, entry_body
from tests.factories import AlertFactory, DeploymentFactory, EntryFactory

pytestmark = pytest.mark.django_db


def test_a_missing_required_field_is_named(api, planner):
    api.force_authenticate(planner)
    body = create_body()
    del body["justification"]

    response = api.post("/api/deployments/create/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"justification": ["This field is required."]}
    assert not Deployment.objects.exists()


def test_a_wrong_type_is_named(api, planner):
    api.force_authenticate(planner)

    response = api.post(
        "/api/deployments/create/", {**create_body(), "radius_m": "wide"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["radius_m"]


def test_an_unknown_field_is_refused_not_ignored(api, planner):
    deployment = DeploymentFactory(created_by=planner)
    api.force_authenticate(planner)

    response = api.post(
        f"/api/deployments/{deployment.public_id}/update/",
        {"title": "New title", "status": "approved"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"status": ["This field is not accepted here."]}
    deployment.refresh_from_db()
    assert (deployment.status, deployment.title) != ("approved", "New title")
    assert deployment.status == DeploymentStatus.DRAFT


def test_a_governance_rule_answers_detail_rule_and_field_and_writes_nothing(api, planner):
    api.force_authenticate(planner)
    body = create_body()
    body["ends_at"] = (timezone.now() + timedelta(hours=40)).isoformat()

    response = api.post("/api/deployments/create/", body, format="json")

    assert response.status_code == 400
    assert response.json()["rule"] == "window_too_long"
    assert response.json()["field"] == "ends_at"
    assert "24 hours" in response.json()["detail"]
    assert not Deployment.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_use_case_of_other_needs_its_words(api, planner):
    api.force_authenticate(planner)

    response = api.post(
        "/api/deployments/create/", {**create_body(), "use_case": UseCase.OTHER}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "use_case_other"


def test_a_category_outside_the_closed_list_is_refused_with_the_list(api, manager):
    deployment = DeploymentFactory()
    api.force_authenticate(manager)

    response = api.post(
        f"/api/watchlists/{deployment.watchlist.public_id}/entries/add/",
        {**entry_body(), "category": "intelligence_required"},
        format="json",
    )

    assert response.status_code == 400
    [message] = response.json()["category"]
    assert "wanted, suspect, missing_or_vulnerable, risk" in message
    assert not WatchlistEntry.objects.exists()


def test_an_under_18_entry_needs_its_justification(api, manager):
    deployment = DeploymentFactory()
    api.force_authenticate(manager)

    response = api.post(
        f"/api/watchlists/{deployment.watchlist.public_id}/entries/add/",
        {**entry_body(), "under_18": True},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["rule"] == "under_18_justification"
    assert response.json()["field"] == "under_18_justification"


def test_a_reference_image_that_is_not_an_image_is_refused(api, manager):
    deployment = DeploymentFactory()
    api.force_authenticate(manager)
    fake = SimpleUploadedFile("face.png", b"plain text", content_type="image/png")

    response = api.post(
        f"/api/watchlists/{deployment.watchlist.public_id}/entries/add/",
        {**entry_body(), "reference_image": fake},
        format="multipart",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["reference_image"]
    assert not WatchlistEntry.objects.exists()


def test_a_rejection_needs_a_reason(api, ao):
    deployment = DeploymentFactory(status=DeploymentStatus.SUBMITTED)
    api.force_authenticate(ao)

    response = api.post(
        f"/api/deployments/{deployment.public_id}/reject/", {"reason": "  "}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.SUBMITTED


def test_an_action_in_the_wrong_state_answers_409(api, planner):
    deployment = DeploymentFactory(created_by=planner, status=DeploymentStatus.SUBMITTED)
    api.force_authenticate(planner)

    response = api.post(f"/api/deployments/{deployment.public_id}/submit/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Only a draft can be submitted for approval.",
        "rule": "invalid_state",
    }


def test_a_confirmed_match_needs_its_outcome(api, operator):
    alert = AlertFactory()
    grant_operator(operator, alert.deployment)
    api.force_authenticate(operator)

    response = api.post(
        f"/api/alerts/{alert.public_id}/adjudicate/", {"adjudication": "confirmed"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "outcome"
    alert.refresh_from_db()
    assert alert.adjudication == Adjudication.PENDING


def test_a_camera_named_in_the_body_must_exist(api, planner):
    deployment = DeploymentFactory(created_by=planner)
    api.force_authenticate(planner)

    for camera, message in (
        ("not-a-uuid", "Must be a valid UUID."),
        ("3f2b8c1e-0000-4000-8000-000000000000", "Nothing with this identifier exists."),
    ):
        response = api.post(
            f"/api/deployments/{deployment.public_id}/cameras/add/",
            {"camera": camera},
            format="json",
        )
        assert response.status_code == 400
        assert response.json() == {"camera": [message]}


def test_a_duplicate_camera_name_is_refused(api, planner):
    api.force_authenticate(planner)
    body = {"name": "Mast 1", "source_url": "rtsp://10.0.0.1/s"}
    assert api.post("/api/cameras/create/", body, format="json").status_code == 201

    response = api.post("/api/cameras/create/", body, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "name"


def test_a_camera_takes_the_smallest_face_to_find_within_bounds(api, planner):
    from lfr_portal.models import AuditEvent, Camera

    api.force_authenticate(planner)
    body = {"name": "Mast 2", "source_url": "rtsp://10.0.0.2/s", "min_face_px": 10}
    response = api.post("/api/cameras/create/", body, format="json")
    assert response.status_code == 400
    assert "min_face_px" in response.json()

    response = api.post("/api/cameras/create/", {**body, "min_face_px": 60}, format="json")
    assert response.status_code == 201
    assert response.json()["min_face_px"] == 60
    camera = Camera.objects.get(name="Mast 2")
    assert camera.min_face_px == 60
    assert (
        AuditEvent.objects.filter(action="camera.create").latest("pk").changes["min_face_px"] == 60
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/deployments/not-a-uuid/",
        "/api/deployments/not-a-uuid/approve/",
        "/api/nowhere/",
        "/api/deployments",
    ],
)
def test_unknown_paths_and_malformed_uuids_answer_json_404(api, ao, path):
    api.force_authenticate(ao)

    for response in (api.get(path), api.post(path, {}, format="json")):
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json() == {"detail": "Not found."}


def test_a_token_from_the_token_endpoint_authenticates(api, planner):
    bad = api.post(
        "/api/auth/token/", {"username": planner.username, "password": "wrong"}, format="json"
    )
    assert bad.status_code == 400

    issued = api.post(
        "/api/auth/token/",
        {"username": planner.username, "password": "correct-horse-battery"},
        format="json",
    )
    assert issued.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")

    assert api.get("/api/deployments/").status_code == 200
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    refused = api.get("/api/deployments/")
    # 403 rather than 401: session authentication comes first and sends no challenge.
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Invalid token."}


def test_session_login_reaches_the_api(client, planner):
    assert client.get("/api/deployments/").status_code == 403
    client.force_login(planner)
    assert client.get("/api/deployments/").status_code == 200


# --- filters -----------------------------------------------------------------


def _ids(response):
    assert response.status_code == 200, response.content
    return {item["public_id"] for item in response.json()["results"]}


def test_deployment_filters(api, ao):
    now = timezone.now()
    early = DeploymentFactory(borough="Camden", starts_at=now + timedelta(hours=1))
    late = DeploymentFactory(
        borough="Hackney",
        use_case=UseCase.EVENT,
        status=DeploymentStatus.SUBMITTED,
        starts_at=now + timedelta(days=3),
    )
    api.force_authenticate(ao)

    assert _ids(api.get("/api/deployments/", {"status": "submitted"})) == {str(late.public_id)}
    assert _ids(api.get("/api/deployments/", {"borough": "camden"})) == {str(early.public_id)}
    assert _ids(api.get("/api/deployments/", {"use_case": "event"})) == {str(late.public_id)}
    middle = (now + timedelta(days=1)).isoformat()
    assert _ids(api.get("/api/deployments/", {"starts_after": middle})) == {str(late.public_id)}
    assert _ids(api.get("/api/deployments/", {"starts_before": middle})) == {str(early.public_id)}


@pytest.mark.parametrize(
    "query", [{"status": "approvedish"}, {"starts_after": "yesterday"}, {"use_case": "x"}]
)
def test_a_bad_filter_value_is_named(api, ao, query):
    api.force_authenticate(ao)

    response = api.get("/api/deployments/", query)

    assert response.status_code == 400
    assert list(response.json()) == list(query)


def test_alert_filters(api, ao):
    first = AlertFactory()
    second = AlertFactory(adjudication=Adjudication.FALSE_ALERT)
    api.force_authenticate(ao)

    by_deployment = api.get("/api/alerts/", {"deployment": str(first.deployment.public_id)})
    assert _ids(by_deployment) == {str(first.public_id)}
    assert _ids(api.get("/api/alerts/", {"adjudication": "false_alert"})) == {str(second.public_id)}


def test_entry_filters(api, manager):
    deployment = DeploymentFactory()
    wanted = EntryFactory(watchlist=deployment.watchlist)
    missing = EntryFactory(
        watchlist=deployment.watchlist,
        category="missing_or_vulnerable",
        status=EntryStatus.APPROVED,
    )
    url = f"/api/watchlists/{deployment.watchlist.public_id}/entries/"
    api.force_authenticate(manager)

    assert _ids(api.get(url, {"status": "pending"})) == {str(wanted.public_id)}
    assert _ids(api.get(url, {"category": "missing_or_vulnerable"})) == {str(missing.public_id)}
    assert _ids(api.get(url)) == {str(wanted.public_id), str(missing.public_id)}


def test_huge_strings_in_any_field_answer_400_naming_the_field(api, roles):
    huge = "x" * 100_000
    tried = 0
    for endpoint in WRITE_ENDPOINTS:
        request = endpoint.setup(roles)
        actor = roles.by_role[sorted(endpoint.allowed)[0]]
        for name, value in (request.body or {}).items():
            if not isinstance(value, str):
                continue
            body = {**request.body, name: huge}
            response = call(api, actor, endpoint, Call(request.params, body, request.multipart))
            assert response.status_code == 400, (endpoint.label, name, response.content[:300])
            errors = response.json()
            assert name in errors or errors.get("field") == name, (endpoint.label, errors)
            tried += 1
    assert tried >= 40
