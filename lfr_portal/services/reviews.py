"""The post-deployment review: opened once when a deployment that went live ends,
pre-filled with its figures, and signed off by an authorising officer.

Who signs: any authorising officer (role and minimum rank) except the deployment's own
planner (four eyes, permissions.can_sign_off_review). The officer who approved the
deployment may sign: they answer for the authorisation and its results.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import Deployment, PostDeploymentReview, ReviewStatus
from ..permissions import ENDED_STATES, can_sign_off_review
from ..selectors.reviews import deployments_missing_review, review_figures
from .audit import audit_record

# The public summary is read by anyone: short and in plain words.
PUBLIC_SUMMARY_MAX = 2000


@transaction.atomic
def review_open(*, actor: Any, deployment: Deployment) -> PostDeploymentReview | None:
    """Open the deployment's review if it went live and has ended; once only.

    Returns the review (the existing one if already open), or None for a deployment
    that never went live or has not ended. Called by end_deployment in the same
    transaction, and by beat for any ended deployment still without one.
    """
    existing = PostDeploymentReview.objects.filter(deployment=deployment).first()
    if existing is not None:
        return existing
    if (
        deployment.went_live_at is None
        or deployment.ended_at is None
        or deployment.status not in ENDED_STATES
    ):
        return None
    now = timezone.now()
    try:
        # A savepoint: beat and the lifecycle may race for the same deployment.
        with transaction.atomic():
            review = PostDeploymentReview.objects.create(
                deployment=deployment,
                opened_at=now,
                due_by=deployment.ended_at + timedelta(days=settings.LFR_REVIEW_DUE_DAYS),
                figures=review_figures(deployment),
            )
    except IntegrityError:
        return PostDeploymentReview.objects.get(deployment=deployment)
    audit_record(
        actor=actor,
        action="review.open",
        obj=review,
        deployment=deployment,
        changes={"due_by": review.due_by.isoformat()},
    )
    return review


def reviews_open_missing() -> int:
    """Open a review for each ended deployment that went live and has none; the count."""
    opened = 0
    for deployment in deployments_missing_review().order_by("ended_at"):
        if review_open(actor=None, deployment=deployment) is not None:
            opened += 1
    return opened


def _required(value: str, field: str, sentence: str) -> str:
    text = (value or "").strip()
    if not text:
        raise RuleViolation(sentence, field=field)
    return text


def _public_summary(value: str) -> str:
    text = _required(
        value,
        "public_summary",
        "A review needs a public summary: what the deployment found and what changes, "
        "in plain words for the transparency page.",
    )
    if len(text) > PUBLIC_SUMMARY_MAX:
        raise RuleViolation(
            f"The public summary is at most {PUBLIC_SUMMARY_MAX} characters "
            f"({len(text)} given): keep it short and plain.",
            field="public_summary",
        )
    return text


@transaction.atomic
def review_sign_off(
    *,
    actor: Any,
    review: PostDeploymentReview,
    findings: str,
    lessons: str,
    public_summary: str,
) -> PostDeploymentReview:
    """An authorising officer signs the review off with findings, lessons and a summary
    for the public; its figures are read again so that late outcomes and complaints count."""
    review = PostDeploymentReview.objects.select_for_update().get(pk=review.pk)
    deployment = review.deployment
    if not can_sign_off_review(actor, deployment):
        raise NotPermitted(
            "A post-deployment review is signed off by an authorising officer who did not "
            "draft the deployment (four eyes)."
        )
    if review.status == ReviewStatus.SIGNED_OFF:
        raise InvalidTransition("This review is already signed off.")
    review.findings = _required(
        findings, "findings", "A review needs its findings: what went well and what did not."
    )
    review.lessons = _required(
        lessons, "lessons", "A review needs the lessons learned, or why there are none."
    )
    review.public_summary = _public_summary(public_summary)
    review.figures = review_figures(deployment)
    review.status = ReviewStatus.SIGNED_OFF
    review.signed_off_by = actor
    review.signed_off_at = timezone.now()
    review.save(
        update_fields=[
            "findings",
            "lessons",
            "public_summary",
            "figures",
            "status",
            "signed_off_by",
            "signed_off_at",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="review.sign_off",
        obj=review,
        deployment=deployment,
        changes={
            "overdue": review.signed_off_at > review.due_by,
            "public_summary": review.public_summary,
        },
    )
    return review
