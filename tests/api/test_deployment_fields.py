"""A draft's fields are declared once, on the model: the API takes the same fields with the
same limits as the HTML form, and a refusal to submit names each unmet rule by its code."""

from decimal import Decimal

import pytest

from lfr_portal.models import Deployment
from tests.api.endpoints import create_body

pytestmark = pytest.mark.django_db


def test_a_radius_over_5000_metres_is_refused_as_the_form_refuses_it(api, planner):
    api.force_authenticate(planner)

    response = api.post(
        "/api/deployments/create/", {**create_body(), "radius_m": 5001}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["radius_m"]
    assert "5000" in response.json()["radius_m"][0]
    assert not Deployment.objects.exists()


def test_the_calibration_override_and_a_stricter_ceiling_are_accepted(api, planner):
    api.force_authenticate(planner)
    body = {
        **create_body(),
        "calibration_override_reason": "Calibrated last month on the force's own set.",
        "false_alert_ceiling": "0.0005",
    }

    response = api.post("/api/deployments/create/", body, format="json")

    assert response.status_code == 201, response.json()
    deployment = Deployment.objects.get()
    assert deployment.calibration_override_reason == body["calibration_override_reason"]
    assert deployment.false_alert_ceiling == Decimal("0.0005")


def test_a_negative_ceiling_is_refused_by_the_field_limit(api, planner):
    api.force_authenticate(planner)

    response = api.post(
        "/api/deployments/create/", {**create_body(), "false_alert_ceiling": "-1"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["false_alert_ceiling"]


def test_a_refused_submission_lists_each_rule_with_its_code_and_field(api, planner):
    api.force_authenticate(planner)
    created = api.post("/api/deployments/create/", create_body(), format="json").json()

    response = api.post(f"/api/deployments/{created['public_id']}/submit/", format="json")

    assert response.status_code == 400
    answer = response.json()
    assert answer["rule"] == "incomplete"
    codes = [p["code"] for p in answer["problems"]]
    assert "camera_missing" in codes and "document_missing" in codes
    assert " ".join(p["message"] for p in answer["problems"]) == answer["detail"]
    camera = next(p for p in answer["problems"] if p["code"] == "camera_missing")
    assert camera["field"] == "camera"
