"""Writes for deployments: drafting, documents, cameras and the approval decision.

Going live and ending are in deployment_lifecycle; the rules both refuse by are in
selectors.readiness and the guards in permissions. Each service owns its transaction.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..engines import ENGINE_PROFILES
from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import (
    Camera,
    Deployment,
    DeploymentCamera,
    DeploymentDocument,
    DeploymentStatus,
    DocumentKind,
    Role,
    Watchlist,
)
from ..models.deployments import EDITABLE_FIELDS
from ..permissions import EDITABLE_STATES, can_decide_deployment, has_role
from ..selectors.accuracy import force_ceiling
from ..selectors.deployments import overlapping_booking
from ..selectors.readiness import (
    Problem,
    approval_problems,
    authorisation_snapshot,
    use_case_problem,
    window_length_problem,
)
from .audit import audit_record
from .common import apply_changes, jsonable, normalise_coordinates, validate_model
from .deployment_guards import NotReady, lock, require_ao, require_planner_of

S = DeploymentStatus


def _require_editable(actor: Any, deployment: Deployment, refusal: str) -> None:
    require_planner_of(actor, deployment)
    if deployment.status not in EDITABLE_STATES:
        raise InvalidTransition(refusal)


def _require_decider(actor: Any, deployment: Deployment, refusal: str) -> None:
    require_ao(actor)
    if not can_decide_deployment(actor, deployment):
        raise NotPermitted(refusal, code="four_eyes")


def _refuse(problem: Problem | None) -> None:
    if problem is not None:
        raise RuleViolation(problem.message, field=problem.field, code=problem.code)


def _check_threshold(deployment: Deployment) -> None:
    if deployment.engine not in ENGINE_PROFILES:
        raise RuleViolation(f"Unknown engine '{deployment.engine}'.", field="engine")
    try:
        threshold = Decimal(deployment.threshold)
    except (InvalidOperation, TypeError):
        raise RuleViolation("The threshold must be a number.", field="threshold") from None
    if not Decimal("0") < threshold < Decimal("1"):
        raise RuleViolation("The threshold must lie between 0 and 1.", field="threshold")


def _check_window(deployment: Deployment) -> None:
    # A window is whole or absent in every saved state: pages and checks read both ends.
    if deployment.starts_at and not deployment.ends_at:
        raise RuleViolation(
            "A window with a start needs its end too.", field="ends_at", code="window_half"
        )
    if deployment.ends_at and not deployment.starts_at:
        raise RuleViolation(
            "A window with an end needs its start too.", field="starts_at", code="window_half"
        )
    if deployment.starts_at and deployment.ends_at and deployment.ends_at <= deployment.starts_at:
        raise RuleViolation("The window must end after it starts.", field="ends_at")
    _refuse(window_length_problem(deployment))


def _check_fields(deployment: Deployment) -> None:
    """Rules that every saved draft must already satisfy."""
    validate_model(deployment, exclude=["created_by", "public_id"])
    problem = use_case_problem(deployment)
    if problem is not None:
        raise RuleViolation(problem.message, field=problem.field)
    _check_threshold(deployment)
    _check_window(deployment)
    if deployment.false_alert_ceiling is not None:
        ceiling = Decimal(str(deployment.false_alert_ceiling))
        if not Decimal("0") < ceiling <= force_ceiling():
            raise RuleViolation(
                "A deployment's false-alert ceiling may only be stricter than the force's "
                f"({force_ceiling()} false alerts per face), and above zero.",
                field="false_alert_ceiling",
            )
    if deployment.critical_threat_exempt and not deployment.critical_threat_reason.strip():
        raise RuleViolation(
            "An exemption from advance announcement needs the critical threat recorded.",
            field="critical_threat_reason",
        )


@transaction.atomic
def deployment_create(*, actor: Any, **fields: Any) -> Deployment:
    if not has_role(actor, Role.DEPLOYMENT_PLANNER):
        raise NotPermitted("Only a deployment planner may draft a deployment.")
    fields.setdefault("engine", settings.LFR_DEFAULT_ENGINE)
    if "threshold" not in fields and fields["engine"] in ENGINE_PROFILES:
        fields["threshold"] = ENGINE_PROFILES[fields["engine"]].default_threshold
    normalise_coordinates(fields)
    deployment = Deployment(created_by=actor)
    apply_changes(deployment, fields, EDITABLE_FIELDS)
    _check_fields(deployment)
    deployment.save()
    Watchlist.objects.create(deployment=deployment, created_by=actor)
    audit_record(
        actor=actor,
        action="deployment.create",
        obj=deployment,
        changes={k: jsonable(v) for k, v in fields.items()},
    )
    return deployment


@transaction.atomic
def deployment_update(*, actor: Any, deployment: Deployment, **fields: Any) -> Deployment:
    deployment = lock(deployment)
    _require_editable(
        actor,
        deployment,
        f"A {deployment.get_status_display().lower()} deployment cannot be edited; "
        "only drafts and rejected deployments can.",
    )
    changes = apply_changes(deployment, normalise_coordinates(fields), EDITABLE_FIELDS)
    _check_fields(deployment)
    if deployment.status == S.REJECTED:
        # Editing a rejected deployment makes it a draft again, to be resubmitted.
        changes["status"] = [S.REJECTED.value, S.DRAFT.value]
        deployment.status = S.DRAFT
    deployment.save()
    audit_record(actor=actor, action="deployment.update", obj=deployment, changes=changes)
    return deployment


DRAFT_ONLY = "Only a draft deployment's documents and cameras can change."


@transaction.atomic
def deployment_document_set(
    *, actor: Any, deployment: Deployment, kind: str, reference: str, issued_on: Any, review_by: Any
) -> DeploymentDocument:
    deployment = lock(deployment)
    _require_editable(actor, deployment, DRAFT_ONLY)
    if kind not in DocumentKind.values:
        raise RuleViolation(f"Unknown document kind '{kind}'.", field="kind")
    if not str(reference).strip():
        raise RuleViolation("A document needs its reference.", field="reference")
    if review_by < issued_on:
        raise RuleViolation("A document's review date cannot precede its issue.", field="review_by")
    document, created = DeploymentDocument.objects.update_or_create(
        deployment=deployment,
        kind=kind,
        defaults={
            "reference": reference,
            "issued_on": issued_on,
            "review_by": review_by,
            "added_by": actor,
        },
    )
    audit_record(
        actor=actor,
        action="deployment.document_set",
        obj=document,
        deployment=deployment,
        changes={
            "kind": kind,
            "reference": reference,
            "issued_on": jsonable(issued_on),
            "review_by": jsonable(review_by),
            "replaced": not created,
        },
    )
    return document


@transaction.atomic
def deployment_camera_add(
    *, actor: Any, deployment: Deployment, camera: Camera, position: str = ""
) -> DeploymentCamera:
    deployment = lock(deployment)
    _require_editable(actor, deployment, DRAFT_ONLY)
    # Locking the camera row serialises two planners booking the same camera.
    camera = Camera.objects.select_for_update().get(pk=camera.pk)
    holder = overlapping_booking(camera, deployment)
    if holder is not None:
        raise RuleViolation(
            f"Camera '{camera.name}' is already booked for an overlapping window by "
            f"deployment '{holder.title}' ({holder.public_id}).",
            field="camera",
            code="camera_booked",
        )
    booking, created = DeploymentCamera.objects.get_or_create(
        deployment=deployment, camera=camera, defaults={"position": position}
    )
    if not created:
        raise RuleViolation(
            f"Camera '{camera.name}' is already on this deployment.", field="camera"
        )
    audit_record(
        actor=actor,
        action="deployment.camera_add",
        obj=deployment,
        changes={"camera": str(camera.public_id), "camera_name": camera.name, "position": position},
    )
    return booking


@transaction.atomic
def deployment_camera_remove(*, actor: Any, deployment: Deployment, camera: Camera) -> None:
    deployment = lock(deployment)
    _require_editable(actor, deployment, DRAFT_ONLY)
    deleted, _ = DeploymentCamera.objects.filter(deployment=deployment, camera=camera).delete()
    if not deleted:
        raise RuleViolation(f"Camera '{camera.name}' is not on this deployment.", field="camera")
    audit_record(
        actor=actor,
        action="deployment.camera_remove",
        obj=deployment,
        changes={"camera": str(camera.public_id), "camera_name": camera.name},
    )


@transaction.atomic
def deployment_submit(*, actor: Any, deployment: Deployment) -> Deployment:
    deployment = lock(deployment)
    require_planner_of(actor, deployment)
    if deployment.status != S.DRAFT:
        raise InvalidTransition("Only a draft can be submitted for approval.")
    problems = approval_problems(deployment, include_watchlist=False)
    if problems:
        raise NotReady(problems, code="incomplete")
    deployment.status = S.SUBMITTED
    deployment.submitted_at = timezone.now()
    deployment.save(update_fields=["status", "submitted_at", "updated_at"])
    audit_record(actor=actor, action="deployment.submit", obj=deployment)
    return deployment


@transaction.atomic
def deployment_approve(*, actor: Any, deployment: Deployment, reason: str = "") -> Deployment:
    deployment = lock(deployment)
    _require_decider(
        actor, deployment, "Whoever drafts a deployment may not approve it (four eyes)."
    )
    if deployment.status != S.SUBMITTED:
        raise InvalidTransition("Only a submitted deployment can be approved.")
    problems = approval_problems(deployment)
    if problems:
        raise NotReady(problems, code="not_approvable")
    deployment.status = S.APPROVED
    deployment.decided_by = actor
    deployment.decided_at = timezone.now()
    deployment.authorised_snapshot = authorisation_snapshot(deployment)
    deployment.save(
        update_fields=["status", "decided_by", "decided_at", "authorised_snapshot", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="deployment.approve",
        obj=deployment,
        reason=reason,
        changes={"authorised": deployment.authorised_snapshot},
    )
    return deployment


@transaction.atomic
def deployment_reject(*, actor: Any, deployment: Deployment, reason: str) -> Deployment:
    deployment = lock(deployment)
    _require_decider(actor, deployment, "Whoever drafts a deployment may not decide on it.")
    if deployment.status != S.SUBMITTED:
        raise InvalidTransition("Only a submitted deployment can be rejected.")
    if not (reason or "").strip():
        raise RuleViolation("A rejection must give its reasons.", field="reason")
    deployment.status = S.REJECTED
    deployment.decided_by = actor
    deployment.decided_at = timezone.now()
    deployment.rejection_reason = reason
    deployment.save(
        update_fields=["status", "decided_by", "decided_at", "rejection_reason", "updated_at"]
    )
    audit_record(actor=actor, action="deployment.reject", obj=deployment, reason=reason)
    return deployment
