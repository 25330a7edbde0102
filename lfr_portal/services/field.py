"""Writes for field evidence: signage and leaflets, recorded by field officers."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import Deployment, DeploymentStatus, LeafletRecord, Role, SignageRecord
from ..permissions import has_role
from .audit import audit_record
from .common import (
    files_removed_on_failure,
    jsonable,
    normalise_coordinates,
    save_upload,
    validate_model,
)

OPEN_FOR_EVIDENCE = (DeploymentStatus.SUBMITTED, DeploymentStatus.APPROVED, DeploymentStatus.LIVE)


def _require_field_officer(actor: User, deployment: Deployment) -> Deployment:
    # Re-read under lock: the caller's copy may be stale, and the state decides.
    deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)
    if not has_role(actor, Role.FIELD_OFFICER):
        raise NotPermitted("Only a field officer may record signage and leaflets.")
    if deployment.status not in OPEN_FOR_EVIDENCE:
        raise InvalidTransition(
            f"Evidence is recorded for submitted, approved or live deployments; this one is "
            f"{deployment.get_status_display().lower()}."
        )
    return deployment


def _check_when(value: datetime, field: str) -> None:
    if value > timezone.now() + timedelta(minutes=5):
        raise RuleViolation("Evidence cannot be recorded for a time in the future.", field=field)


@transaction.atomic
def signage_record(
    *, actor: User, deployment: Deployment, photo: File | None = None, **fields: Any
) -> SignageRecord:
    deployment = _require_field_officer(actor, deployment)
    record = SignageRecord(
        deployment=deployment, recorded_by=actor, **normalise_coordinates(fields)
    )
    validate_model(record, exclude=["deployment", "recorded_by", "public_id", "photo"])
    _check_when(record.placed_at, "placed_at")
    if record.removed_at and record.removed_at < record.placed_at:
        raise RuleViolation("A sign cannot be removed before it was placed.", field="removed_at")
    with files_removed_on_failure() as saved:
        if photo is not None:
            save_upload(record.photo, photo, saved)
        record.save()
        audit_record(
            actor=actor,
            action="signage.record",
            obj=record,
            deployment=deployment,
            changes={k: jsonable(v) for k, v in fields.items()},
        )
    return record


@transaction.atomic
def signage_mark_removed(
    *, actor: User, record: SignageRecord, removed_at: datetime
) -> SignageRecord:
    record = (
        SignageRecord.objects.select_for_update().select_related("deployment").get(pk=record.pk)
    )
    if not has_role(actor, Role.FIELD_OFFICER):
        raise NotPermitted("Only a field officer may record signage.")
    if record.removed_at is not None:
        raise InvalidTransition("The sign is already recorded as removed.")
    _check_when(removed_at, "removed_at")
    if removed_at < record.placed_at:
        raise RuleViolation("A sign cannot be removed before it was placed.", field="removed_at")
    record.removed_at = removed_at
    record.save(update_fields=["removed_at", "updated_at"])
    audit_record(
        actor=actor,
        action="signage.remove",
        obj=record,
        deployment=record.deployment,
        changes={"removed_at": jsonable(removed_at)},
    )
    return record


@transaction.atomic
def leaflet_record(*, actor: User, deployment: Deployment, **fields: Any) -> LeafletRecord:
    deployment = _require_field_officer(actor, deployment)
    record = LeafletRecord(
        deployment=deployment, recorded_by=actor, **normalise_coordinates(fields)
    )
    validate_model(record, exclude=["deployment", "recorded_by", "public_id"])
    if record.quantity < 1:
        raise RuleViolation("At least one leaflet must be recorded.", field="quantity")
    _check_when(record.distributed_at, "distributed_at")
    record.save()
    audit_record(
        actor=actor,
        action="leaflet.record",
        obj=record,
        deployment=deployment,
        changes={k: jsonable(v) for k, v in fields.items()},
    )
    return record
