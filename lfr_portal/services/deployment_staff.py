"""Who staffs a deployment: operators, who adjudicate its alerts, and field officers, who
receive those sent for engagement. Each role is described once and assigned one way."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import Deployment, Role
from ..permissions import (
    ENDED_STATES,
    can_engage,
    can_manage_deployment,
    can_operate,
    grant_field_officer,
    grant_operator,
    has_role,
    revoke_field_officer,
    revoke_operator,
)
from .audit import audit_record
from .deployment_guards import lock


@dataclass(frozen=True)
class _Assignment:
    """Who may be put on a deployment in one role, and how it is recorded."""

    role: str
    field: str  # the argument and audit key naming the person
    noun: str  # "an operator"
    plural: str  # "Operators"
    action: str  # audit actions: deployment.<action>_assign / _remove
    assign_refusal: str
    remove_refusal: str
    grant: Callable[[Any, Deployment], None]
    revoke: Callable[[Any, Deployment], None]
    holds: Callable[[Any, Deployment], bool]


MANAGERS = "Only its planner or an authorising officer may"
OPERATORS = _Assignment(
    role=Role.OPERATOR,
    field="operator",
    noun="an operator",
    plural="Operators",
    action="operator",
    assign_refusal=f"{MANAGERS} assign operators.",
    remove_refusal=f"{MANAGERS} assign operators.",
    grant=grant_operator,
    revoke=revoke_operator,
    holds=can_operate,
)
FIELD_OFFICERS = _Assignment(
    role=Role.FIELD_OFFICER,
    field="officer",
    noun="a field officer",
    plural="Field officers",
    action="field_officer",
    assign_refusal=f"{MANAGERS} assign field officers.",
    remove_refusal=f"{MANAGERS} remove field officers.",
    grant=grant_field_officer,
    revoke=revoke_field_officer,
    holds=can_engage,
)


def _assign(kind: _Assignment, *, actor: Any, deployment: Deployment, person: Any) -> None:
    deployment = lock(deployment)
    if not can_manage_deployment(actor, deployment):
        raise NotPermitted(kind.assign_refusal)
    if not has_role(person, kind.role):
        raise RuleViolation(f"{person.get_username()} is not {kind.noun}.", field=kind.field)
    if deployment.status in ENDED_STATES:
        raise InvalidTransition(f"{kind.plural} cannot be assigned to an ended deployment.")
    kind.grant(person, deployment)
    audit_record(
        actor=actor,
        action=f"deployment.{kind.action}_assign",
        obj=deployment,
        changes={kind.field: person.get_username()},
    )


def _remove(
    kind: _Assignment, *, actor: Any, deployment: Deployment, person: Any, reason: str
) -> None:
    deployment = lock(deployment)
    if not can_manage_deployment(actor, deployment):
        raise NotPermitted(kind.remove_refusal)
    if not kind.holds(person, deployment):
        raise RuleViolation(
            f"{person.get_username()} is not assigned to this deployment.", field=kind.field
        )
    kind.revoke(person, deployment)
    audit_record(
        actor=actor,
        action=f"deployment.{kind.action}_remove",
        obj=deployment,
        reason=reason,
        changes={kind.field: person.get_username()},
    )


@transaction.atomic
def deployment_operator_assign(*, actor: Any, deployment: Deployment, operator: Any) -> None:
    """Put an operator on a deployment: they see it and adjudicate its alerts."""
    _assign(OPERATORS, actor=actor, deployment=deployment, person=operator)


@transaction.atomic
def deployment_operator_remove(
    *, actor: Any, deployment: Deployment, operator: Any, reason: str = ""
) -> None:
    """Take an operator off a deployment: they no longer see it or its alerts."""
    _remove(OPERATORS, actor=actor, deployment=deployment, person=operator, reason=reason)


@transaction.atomic
def deployment_field_officer_assign(*, actor: Any, deployment: Deployment, officer: Any) -> None:
    """Put a field officer on a deployment: its alerts sent for engagement reach them."""
    _assign(FIELD_OFFICERS, actor=actor, deployment=deployment, person=officer)


@transaction.atomic
def deployment_field_officer_remove(
    *, actor: Any, deployment: Deployment, officer: Any, reason: str = ""
) -> None:
    """Take a field officer off a deployment: its alerts no longer reach them."""
    _remove(FIELD_OFFICERS, actor=actor, deployment=deployment, person=officer, reason=reason)
