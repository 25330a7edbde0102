"""Complaints about LFR use: recorded, and closed with an outcome, by compliance or
authorising officers. The complainant's details stay in the force's complaints system;
the internal summary here is never published, only counts by category and outcome."""

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import Complaint, ComplaintCategory, ComplaintOutcome, Deployment
from ..permissions import can_record_complaints
from .audit import audit_record

REFERENCE_MAX = 100
SUMMARY_MAX = 5000


def _require_recorder(actor: Any) -> None:
    if not can_record_complaints(actor):
        raise NotPermitted("Complaints are recorded by compliance or authorising officers.")


def _received_on(value: date | None) -> date:
    if value is None:
        raise RuleViolation("Give the date the complaint was received.", field="received_on")
    if value > timezone.localdate():
        raise RuleViolation(
            "A complaint cannot be received in the future: check the date.", field="received_on"
        )
    return value


@transaction.atomic
def complaint_record(
    *,
    actor: Any,
    category: str,
    received_on: date | None,
    deployment: Deployment | None = None,
    reference: str = "",
    summary: str = "",
) -> Complaint:
    """Record a complaint received about LFR use, optionally about one deployment."""
    _require_recorder(actor)
    if category not in ComplaintCategory.values:
        raise RuleViolation(
            "Choose the complaint's category: " + ", ".join(ComplaintCategory.values) + ".",
            field="category",
        )
    received = _received_on(received_on)
    reference = (reference or "").strip()
    if len(reference) > REFERENCE_MAX:
        raise RuleViolation(
            f"The force's reference is at most {REFERENCE_MAX} characters.", field="reference"
        )
    summary = (summary or "").strip()
    if len(summary) > SUMMARY_MAX:
        raise RuleViolation(
            f"The internal summary is at most {SUMMARY_MAX} characters; the full complaint "
            "stays in the force's complaints system.",
            field="summary",
        )
    complaint = Complaint.objects.create(
        deployment=deployment,
        received_on=received,
        category=category,
        reference=reference,
        summary=summary,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="complaint.record",
        obj=complaint,
        deployment=deployment,
        # The summary stays in the record itself, not copied into the trail.
        changes={"category": category, "received_on": received.isoformat()},
    )
    return complaint


@transaction.atomic
def complaint_outcome_record(*, actor: Any, complaint: Complaint, outcome: str) -> Complaint:
    """Close a complaint with its outcome, once."""
    _require_recorder(actor)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.outcome:
        raise InvalidTransition(
            f"This complaint's outcome is already recorded ({complaint.get_outcome_display()})."
        )
    if outcome not in ComplaintOutcome.values or outcome == ComplaintOutcome.OPEN:
        raise RuleViolation(
            "Choose the outcome: " + ", ".join(v for v in ComplaintOutcome.values if v) + ".",
            field="outcome",
        )
    complaint.outcome = outcome
    complaint.outcome_recorded_at = timezone.now()
    complaint.save(update_fields=["outcome", "outcome_recorded_at", "updated_at"])
    audit_record(
        actor=actor,
        action="complaint.outcome",
        obj=complaint,
        deployment=complaint.deployment,
        changes={"outcome": outcome},
    )
    return complaint
