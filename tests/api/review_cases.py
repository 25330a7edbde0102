"""Role-matrix cases for the review and complaint API (tests/api/endpoints.py rows)."""

from datetime import timedelta

from django.utils import timezone

from lfr_portal.models import DeploymentStatus
from lfr_portal.services.complaints import complaint_record
from lfr_portal.services.reviews import review_open
from tests.api.endpoints import Call
from tests.factories import DeploymentFactory


def _review(r):
    now = timezone.now()
    deployment = DeploymentFactory(
        created_by=r.planner,
        status=DeploymentStatus.COMPLETED,
        starts_at=now - timedelta(hours=8),
        went_live_at=now - timedelta(hours=8),
        ended_at=now - timedelta(hours=1),
    )
    return review_open(actor=None, deployment=deployment)


def _complaint(r, **fields):
    return complaint_record(
        actor=r.compliance, category="signage", received_on=timezone.localdate(), **fields
    )


def review_list(r):
    _review(r)
    return Call()


def review_detail(r):
    return Call({"public_id": _review(r).public_id})


def review_sign_off(r):
    body = {
        "findings": "Ran as authorised.",
        "lessons": "Signs further out.",
        "public_summary": "It ran as authorised.",
    }
    return Call({"public_id": _review(r).public_id}, body)


def complaint_list(r):
    _complaint(r)
    return Call()


def complaint_detail(r):
    return Call({"public_id": _complaint(r).public_id})


def complaint_record_call(r):
    deployment = _review(r).deployment
    body = {
        "category": "privacy",
        "received_on": timezone.localdate().isoformat(),
        "deployment": str(deployment.public_id),
        "reference": "PSD/7",
    }
    return Call(body=body)


def complaint_outcome(r):
    return Call({"public_id": _complaint(r).public_id}, {"outcome": "resolved"})
