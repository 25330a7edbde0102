"""Writes that decide what the public transparency page may show.

A signage photo is evidence that the public was told; it may still show a passer-by.
So it is published only after an authorising officer or a compliance officer has
looked at it, and never by the person who took it.
"""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import SignageRecord
from ..permissions import can_publish_signage_photos
from ..selectors.field import PUBLISHABLE_STATUSES
from .audit import audit_record


def _lock(record: SignageRecord) -> SignageRecord:
    return SignageRecord.objects.select_for_update().select_related("deployment").get(pk=record.pk)


@transaction.atomic
def signage_photo_publish(*, actor: User, record: SignageRecord) -> SignageRecord:
    """Approve a signage photo for the public transparency page."""
    record = _lock(record)
    if not can_publish_signage_photos(actor):
        raise NotPermitted(
            "Only an authorising officer or a compliance officer may publish a signage photo."
        )
    if record.recorded_by_id == actor.pk:
        raise NotPermitted(
            "Whoever recorded the sign may not publish its photo (four eyes).", code="four_eyes"
        )
    if not record.photo or record.photo_deleted_at is not None:
        raise InvalidTransition("This sign has no photo to publish.")
    if record.photo_published_at is not None:
        raise InvalidTransition("The photo is already published.")
    if record.deployment.status not in PUBLISHABLE_STATUSES:
        raise InvalidTransition(
            "Photos are published for approved, live or ended deployments; this one is "
            f"{record.deployment.get_status_display().lower()}."
        )
    record.photo_published_at = timezone.now()
    record.photo_published_by = actor
    record.save(update_fields=["photo_published_at", "photo_published_by", "updated_at"])
    audit_record(
        actor=actor,
        action="signage.photo_publish",
        obj=record,
        deployment=record.deployment,
        changes={"photo_published_at": record.photo_published_at.isoformat()},
    )
    return record


@transaction.atomic
def signage_photo_withdraw(*, actor: User, record: SignageRecord, reason: str) -> SignageRecord:
    """Take a published photo off the public page, for instance when a face is spotted late."""
    record = _lock(record)
    if not can_publish_signage_photos(actor):
        raise NotPermitted(
            "Only an authorising officer or a compliance officer may withdraw a signage photo."
        )
    if record.photo_published_at is None:
        raise InvalidTransition("The photo is not published.")
    if not (reason or "").strip():
        raise RuleViolation("Withdrawing a photo needs a reason.", field="reason")
    record.photo_published_at = None
    record.photo_published_by = None
    record.save(update_fields=["photo_published_at", "photo_published_by", "updated_at"])
    audit_record(
        actor=actor,
        action="signage.photo_withdraw",
        obj=record,
        deployment=record.deployment,
        reason=reason,
    )
    return record
