"""A subject access lookup: the answer, and the lookup itself on the audit trail (who
asked about which reference, and what was found), in one transaction."""

from typing import Any

from django.db import transaction

from ..errors import NotPermitted, RuleViolation
from ..permissions import can_answer_subject_access
from ..selectors.subject_access import (
    REFERENCE_MAX,
    SubjectAccessAnswer,
    reference_normalised,
    subject_access_answer,
)
from .audit import audit_read_record


def _reference_checked(reference: Any) -> str:
    reference = reference_normalised(str(reference or ""))
    if not reference:
        raise RuleViolation("Give the custody or case reference to look up.", field="reference")
    if len(reference) > REFERENCE_MAX or "\x00" in reference:
        raise RuleViolation(
            f"A reference is at most {REFERENCE_MAX} characters of text.", field="reference"
        )
    return reference


@transaction.atomic
def subject_access_lookup(*, actor: Any, reference: Any) -> SubjectAccessAnswer:
    """Was this reference on any watchlist, and did it alert? Data protection officers only;
    the reference asked about and the size of the answer are recorded as a read."""
    if not can_answer_subject_access(actor):
        raise NotPermitted(
            "Only a compliance officer (the DPO) may answer subject access requests."
        )
    reference = _reference_checked(reference)
    answer = subject_access_answer(reference)
    audit_read_record(
        actor=actor,
        action="subject_access.lookup",
        changes={
            "reference": reference,
            **answer.summary(),
            "deployment_ids": [str(line.deployment.public_id) for line in answer.deployments],
        },
    )
    return answer
