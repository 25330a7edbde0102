"""The alert's life after the operator's decision: sent for engagement, acknowledged on
the street, the result of the engagement, its outcome and, after an arrest, the later
outcome. Each step has its rule here, is audited in its own transaction, and sends its
webhook once that transaction commits.

Words follow SWP's definitions: the operator's "true alert" is a possible match sent for
engagement; "confirmed" (the person, or not the person) is what engagement found.
"""

from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import (
    Adjudication,
    Alert,
    Engagement,
    EngagementOutcome,
    EngagementResult,
    LaterOutcome,
    Role,
    WebhookEvent,
)
from ..permissions import (
    RUNNING_STATES,
    can_engage,
    can_operate,
    can_record_later_outcome,
    has_role,
)
from ..selectors.engagements import deployment_field_officers
from .audit import audit_record
from .common import jsonable
from .engagement_rules import outcome_fields, result_fields
from .eu_verification import require_second_person
from .holds import alert_hold_place
from .notifications import notification_send
from .webhooks import webhook_event_emit

R = EngagementResult
O = EngagementOutcome  # noqa: E741


def _phone_link(engagement: Engagement) -> str:
    return reverse("field-engagement", args=[engagement.public_id])


def _lock(engagement: Engagement) -> Engagement:
    return (
        Engagement.objects.select_for_update(of=("self",))
        .select_related("alert__deployment", "alert__camera__camera", "alert__entry", "officer")
        .get(pk=engagement.pk)
    )


def _payload(engagement: Engagement, **extra: Any) -> dict[str, Any]:
    """Ids, times, categories and the camera: never names, free text or images."""
    alert = engagement.alert
    entry = alert.entry
    return {
        "engagement": str(engagement.public_id),
        "alert": str(alert.public_id),
        "deployment": str(alert.deployment.public_id),
        "camera": str(alert.camera.camera.public_id),
        "captured_at": alert.captured_at,
        "entry_category": entry.category if entry is not None else None,
        "dispatched_at": engagement.dispatched_at,
        **extra,
    }


@transaction.atomic
def alert_send_for_engagement(*, actor: User, alert: Alert) -> Engagement:
    """The operator's "possible match": the field officers on the deployment are told."""
    alert = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("deployment", "camera__camera", "entry")
        .get(pk=alert.pk)
    )
    deployment = alert.deployment
    if not can_operate(actor, deployment):
        raise NotPermitted(
            "Only an operator assigned to this deployment may send its alerts for engagement."
        )
    if alert.adjudication not in (Adjudication.PENDING, Adjudication.UNRESOLVED):
        raise InvalidTransition("The alert is already decided.")
    if Engagement.objects.filter(alert=alert).exists():
        raise InvalidTransition("The alert has already been sent for engagement.")
    if deployment.status not in RUNNING_STATES:
        raise InvalidTransition("Alerts are sent for engagement only while the deployment runs.")
    require_second_person(actor=actor, alert=alert)
    officers = deployment_field_officers(deployment)
    if not officers:
        raise RuleViolation(
            "No field officer is assigned to this deployment to receive it.",
            code="no_field_officer",
            next_step="Ask its planner or an authorising officer to assign a field officer.",
        )
    now = timezone.now()
    previous = alert.adjudication
    alert.adjudication = Adjudication.CONFIRMED
    alert.adjudicated_by = actor
    alert.adjudicated_at = now
    alert.save(update_fields=["adjudication", "adjudicated_by", "adjudicated_at", "updated_at"])
    engagement = Engagement.objects.create(alert=alert, dispatched_by=actor, dispatched_at=now)
    audit_record(
        actor=actor,
        action="alert.send_for_engagement",
        obj=alert,
        deployment=deployment,
        changes={
            "adjudication": [previous, Adjudication.CONFIRMED],
            "engagement": str(engagement.public_id),
        },
    )
    notification_send(
        recipients=officers,
        kind="engagement.sent",
        message=f"A possible match at {deployment.location_name} was sent for engagement.",
        link=_phone_link(engagement),
    )
    webhook_event_emit(event=WebhookEvent.ALERT_SENT, payload=_payload(engagement))
    return engagement


@transaction.atomic
def engagement_acknowledge(*, actor: User, engagement: Engagement) -> Engagement:
    """A field officer on the deployment takes the engagement; one officer has it."""
    engagement = _lock(engagement)
    deployment = engagement.alert.deployment
    if not can_engage(actor, deployment):
        raise NotPermitted("Only a field officer assigned to this deployment may take it.")
    holder = engagement.officer
    if holder is not None and holder.pk == actor.pk:
        return engagement
    if holder is not None:
        raise InvalidTransition(f"{holder.get_username()} has already taken this engagement.")
    if deployment.status not in RUNNING_STATES:
        raise InvalidTransition("The deployment is no longer running.")
    engagement.officer = actor
    engagement.acknowledged_at = timezone.now()
    engagement.save(update_fields=["officer", "acknowledged_at", "updated_at"])
    audit_record(
        actor=actor,
        action="engagement.acknowledge",
        obj=engagement,
        deployment=deployment,
        changes={"officer": actor.get_username()},
    )
    return engagement


def _require_holder(actor: User, engagement: Engagement) -> None:
    if not has_role(actor, Role.FIELD_OFFICER):
        raise NotPermitted("Only the field officer who has the engagement may record it.")
    if engagement.officer_id is None:
        raise InvalidTransition("Take the engagement (acknowledge it) before recording it.")
    if engagement.officer_id != actor.pk or not can_engage(actor, engagement.alert.deployment):
        raise NotPermitted("Only the field officer who has the engagement may record it.")


def _jsonable_fields(fields: dict[str, Any], skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: jsonable(v) for k, v in fields.items() if k not in skip}


def _announce_result(engagement: Engagement) -> None:
    """A misidentification tells the deployment's authorising officer; every result goes
    out as a webhook."""
    deployment = engagement.alert.deployment
    authorising_officer = deployment.decided_by
    if engagement.result == R.NOT_THE_PERSON and authorising_officer is not None:
        notification_send(
            recipients=[authorising_officer],
            kind="engagement.misidentified",
            message=(
                f"A person stopped at {deployment.location_name} was not the person on the "
                f"watchlist (held {engagement.held_minutes} min)."
            ),
            link=reverse("deployment-detail", args=[deployment.public_id]),
        )
    webhook_event_emit(
        event=WebhookEvent.ENGAGEMENT,
        payload=_payload(
            engagement,
            result=engagement.result,
            engaged_at=engagement.engaged_at,
            stop_minutes=engagement.stop_minutes,
            identity_check=engagement.identity_check or None,
            result_recorded_at=engagement.result_recorded_at,
        ),
    )


@transaction.atomic
def engagement_result_record(
    *,
    actor: User,
    engagement: Engagement,
    result: str,
    engaged_at: datetime | None = None,
    stop_minutes: int | None = None,
    identity_check: str = "",
    not_engaged_reason: str = "",
    held_minutes: int | None = None,
    explanation_given: bool | None = None,
    complaints_route_given: bool | None = None,
    perceived_sex: str = "",
    perceived_ethnicity: str = "",
) -> Engagement:
    """What the engagement found, once. A misidentified person is counted and the
    deployment's authorising officer told."""
    engagement = _lock(engagement)
    _require_holder(actor, engagement)
    if engagement.result:
        raise InvalidTransition("The engagement's result is already recorded.")
    if result not in R.values or result == R.PENDING:
        raise RuleViolation(
            "The result is one of: confirmed_person, not_the_person, not_located, not_engaged.",
            field="result",
        )
    given = {
        "engaged_at": engaged_at,
        "stop_minutes": stop_minutes,
        "identity_check": identity_check,
        "not_engaged_reason": not_engaged_reason,
        "held_minutes": held_minutes,
        "explanation_given": explanation_given,
        "complaints_route_given": complaints_route_given,
        "perceived_sex": perceived_sex,
        "perceived_ethnicity": perceived_ethnicity,
    }
    fields = result_fields(engagement, result, given)
    for name, value in fields.items():
        setattr(engagement, name, value)
    engagement.result = result
    engagement.result_recorded_at = timezone.now()
    engagement.save(update_fields=[*fields, "result", "result_recorded_at", "updated_at"])
    deployment = engagement.alert.deployment
    audit_record(
        actor=actor,
        action="engagement.result",
        obj=engagement,
        deployment=deployment,
        reason=fields["not_engaged_reason"],
        changes={"result": result, **_jsonable_fields(fields, skip=("not_engaged_reason",))},
    )
    _announce_result(engagement)
    return engagement


@transaction.atomic
def engagement_outcome_record(
    *,
    actor: User,
    engagement: Engagement,
    outcome: str,
    arrest_category: str = "",
    custody_reference: str = "",
    crime_reference: str = "",
    hold_review_by: date | None = None,
    no_hold_reason: str = "",
) -> Engagement:
    """The outcome of a stop that found the person, once. An arrest places an evidence
    hold on the alert in the same transaction, or records why none is needed."""
    engagement = _lock(engagement)
    _require_holder(actor, engagement)
    if engagement.result != R.CONFIRMED_PERSON:
        raise InvalidTransition("An outcome follows only an engagement that found the person.")
    if engagement.outcome:
        raise InvalidTransition("The engagement's outcome is already recorded.")
    fields = outcome_fields(
        outcome,
        arrest_category=arrest_category,
        custody_reference=custody_reference,
        crime_reference=crime_reference,
        hold_review_by=hold_review_by,
        no_hold_reason=no_hold_reason,
    )
    for name, value in fields.items():
        setattr(engagement, name, value)
    engagement.outcome = outcome
    engagement.outcome_recorded_at = timezone.now()
    engagement.save(update_fields=[*fields, "outcome", "outcome_recorded_at", "updated_at"])
    alert = engagement.alert
    audit_record(
        actor=actor,
        action="engagement.outcome",
        obj=engagement,
        deployment=alert.deployment,
        reason=fields["no_hold_reason"],
        changes={
            "outcome": outcome,
            "arrest_category": fields["arrest_category"],
            "custody_reference": fields["custody_reference"],
            "crime_reference": fields["crime_reference"],
            "hold_review_by": hold_review_by.isoformat() if hold_review_by else None,
        },
    )
    _hold_and_announce(actor, engagement, hold_review_by)
    return engagement


def _hold_and_announce(actor: User, engagement: Engagement, hold_review_by: date | None) -> None:
    """An arrest with a review date keeps the alert's image (in the caller's transaction);
    every outcome goes out as a webhook."""
    if engagement.outcome == O.ARREST and hold_review_by is not None:
        alert_hold_place(
            actor=actor,
            alert=engagement.alert,
            reason=f"Arrest after engagement; custody reference {engagement.custody_reference}.",
            review_by=hold_review_by,
            custody_reference=engagement.custody_reference,
        )
    webhook_event_emit(
        event=WebhookEvent.OUTCOME,
        payload=_payload(
            engagement,
            outcome=engagement.outcome,
            arrest_category=engagement.arrest_category or None,
            held_for_evidence=hold_review_by is not None,
            outcome_recorded_at=engagement.outcome_recorded_at,
        ),
    )


@transaction.atomic
def engagement_later_outcome_record(
    *, actor: User, engagement: Engagement, later_outcome: str
) -> Engagement:
    """What became of an arrest (charge, caution...), when known; a correction is audited
    with what it replaced."""
    engagement = _lock(engagement)
    if not can_record_later_outcome(actor, engagement):
        raise NotPermitted(
            "Only the arresting officer, an authorising officer or a compliance officer may "
            "record what became of an arrest."
        )
    if engagement.outcome != O.ARREST:
        raise InvalidTransition("A later outcome follows only an arrest.")
    if later_outcome not in LaterOutcome.values or later_outcome == LaterOutcome.NONE:
        raise RuleViolation(
            "The later outcome is one of: charged, cautioned, released, no_further_action.",
            field="later_outcome",
        )
    previous = engagement.later_outcome
    if previous == later_outcome:
        return engagement
    engagement.later_outcome = later_outcome
    engagement.later_outcome_recorded_at = timezone.now()
    engagement.save(update_fields=["later_outcome", "later_outcome_recorded_at", "updated_at"])
    audit_record(
        actor=actor,
        action="engagement.later_outcome",
        obj=engagement,
        deployment=engagement.alert.deployment,
        changes={"later_outcome": [previous, later_outcome]},
    )
    return engagement
