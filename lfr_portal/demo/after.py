"""After the demo's past deployments: engagement on the street for the latest ones
(some with the officer's perceived sex and ethnicity), a few complaints, and the
post-deployment reviews, all signed off but the latest, left overdue.

A random source of its own, so the history's figures do not move. Audit rows are the
history's events (state.event), written with the rest in the order they happened.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User

from ..models import (
    Adjudication,
    Alert,
    ArrestCategory,
    Complaint,
    ComplaintCategory,
    ComplaintOutcome,
    Deployment,
    DeploymentStatus,
    Engagement,
    EngagementOutcome,
    EngagementResult,
    IdentityCheck,
    Outcome,
    PerceivedEthnicity,
    PerceivedSex,
    PostDeploymentReview,
    ReviewStatus,
    Role,
)
from ..selectors.reviews import review_figures, went_live_and_ended
from .data import OFFICERS
from .state import HistoryState

S = DeploymentStatus
# Engagement records are kept for the most recent deployments only.
ENGAGED_DEPLOYMENTS = 6
OUTCOMES = {
    Outcome.ARREST: EngagementOutcome.ARREST,
    Outcome.WORDS_OF_ADVICE: EngagementOutcome.WORDS_OF_ADVICE,
}
COMPLAINTS = [
    (ComplaintCategory.SIGNAGE, ComplaintOutcome.RESOLVED, "Signs hard to see from the bus stop."),
    (ComplaintCategory.PRIVACY, ComplaintOutcome.NOT_UPHELD, "Objects to being scanned at all."),
    (ComplaintCategory.CONDUCT, ComplaintOutcome.UPHELD, "Officer did not explain the stop."),
    (ComplaintCategory.OTHER, ComplaintOutcome.OPEN, "Asks how long footage is kept."),
]
FINDINGS = (
    "Ran as authorised. Every alert was adjudicated within the due time; the figures are "
    "in line with the force's other deployments at this threshold."
)
LESSONS = "Put the first sign up further from the van so that people see it sooner."
PUBLIC_SUMMARY = (
    "This deployment ran as authorised. Officers spoke to everyone the system flagged and "
    "arrested people wanted for offences. No one was wrongly arrested. Next time, the signs "
    "will be placed further out so that people see them sooner."
)


def _officers(role: str) -> list[User]:
    names = [name for name, _, _, r, _ in OFFICERS if r == role]
    return list(User.objects.filter(username__in=names).order_by("username"))


def _engagement(alert: Alert, officer: User, rng: random.Random) -> Engagement:
    at = alert.adjudicated_at or alert.captured_at
    outcome = OUTCOMES.get(alert.outcome, EngagementOutcome.NO_FURTHER_ACTION)
    arrest = outcome == EngagementOutcome.ARREST
    perceived = rng.random() < 0.75
    return Engagement(
        alert=alert,
        dispatched_by=alert.adjudicated_by,
        dispatched_at=at,
        officer=officer,
        acknowledged_at=at + timedelta(seconds=40),
        result=EngagementResult.CONFIRMED_PERSON,
        engaged_at=at + timedelta(minutes=3),
        stop_minutes=rng.randint(4, 25),
        identity_check=rng.choice([IdentityCheck.DOCUMENT, IdentityCheck.VERBAL]),
        result_recorded_at=at + timedelta(minutes=30),
        perceived_sex=rng.choice([v for v in PerceivedSex.values if v]) if perceived else "",
        perceived_ethnicity=(
            rng.choice([v for v in PerceivedEthnicity.values if v]) if perceived else ""
        ),
        outcome=outcome,
        arrest_category=rng.choice(
            [ArrestCategory.WANTED_BY_COURTS, ArrestCategory.SUSPECTED_OFFENCE]
        )
        if arrest
        else "",
        custody_reference=f"DEMO/CUST/{alert.pk:06d}" if arrest else "",
        no_hold_reason="Image not needed: arrest on warrant (demo)." if arrest else "",
        outcome_recorded_at=at + timedelta(minutes=35),
    )


def _engagements(state: HistoryState, ended: list[Deployment], rng: random.Random) -> None:
    officers = _officers(Role.FIELD_OFFICER)
    alerts = (
        Alert.objects.filter(
            deployment__in=ended[-ENGAGED_DEPLOYMENTS:], adjudication=Adjudication.CONFIRMED
        )
        .select_related("deployment", "adjudicated_by")
        .order_by("captured_at")
    )
    rows = Engagement.objects.bulk_create(
        [_engagement(alert, rng.choice(officers), rng) for alert in alerts]
    )
    for row in rows:
        state.event(
            row.result_recorded_at,
            row.officer,
            "engagement.result",
            row,
            deployment=row.alert.deployment,
            changes={"result": row.result, "outcome": row.outcome},
        )


def _complaints(state: HistoryState, ended: list[Deployment], recorder: User) -> None:
    for i, (category, outcome, summary) in enumerate(COMPLAINTS):
        deployment = ended[-1 - 2 * i]
        received = deployment.ended_at + timedelta(days=2 + i)
        complaint = Complaint.objects.create(
            deployment=deployment,
            received_on=received.date(),
            category=category,
            reference=f"DEMO/CMP/{i + 1:03d}",
            summary=f"{summary} (demo)",
            outcome=outcome,
            outcome_recorded_at=received + timedelta(days=10) if outcome else None,
            recorded_by=recorder,
        )
        state.event(
            received,
            recorder,
            "complaint.record",
            complaint,
            deployment=deployment,
            changes={"category": category},
        )


def _reviews(state: HistoryState, ended: list[Deployment], rng: random.Random) -> None:
    due_days = timedelta(days=settings.LFR_REVIEW_DUE_DAYS)
    for deployment in ended:
        review = PostDeploymentReview.objects.create(
            deployment=deployment,
            opened_at=deployment.ended_at,
            due_by=deployment.ended_at + due_days,
            figures=review_figures(deployment),
        )
        state.event(review.opened_at, None, "review.open", review, deployment=deployment)
        if deployment is ended[-1]:
            continue  # the latest is left unsigned: past its due date, overdue
        review.status = ReviewStatus.SIGNED_OFF
        review.findings, review.lessons, review.public_summary = (
            FINDINGS,
            LESSONS,
            PUBLIC_SUMMARY,
        )
        # The authorising officer who approved it: never its planner (four eyes).
        review.signed_off_by = deployment.decided_by
        review.signed_off_at = deployment.ended_at + timedelta(days=rng.randint(5, 20))
        review.save()
        state.event(
            review.signed_off_at,
            review.signed_off_by,
            "review.sign_off",
            review,
            deployment=deployment,
            changes={"overdue": False},
        )


def demo_after_seed(state: HistoryState, deployments: list[Deployment]) -> None:
    """Engagements, complaints and reviews for the past deployments that went live and
    ended; their audit rows join the history's events, written in time order with them."""
    rng = random.Random(state.seed * 7919)
    ended = list(
        Deployment.objects.filter(went_live_and_ended(), pk__in=[d.pk for d in deployments])
        .select_related("decided_by")
        .order_by("ended_at")
    )
    if not ended:
        return
    _engagements(state, ended, rng)
    _complaints(state, ended, _officers(Role.AUTHORISING_OFFICER)[-1])
    _reviews(state, ended, rng)
