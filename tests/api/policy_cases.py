"""The role matrix's cases for the policy library and subject access endpoints."""

from datetime import timedelta

from django.utils import timezone

from lfr_portal.services.policies import deployment_policy_pin
from tests import policy_builders as policies
from tests.api import endpoints
from tests.factories import DeploymentFactory, EntryFactory


def policy_list(r):
    policies.version(actor=r.compliance)
    return endpoints.Call()


def policy_detail(r):
    return endpoints.Call({"public_id": policies.version(actor=r.compliance).document.public_id})


def policy_create(r):
    return endpoints.Call(body={"kind": "sop", "title": f"SOP {timezone.now().timestamp()}"})


def policy_version_upload(r):
    document = policies.document(r.compliance)
    today = timezone.localdate()
    return endpoints.Call(
        {"public_id": document.public_id},
        {
            "file": policies.text_file(),
            "issued_on": today.isoformat(),
            "review_by": (today + timedelta(days=365)).isoformat(),
            "change_summary": "First issue.",
            "stated_retention": '{"alert_images": 31}',
        },
        multipart=True,
    )


def policy_version_publishable(r):
    version = policies.version(actor=r.compliance)
    return endpoints.Call({"public_id": version.public_id}, {"publishable": True})


def policy_pin(r):
    deployment = DeploymentFactory(created_by=r.planner)
    version = policies.version(actor=r.compliance)
    return endpoints.Call({"public_id": deployment.public_id}, {"version": str(version.public_id)})


def policy_unpin(r):
    deployment = DeploymentFactory(created_by=r.planner)
    version = policies.version(actor=r.compliance)
    deployment_policy_pin(actor=r.planner, deployment=deployment, version=version)
    return endpoints.Call({"public_id": deployment.public_id}, {"version": str(version.public_id)})


def subject_access(r):
    entry = EntryFactory(reference_number="CUST/SAR/1")
    return endpoints.Call(body={"reference": entry.reference_number})
