"""Writes for alerts: operators adjudicate; no decision rests on the system's output alone."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import Adjudication, Alert, Outcome
from ..permissions import can_operate
from .accuracy import false_alert_ceiling_check
from .audit import audit_record


@transaction.atomic
def alert_adjudicate(
    *,
    actor: User,
    alert: Alert,
    adjudication: str,
    outcome: str = "",
    outcome_detail: str = "",
) -> Alert:
    alert = Alert.objects.select_for_update().select_related("deployment").get(pk=alert.pk)
    if not can_operate(actor, alert.deployment):
        raise NotPermitted(
            "Only an operator assigned to this deployment may adjudicate its alerts."
        )
    choices = {Adjudication.CONFIRMED, Adjudication.FALSE_ALERT, Adjudication.UNRESOLVED}
    if adjudication not in choices:
        raise RuleViolation(
            "The adjudication is one of: confirmed, false_alert, unresolved.", field="adjudication"
        )
    if outcome and outcome not in Outcome.values:
        raise RuleViolation(
            "The outcome is one of: no_action, words_of_advice, arrest, other.", field="outcome"
        )
    if adjudication == Adjudication.CONFIRMED and not outcome:
        raise RuleViolation("A confirmed match needs its outcome recorded.", field="outcome")
    if adjudication == Adjudication.FALSE_ALERT and outcome == Outcome.ARREST:
        raise RuleViolation("A false alert cannot have led to an arrest.", field="outcome")
    if outcome == Outcome.OTHER and not outcome_detail.strip():
        raise RuleViolation("An outcome of 'other' must say what happened.", field="outcome_detail")
    if alert.adjudication not in (Adjudication.PENDING, Adjudication.UNRESOLVED):
        raise InvalidTransition("The alert is already adjudicated.")
    previous = alert.adjudication
    alert.adjudication = adjudication
    alert.outcome = outcome
    alert.outcome_detail = outcome_detail
    alert.adjudicated_by = actor
    alert.adjudicated_at = timezone.now()
    alert.save(
        update_fields=[
            "adjudication",
            "outcome",
            "outcome_detail",
            "adjudicated_by",
            "adjudicated_at",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="alert.adjudicate",
        obj=alert,
        deployment=alert.deployment,
        changes={"adjudication": [previous, adjudication], "outcome": outcome},
    )
    # The same transaction: an adjudication that passes the ceiling suspends at once.
    false_alert_ceiling_check(deployment=alert.deployment)
    return alert
