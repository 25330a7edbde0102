"""Reading engagements: who may see which, where each alert stands, and the phone's list.

`engagement_stage` is the one statement of an alert's stage; pages and the API show it.
"""

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user, get_users_with_perms

from ..models import (
    Adjudication,
    Alert,
    Deployment,
    Engagement,
    EngagementOutcome,
    EngagementResult,
    Role,
)
from ..permissions import (
    ENGAGE_DEPLOYMENT,
    OPERATE_DEPLOYMENT,
    RUNNING_STATES,
    has_role,
)

R = EngagementResult
# Results after which nothing more is recorded: no one was stopped, or the wrong person was.
FINAL_RESULTS = (R.NOT_THE_PERSON, R.NOT_LOCATED, R.NOT_ENGAGED)


class EngagementStage(models.TextChoices):
    RAISED = "raised", "Raised: awaiting the operator"
    NO_MATCH = "no_match", "No match (the operator's false alert)"
    SENT = "sent", "Sent for engagement"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by a field officer"
    RESULT_RECORDED = "result_recorded", "Engagement recorded: awaiting the outcome"
    OUTCOME_RECORDED = "outcome_recorded", "Arrest recorded: awaiting the later outcome"
    CLOSED = "closed", "Closed"


def _engagement_of(alert: Alert) -> Engagement | None:
    try:
        return alert.engagement
    except ObjectDoesNotExist:
        return None


def engagement_stage(alert: Alert) -> EngagementStage:
    """Where the alert stands in its life, from raised to closed."""
    engagement = _engagement_of(alert)
    if engagement is None:
        if alert.adjudication in (Adjudication.PENDING, Adjudication.UNRESOLVED):
            return EngagementStage.RAISED
        if alert.adjudication == Adjudication.FALSE_ALERT:
            return EngagementStage.NO_MATCH
        # Confirmed by the operator on the old direct path, outcome and all.
        return EngagementStage.CLOSED
    if engagement.result in FINAL_RESULTS or engagement.later_outcome:
        return EngagementStage.CLOSED
    if engagement.outcome == EngagementOutcome.ARREST:
        return EngagementStage.OUTCOME_RECORDED
    if engagement.outcome:
        return EngagementStage.CLOSED
    if engagement.result:
        return EngagementStage.RESULT_RECORDED
    if engagement.officer_id is not None:
        return EngagementStage.ACKNOWLEDGED
    return EngagementStage.SENT


def _assigned(user: Any, perm: str) -> QuerySet[Deployment]:
    return get_objects_for_user(user, perm, klass=Deployment, accept_global_perms=False)


def engagements_visible_to(user: Any) -> QuerySet[Engagement]:
    """Authorising and compliance officers see all; operators and field officers only
    their own deployments'."""
    base = Engagement.objects.select_related(
        "alert__deployment", "alert__camera__camera", "alert__entry", "officer", "dispatched_by"
    )
    if not user or not user.is_authenticated:
        return base.none()
    if has_role(user, Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER):
        return base.all()
    deployments = Q(pk__in=[])
    if has_role(user, Role.OPERATOR):
        deployments |= Q(pk__in=_assigned(user, OPERATE_DEPLOYMENT).values("pk"))
    if has_role(user, Role.FIELD_OFFICER):
        deployments |= Q(pk__in=_assigned(user, ENGAGE_DEPLOYMENT).values("pk"))
    return base.filter(alert__deployment__in=Deployment.objects.filter(deployments))


def engagement_for(user: Any, public_id: Any) -> Engagement:
    """The engagement if the user may see it; Engagement.DoesNotExist otherwise."""
    return engagements_visible_to(user).get(public_id=public_id)


def open_engagements_for(officer: Any) -> QuerySet[Engagement]:
    """For the phone: engagements on running deployments the officer is assigned to that
    are free to take or theirs, still waiting for a result or an outcome; newest first."""
    if not has_role(officer, Role.FIELD_OFFICER):
        return Engagement.objects.none()
    return (
        engagements_visible_to(officer)
        .filter(
            alert__deployment__in=_assigned(officer, ENGAGE_DEPLOYMENT).values("pk"),
            alert__deployment__status__in=RUNNING_STATES,
            outcome="",
        )
        .filter(Q(officer__isnull=True) | Q(officer=officer))
        .exclude(result__in=FINAL_RESULTS)
        .order_by("-dispatched_at")
    )


def deployment_field_officers(deployment: Deployment) -> list[User]:
    """The field officers assigned to this deployment (their object permission), by name."""
    users = get_users_with_perms(
        deployment,
        only_with_perms_in=[ENGAGE_DEPLOYMENT.split(".", 1)[1]],
        with_group_users=False,
    )
    officers = [
        u for u in users if isinstance(u, User) and u.is_active and has_role(u, Role.FIELD_OFFICER)
    ]
    return sorted(officers, key=lambda u: (u.get_full_name() or u.get_username()).lower())
