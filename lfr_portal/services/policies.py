"""Writes for the policy library: documents, their numbered versions (each file checked,
hashed here and its hash written into the audit chain), publication to the public page,
and the versions a deployment pins. Each service owns its transaction and audit row."""

from datetime import date
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import (
    Deployment,
    DeploymentPolicyPin,
    DeploymentStatus,
    PolicyDocument,
    PolicyKind,
    PolicyVersion,
)
from ..permissions import can_manage_deployment, can_manage_policies
from ..selectors.policies import retention_differences
from ..selectors.retention import periods_in_force
from .audit import audit_record
from .common import jsonable
from .deployment_guards import lock
from .policy_files import original_name, policy_file_checked

MANAGERS_ONLY = "Only an authorising officer or a compliance officer may manage the policy library."
# A period longer than a century is a typing error, not a retention rule.
MAX_STATED_DAYS = 36_500
PINNABLE_STATES = (DeploymentStatus.DRAFT, DeploymentStatus.SUBMITTED)


def _require_manager(actor: Any) -> None:
    if not can_manage_policies(actor):
        raise NotPermitted(MANAGERS_ONLY)


@transaction.atomic
def policy_document_create(*, actor: Any, kind: str, title: str) -> PolicyDocument:
    _require_manager(actor)
    if kind not in PolicyKind.values:
        raise RuleViolation(f"Unknown kind of policy document '{kind}'.", field="kind")
    title = (title or "").strip()
    if not title:
        raise RuleViolation("A policy document needs a title.", field="title")
    if PolicyDocument.objects.filter(kind=kind, title__iexact=title).exists():
        raise RuleViolation(
            f"The library already holds a {PolicyKind(kind).label} called '{title}'; "
            "upload a new version of it instead.",
            field="title",
            code="policy_title_taken",
        )
    document = PolicyDocument.objects.create(kind=kind, title=title, created_by=actor)
    audit_record(
        actor=actor,
        action="policy.document_create",
        obj=document,
        changes={"kind": kind, "title": title},
    )
    return document


def stated_retention_checked(stated: Any) -> dict[str, float | int]:
    """The periods a document states, keyed by retention rule, each a number of days."""
    if stated in (None, ""):
        return {}
    if not isinstance(stated, dict):
        raise RuleViolation(
            "The stated retention must map each rule to a number of days.",
            field="stated_retention",
        )
    rules = periods_in_force()
    checked: dict[str, float | int] = {}
    for key, value in stated.items():
        if key not in rules:
            raise RuleViolation(
                f"'{key}' is not a retention rule; the rules are {', '.join(sorted(rules))}.",
                field="stated_retention",
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RuleViolation(
                f"The period stated for '{key}' must be a number of days.",
                field="stated_retention",
            )
        if not 0 <= value <= MAX_STATED_DAYS:
            raise RuleViolation(
                f"The period stated for '{key}' must be between 0 and {MAX_STATED_DAYS:,} days.",
                field="stated_retention",
            )
        checked[key] = int(value) if float(value).is_integer() else float(value)
    return checked


def _check_version_fields(issued_on: date, review_by: date, change_summary: str) -> None:
    if review_by <= issued_on:
        raise RuleViolation(
            "A version's review date must come after its issue date.", field="review_by"
        )
    if not (change_summary or "").strip():
        raise RuleViolation(
            "Say what changed in this version (for a first version, that it is the first).",
            field="change_summary",
        )


@transaction.atomic
def policy_version_upload(
    *,
    actor: Any,
    document: PolicyDocument,
    upload: File,
    issued_on: date,
    review_by: date,
    change_summary: str,
    stated_retention: Any = None,
) -> PolicyVersion:
    """A new version, numbered after the last. Its SHA-256 is computed here from the bytes
    stored and written into the audit row, so the chain vouches for the file."""
    _require_manager(actor)
    _check_version_fields(issued_on, review_by, change_summary)
    stated = stated_retention_checked(stated_retention)
    checked = policy_file_checked(upload)
    # The document's row lock numbers concurrent uploads one after the other.
    document = PolicyDocument.objects.select_for_update().get(pk=document.pk)
    last = document.versions.aggregate(n=Max("number"))["n"] or 0
    version = PolicyVersion(
        document=document,
        number=last + 1,
        original_name=original_name(upload),
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        issued_on=issued_on,
        review_by=review_by,
        change_summary=change_summary.strip(),
        stated_retention=stated,
        uploaded_by=actor,
    )
    version.file.save(checked.stored_name(), ContentFile(checked.content), save=False)
    version.save()
    audit_record(
        actor=actor,
        action="policy.version_upload",
        obj=version,
        changes={
            "document": str(document.public_id),
            "number": version.number,
            "sha256": version.sha256,
            "size": version.size,
            "content_type": version.content_type,
            "original_name": version.original_name,
            "issued_on": jsonable(issued_on),
            "review_by": jsonable(review_by),
            "stated_retention": stated,
            "retention_differences": [d.sentence for d in retention_differences(stated)],
        },
    )
    return version


@transaction.atomic
def policy_version_set_publishable(
    *, actor: Any, version: PolicyVersion, publishable: bool, reason: str = ""
) -> PolicyVersion:
    """Mark a version for the public page, or take it off again (with a reason)."""
    _require_manager(actor)
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if version.publishable == publishable:
        raise InvalidTransition(
            f"{version} is already {'publishable' if publishable else 'not publishable'}."
        )
    reason = (reason or "").strip()
    if not publishable and not reason:
        raise RuleViolation("Taking a version off the public page needs a reason.", field="reason")
    version.publishable = publishable
    version.publishable_marked_by = actor
    version.publishable_marked_at = timezone.now()
    version.save(
        update_fields=[
            "publishable",
            "publishable_marked_by",
            "publishable_marked_at",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="policy.version_publishable" if publishable else "policy.version_unpublishable",
        obj=version,
        reason=reason,
        changes={"number": version.number, "sha256": version.sha256},
    )
    return version


def _require_pinner(actor: Any, deployment: Deployment) -> Deployment:
    deployment = lock(deployment)
    if not can_manage_deployment(actor, deployment):
        raise NotPermitted(
            "Only the deployment's planner or an authorising officer may pin its policy versions."
        )
    if deployment.status not in PINNABLE_STATES:
        raise InvalidTransition(
            "Policy versions are pinned while a deployment is a draft or awaits a decision; "
            "after approval they are part of what was authorised."
        )
    return deployment


def _pin_changes(version: PolicyVersion, **more: Any) -> dict[str, Any]:
    return {
        "version": str(version.public_id),
        "document": version.document.title,
        "number": version.number,
        "sha256": version.sha256,
        **more,
    }


@transaction.atomic
def deployment_policy_pin(
    *, actor: Any, deployment: Deployment, version: PolicyVersion
) -> DeploymentPolicyPin:
    """Pin a version; a version of the same document pinned before is replaced by it."""
    deployment = _require_pinner(actor, deployment)
    pins = deployment.policy_pins.select_related("version")
    if pins.filter(version=version).exists():
        raise RuleViolation(f"{version} is already pinned to this deployment.", field="version")
    replaced = pins.filter(version__document_id=version.document_id).first()
    if replaced is not None:
        replaced.delete()
    try:
        with transaction.atomic():
            pin = DeploymentPolicyPin.objects.create(
                deployment=deployment, version=version, pinned_by=actor
            )
    except IntegrityError:
        raise RuleViolation(
            f"{version} is already pinned to this deployment.", field="version"
        ) from None
    audit_record(
        actor=actor,
        action="deployment.policy_pin",
        obj=deployment,
        changes=_pin_changes(
            version, replaced=str(replaced.version.public_id) if replaced else None
        ),
    )
    return pin


@transaction.atomic
def deployment_policy_unpin(*, actor: Any, deployment: Deployment, version: PolicyVersion) -> None:
    deployment = _require_pinner(actor, deployment)
    deleted, _ = deployment.policy_pins.filter(version=version).delete()
    if not deleted:
        raise RuleViolation(f"{version} is not pinned to this deployment.", field="version")
    audit_record(
        actor=actor, action="deployment.policy_unpin", obj=deployment, changes=_pin_changes(version)
    )
