"""Role-matrix cases for the EU AI Act operations (lfr_portal/api/eu_mode.py). The rows'
paths hold "/eu/" (or end in "/verify/"); tests/api/conftest.py switches EU AI Act mode
on for the "/eu/" rows, whichever mode the suite runs in."""

from datetime import timedelta

from django.utils import timezone

from lfr_portal.models import DeploymentStatus
from lfr_portal.permissions import grant_operator
from tests.api import endpoints
from tests.factories import AlertFactory, DeploymentFactory


def _seen_by_all(r, **fields):
    deployment = DeploymentFactory(
        created_by=r.planner, status=DeploymentStatus.SUBMITTED, **fields
    )
    grant_operator(r.operator, deployment)
    return deployment


def _ago(minutes):
    return (timezone.now() - timedelta(minutes=minutes)).isoformat()


def deployment_eu_state(r):
    return endpoints.Call({"public_id": _seen_by_all(r).public_id})


def deployment_eu_request(r):
    return endpoints.Call(
        {"public_id": _seen_by_all(r).public_id},
        {"requested_at": _ago(5), "method": "electronic", "reference": "REQ/2026/1"},
    )


def deployment_eu_decision(r):
    deployment = _seen_by_all(
        r,
        eu_authorisation_requested_at=timezone.now() - timedelta(minutes=10),
        eu_request_method="electronic",
        eu_request_reference="REQ/2026/1",
        eu_request_recorded_by=r.planner,
    )
    return endpoints.Call(
        {"public_id": deployment.public_id},
        {
            "decision": "granted",
            "authority": "Amtsgericht Tiergarten",
            "authority_kind": "judicial",
            "decided_at": _ago(1),
            "reference": "JUD/2026/7",
        },
    )


def deployment_eu_notice(r):
    return endpoints.Call(
        {"public_id": _seen_by_all(r).public_id},
        {
            "authority": "data_protection",
            "authority_name": "Berliner Beauftragte für Datenschutz",
            "notified_at": _ago(2),
            "method": "electronic",
        },
    )


def alert_verify(r):
    alert = AlertFactory(deployment__second_person_verification=True)
    grant_operator(r.operator, alert.deployment)
    return endpoints.Call({"public_id": alert.public_id})
