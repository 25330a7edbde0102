"""EU AI Act mode: the request to the judicial or independent authority as it was made,
the authority's decision, and the notices of each use to the market-surveillance and
data-protection authorities (Art. 26(10)). What happens when an urgent deployment's
window passes without a decision is in eu_urgency."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import (
    AuthorityNotification,
    Deployment,
    DeploymentStatus,
    EUAuthorityKind,
    EURequestMethod,
    NotifiedAuthority,
)
from ..permissions import (
    ENDED_STATES,
    RUNNING_STATES,
    can_record_authority_notice,
    can_record_eu_request,
)
from .audit import audit_record
from .common import task_send_on_commit
from .deployment_guards import lock, require_ao
from .deployment_lifecycle import end_deployment

S = DeploymentStatus
DECISIONS = ("granted", "refused")
# The task that deletes everything a refused (or lapsed) deployment produced.
DELETE_TASK = "lfr_portal.eu_deployment_data_delete"


def _require_eu_mode(what: str) -> None:
    if not settings.LFR_EU_AI_ACT_MODE:
        raise RuleViolation(f"{what} is recorded only in EU AI Act mode.")


def _text(value: str, field: str, sentence: str) -> str:
    value = (value or "").strip()
    if not value:
        raise RuleViolation(sentence, field=field)
    return value


def _choice(value: str, choices: Any, field: str, sentence: str) -> str:
    if value not in choices.values:
        raise RuleViolation(sentence, field=field)
    return value


def _moment(value: datetime, *, field: str, not_before: datetime | None, before_words: str) -> None:
    """A moment as stated by the person recording it: not in the future, not too early."""
    if value is None:
        raise RuleViolation("The date and time are needed.", field=field)
    if value > timezone.now():
        raise RuleViolation("The date and time cannot be in the future.", field=field)
    if not_before is not None and value < not_before:
        raise RuleViolation(
            f"The date and time cannot be before {before_words}.",
            field=field,
        )


@transaction.atomic
def deployment_eu_request_record(
    *,
    actor: Any,
    deployment: Deployment,
    requested_at: datetime,
    method: str,
    reference: str,
) -> Deployment:
    """Record when and how the authorisation was actually requested (Art. 5(3))."""
    _require_eu_mode("The request to the authority")
    deployment = lock(deployment)
    if not can_record_eu_request(actor, deployment):
        raise NotPermitted(
            "Only its planner or an authorising officer may record the request to the authority."
        )
    if deployment.eu_authorisation_requested_at is not None:
        raise InvalidTransition("The request to the authority is already recorded.")
    method = _choice(method, EURequestMethod, "method", "Say how the request was made.")
    reference = _text(reference, "reference", "The request needs its reference.")
    _moment(
        requested_at,
        field="requested_at",
        # An urgent request is often telephoned before anything is typed in here.
        not_before=None,
        before_words="",
    )
    deployment.eu_authorisation_requested_at = requested_at
    deployment.eu_request_method = method
    deployment.eu_request_reference = reference
    deployment.eu_request_recorded_by = actor
    deployment.save(
        update_fields=[
            "eu_authorisation_requested_at",
            "eu_request_method",
            "eu_request_reference",
            "eu_request_recorded_by",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="deployment.eu_request",
        obj=deployment,
        changes={
            "requested_at": requested_at.isoformat(),
            "method": method,
            "reference": reference,
        },
    )
    return deployment


def _decision_fields(
    deployment: Deployment,
    *,
    decision: str,
    reference: str,
    authority: str,
    authority_kind: str,
    decided_at: datetime,
) -> dict[str, Any]:
    """The decision's fields as the authority gave them, each checked; by model field."""
    if decision not in DECISIONS:
        raise RuleViolation("The decision is 'granted' or 'refused'.", field="decision")
    fields = {
        "eu_authorisation_decision": decision,
        "eu_decision_authority": _text(
            authority, "authority", "Name the authority or court that decided."
        ),
        "eu_decision_authority_kind": _choice(
            authority_kind,
            EUAuthorityKind,
            "authority_kind",
            "Say whether it is a court or an independent administrative authority.",
        ),
        "eu_decision_reference": _text(
            reference, "reference", "The authority's decision needs its reference."
        ),
    }
    _check_decision(deployment, decided_at)
    return {**fields, "eu_authorisation_decided_at": decided_at}


def _check_decision(deployment: Deployment, decided_at: datetime) -> None:
    if deployment.eu_authorisation_decision:
        raise InvalidTransition("The authority's decision is already recorded.")
    requested_at = deployment.eu_authorisation_requested_at
    if requested_at is None:
        raise RuleViolation(
            "Record the request to the authority before its decision.", field="decided_at"
        )
    _moment(
        decided_at,
        field="decided_at",
        not_before=requested_at,
        before_words="the request was made",
    )


@transaction.atomic
def deployment_independent_decision(
    *,
    actor: Any,
    deployment: Deployment,
    decision: str,
    reference: str,
    authority: str,
    authority_kind: str,
    decided_at: datetime,
) -> Deployment:
    """Record the judicial or independent authority's decision, as the authority gave it.

    A refusal stops all processing at once; everything the deployment produced is then
    deleted by retention's deployment-data rule (the task is sent after commit, and the
    next retention run is the backstop).
    """
    _require_eu_mode("Independent authorisation")
    deployment = lock(deployment)
    require_ao(actor)
    fields = _decision_fields(
        deployment,
        decision=decision,
        reference=reference,
        authority=authority,
        authority_kind=authority_kind,
        decided_at=decided_at,
    )
    for name, value in fields.items():
        setattr(deployment, name, value)
    deployment.eu_decision_recorded_by = actor
    deployment.save(update_fields=[*fields, "eu_decision_recorded_by", "updated_at"])
    changes = {
        name.removeprefix("eu_").removeprefix("authorisation_").removeprefix("decision_"): value
        for name, value in fields.items()
    }
    changes["decided_at"] = decided_at.isoformat()
    if decision == "granted":
        audit_record(
            actor=actor, action="deployment.independent_granted", obj=deployment, changes=changes
        )
        return deployment
    _refuse(deployment, actor=actor, changes=changes)
    return deployment


def _refuse(deployment: Deployment, *, actor: Any, changes: dict[str, Any]) -> None:
    reason = "The independent authority refused authorisation."
    if deployment.status not in ENDED_STATES:
        end_deployment(
            deployment,
            status=S.CANCELLED,
            actor=actor,
            reason=reason,
            early=deployment.status in RUNNING_STATES,
        )
    audit_record(
        actor=actor,
        action="deployment.independent_refused",
        obj=deployment,
        reason=reason,
        changes=changes,
    )
    task_send_on_commit(DELETE_TASK, args=[deployment.pk], queue="default")


@transaction.atomic
def authority_notification_record(
    *,
    actor: Any,
    deployment: Deployment,
    authority: str,
    authority_name: str,
    notified_at: datetime,
    method: str,
    reference: str = "",
    note: str = "",
) -> AuthorityNotification:
    """Record a notice of the use to the market-surveillance or data-protection authority."""
    _require_eu_mode("A notice to an authority")
    deployment = lock(deployment)
    if not can_record_authority_notice(actor, deployment):
        raise NotPermitted(
            "Only its planner, an authorising officer or a compliance officer may record "
            "a notice to an authority."
        )
    authority = _choice(
        authority, NotifiedAuthority, "authority", "Say which authority was notified."
    )
    authority_name = _text(authority_name, "authority_name", "Name the authority notified.")
    method = _choice(method, EURequestMethod, "method", "Say how the authority was notified.")
    _moment(
        notified_at,
        field="notified_at",
        # An urgent request is often telephoned before anything is typed in here.
        not_before=None,
        before_words="",
    )
    notice = AuthorityNotification.objects.create(
        deployment=deployment,
        authority=authority,
        authority_name=authority_name,
        notified_at=notified_at,
        method=method,
        reference=(reference or "").strip(),
        note=(note or "").strip(),
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="deployment.authority_notice",
        obj=deployment,
        changes={
            "notice": str(notice.public_id),
            "authority": authority,
            "authority_name": authority_name,
            "notified_at": notified_at.isoformat(),
            "method": method,
            "reference": notice.reference,
        },
    )
    return notice
