"""Second-person verification of an alert before anyone acts on it (Art. 14(5) EU AI Act),
where the deployment asks for it (Deployment.second_person_verification)."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import Adjudication, Alert, Engagement
from ..permissions import RUNNING_STATES, can_verify_alert
from .audit import audit_record


@transaction.atomic
def alert_verify(*, actor: Any, alert: Alert) -> Alert:
    """A second person (an operator of the deployment or an authorising officer) confirms
    the match; whoever adjudicates or sends it for engagement must be someone else."""
    alert = (
        Alert.objects.select_for_update(of=("self",)).select_related("deployment").get(pk=alert.pk)
    )
    deployment = alert.deployment
    if not can_verify_alert(actor, deployment):
        raise NotPermitted(
            "Only an operator of this deployment or an authorising officer may verify its alerts."
        )
    if not deployment.second_person_verification:
        raise RuleViolation("This deployment does not ask for a second person's verification.")
    if alert.verified_by_id is not None:
        raise InvalidTransition("The alert is already verified.")
    if alert.adjudication not in (Adjudication.PENDING, Adjudication.UNRESOLVED):
        raise InvalidTransition("The alert is already decided.")
    if Engagement.objects.filter(alert=alert).exists():
        raise InvalidTransition("The alert has already been sent for engagement.")
    if deployment.status not in RUNNING_STATES:
        raise InvalidTransition("Alerts are verified only while the deployment runs.")
    if alert.adjudicated_by_id == actor.pk:
        raise RuleViolation(
            "The second person who verifies an alert cannot be the one who adjudicated it."
        )
    alert.verified_by = actor
    alert.verified_at = timezone.now()
    alert.save(update_fields=["verified_by", "verified_at", "updated_at"])
    audit_record(actor=actor, action="alert.verify", obj=alert, deployment=deployment)
    return alert


def require_second_person(*, actor: Any, alert: Alert) -> None:
    """Sending for engagement: refused until someone other than the sender verified it."""
    if not alert.deployment.second_person_verification:
        return
    if alert.verified_by_id is None:
        raise RuleViolation(
            "This deployment needs a second person to verify each alert before it is sent "
            "for engagement (Art. 14(5) EU AI Act); it is not verified yet.",
            code="verification_required",
            next_step="Ask another operator of the deployment or an authorising officer to "
            "verify it.",
        )
    if alert.verified_by_id == actor.pk:
        raise RuleViolation(
            "The officer who verified the alert cannot also send it for engagement: that "
            "takes a second person.",
            code="verification_required",
        )
