"""EU AI Act mode: an urgent deployment still without a granted decision when
LFR_EU_URGENT_AUTHORISATION_WINDOW has passed since it went live stops by itself, and
everything it produced is deleted (retention's deployment-data rule)."""

import time

from django.db import transaction
from django.utils import timezone

from ..models import Deployment, DeploymentCamera, DeploymentStatus
from ..selectors.eu_mode import RUNNING, lapsed_urgent_q, urgent_deadline, when_text
from .audit import audit_record
from .deployment_lifecycle import end_deployment
from .retention import retention_delete_deployment_data

S = DeploymentStatus


@transaction.atomic
def deployment_eu_urgent_lapse(*, deployment_id: int) -> bool:
    """System action: stop an urgent deployment whose window passed without a granted
    decision. False when it is no longer running or no longer lapsed (idempotent)."""
    now = timezone.now()
    deployment = Deployment.objects.select_for_update().get(pk=deployment_id)
    lapsed = Deployment.objects.filter(lapsed_urgent_q(now), pk=deployment_id).exists()
    if deployment.status not in RUNNING or not lapsed:
        return False
    deadline = urgent_deadline(deployment)
    assert deadline is not None  # lapsed: urgent, in EU mode, went live
    reason = (
        "EU AI Act: no granted authorisation was recorded by "
        f"{when_text(deadline)}, the end of the urgency window; all processing stopped."
    )
    # The jobs see the status change within half a second and stop (deployment_still_live).
    end_deployment(deployment, status=S.CANCELLED, actor=None, reason=reason, early=True)
    audit_record(
        actor=None,
        action="deployment.eu_urgency_lapsed",
        obj=deployment,
        reason=reason,
        changes={
            "deadline": deadline.isoformat(),
            "request_recorded": deployment.eu_authorisation_requested_at is not None,
        },
    )
    return True


def _jobs_stopped(deployment_id: int, timeout: float) -> bool:
    """Wait until no recognition job holds a camera of the deployment: a chunk read before
    the stop may still commit its alerts, and those must not outlive the deletion."""
    deadline = time.monotonic() + timeout
    while (
        DeploymentCamera.objects.filter(deployment_id=deployment_id).exclude(job_token="").exists()
    ):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def deployment_eu_outputs_delete(*, deployment_id: int, wait: float = 30.0) -> dict[str, int]:
    """Delete everything a refused or lapsed deployment produced, once its jobs are gone.

    A job that does not let go in time (its worker died) is left to the next retention
    run, which finds the deployment by the same rule and deletes what it left.
    """
    _jobs_stopped(deployment_id, wait)
    return retention_delete_deployment_data(deployment_id=deployment_id)


def deployment_eu_urgent_enforce(*, deployment_id: int) -> dict[str, int]:
    """Stop a lapsed urgent deployment, then delete everything it produced.

    The stop commits first, so the recognition jobs stop before any deletion starts; the
    deletion runs in retention's own short batches. A run killed between the two leaves
    the deletion to the next retention run, which finds the deployment by the same rule.
    """
    deployment_eu_urgent_lapse(deployment_id=deployment_id)
    return deployment_eu_outputs_delete(deployment_id=deployment_id)
