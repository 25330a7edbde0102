"""The read-only accuracy endpoints carry the selectors' figures."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from lfr_portal.models import Deployment, Role
from lfr_portal.services.alerts import alert_adjudicate
from tests import builders
from tests.accuracy.test_monitoring import raise_alert
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_expected_false_alerts_endpoint(api, ao, small_calibration):
    deployment = builders.submitted(threshold=Decimal("0.500"), expected_faces=50_000)
    api.force_authenticate(ao)
    body = api.get(f"/api/deployments/{deployment.public_id}/expected-false-alerts/").json()
    assert body["deployment"] == str(deployment.public_id)
    assert (body["watchlist_size"], body["expected_faces"]) == (2, 50_000)
    assert body["expected"] == pytest.approx(2 / 100_000 * 2 * 50_000)  # 2.0
    assert body["operating_point"]["fmr"]["count"] == 2
    assert body["operating_point"]["fnmr"]["count"] == 20
    assert body["calibration"]["public_id"] == str(small_calibration.public_id)
    assert body["calibration"]["model_sha256"] == {
        "detector.onnx": "a" * 64,
        "recogniser.onnx": "b" * 64,
    }
    assert body["calibration_problem"] == ""
    assert "about 2.0 false alerts are expected" in body["sentence"]


def test_accuracy_endpoint_for_the_assigned_operator(api, operator):
    deployment = builders.live(operator)
    Deployment.objects.filter(pk=deployment.pk).update(faces_processed=500)
    alert_adjudicate(
        actor=operator,
        alert=raise_alert(deployment),
        adjudication="confirmed",
        outcome="arrest",
    )
    api.force_authenticate(operator)
    body = api.get(f"/api/deployments/{deployment.public_id}/accuracy/").json()
    assert body["status"] == "live"
    assert (body["faces_processed"], body["alerts"], body["confirmed"]) == (500, 1, 1)
    assert body["false_per_face"] == {
        "count": 0,
        "total": 500,
        "rate": 0.0,
        "low": 0.0,
        "high": pytest.approx(0.0076243, abs=1e-7),  # 3.841459 / (500 + 3.841459)
        "confidence": 0.95,
    }
    assert body["window"]["exceeded"] is False and body["ceiling"] == "0.00100000"


def test_a_deployment_the_operator_is_not_assigned_to_answers_404(api, operator):
    other = builders.live(user_with_role(Role.OPERATOR))
    api.force_authenticate(operator)
    assert api.get(f"/api/deployments/{other.public_id}/accuracy/").status_code == 404


def test_engines_endpoint_lists_each_engine_with_its_latest_calibration(api, compliance):
    api.force_authenticate(compliance)
    body = {row["engine"]: row for row in api.get("/api/engines/").json()}
    sface = body["opencv-sface"]
    assert sface["latest"]["impostor_pairs"] == 246_460
    # The shipped baseline's 0.005 steps: the default 0.435 is one of them, the floor
    # 0.426 reads at 0.425 (the conservative side).
    assert sface["at_default"]["fmr"]["count"] == 16
    assert sface["at_floor"]["fmr"]["count"] == 28
    assert body["insightface"]["latest"] is None
