"""EU AI Act mode: the judicial or independent authority's decision on a deployment."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..errors import RuleViolation
from ..models import Deployment, DeploymentStatus
from ..permissions import ENDED_STATES, RUNNING_STATES
from .audit import audit_record
from .deployment_guards import lock, require_ao
from .deployment_lifecycle import end_deployment

S = DeploymentStatus


@transaction.atomic
def deployment_independent_decision(
    *, actor: Any, deployment: Deployment, decision: str, reference: str
) -> Deployment:
    """EU AI Act mode: record the judicial or independent authority's decision.

    A refusal stops all processing at once; deleting the deployment's data follows.
    """
    if not settings.LFR_EU_AI_ACT_MODE:
        raise RuleViolation("Independent authorisation is recorded only in EU AI Act mode.")
    deployment = lock(deployment)
    require_ao(actor)
    if decision not in ("granted", "refused"):
        raise RuleViolation("The decision is 'granted' or 'refused'.", field="decision")
    if not str(reference).strip():
        raise RuleViolation("The authority's decision needs its reference.", field="reference")
    deployment.eu_authorisation_decision = decision
    deployment.eu_authorisation_decided_at = timezone.now()
    deployment.save(
        update_fields=["eu_authorisation_decision", "eu_authorisation_decided_at", "updated_at"]
    )
    if decision == "refused" and deployment.status not in ENDED_STATES:
        end_deployment(
            deployment,
            status=S.CANCELLED,
            actor=actor,
            reason="The independent authority refused authorisation.",
            early=deployment.status in RUNNING_STATES,
        )
    audit_record(
        actor=actor,
        action=f"deployment.independent_{decision}",
        obj=deployment,
        changes={"reference": reference},
    )
    return deployment
