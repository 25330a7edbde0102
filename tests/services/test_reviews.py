"""Post-deployment reviews: opened once when a deployment that went live ends, with its
figures; signed off by an authorising officer who did not draft it; overdue after the
due date. Each rule is tried and refused."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.models import (
    AccuracySuspension,
    Adjudication,
    AuditEvent,
    ComplaintCategory,
    DeploymentStatus,
    Engagement,
    EngagementOutcome,
    EngagementResult,
    OverdueAlertFlag,
    PostDeploymentReview,
    ReviewStatus,
    Role,
)
from lfr_portal.selectors.dashboard import dashboard_for
from lfr_portal.selectors.reviews import reviews_in_state, reviews_overdue_for
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services.complaints import complaint_record
from lfr_portal.services.reviews import review_open, review_sign_off, reviews_open_missing
from lfr_portal.tasks import open_missing_reviews
from tests import builders
from tests.factories import AlertFactory, DeploymentFactory, user_with_role

pytestmark = pytest.mark.django_db
S = DeploymentStatus


def _opened():
    return list(AuditEvent.objects.filter(action="review.open").values_list("object_public_id"))


def _stopped(operator):
    deployment = builders.live(operator)
    return lifecycle.deployment_stop(actor=operator, deployment=deployment, reason="Done")


def _signable(operator, ao):
    deployment = _stopped(operator)
    return deployment, deployment.review


def _sign(actor, review, **overrides):
    fields = {
        "findings": "Ran as authorised.",
        "lessons": "Signs further out.",
        "public_summary": "It ran as authorised and found two wanted people.",
    }
    fields.update(overrides)
    return review_sign_off(actor=actor, review=review, **fields)


def test_stopping_a_live_deployment_opens_its_review_once_with_its_figures(operator):
    deployment = builders.live(operator)
    booking = deployment.cameras.get()
    AlertFactory(deployment=deployment, camera=booking, adjudication=Adjudication.CONFIRMED)
    false = AlertFactory(
        deployment=deployment, camera=booking, adjudication=Adjudication.FALSE_ALERT
    )
    OverdueAlertFlag.objects.create(alert=false, flagged_at=timezone.now())
    AccuracySuspension.objects.create(
        deployment=deployment,
        suspended_at=timezone.now(),
        faces_processed=10,
        false_alerts=1,
        ceiling="0.001",
        rate_low=0.0,
        explanation="Ceiling passed.",
    )
    type(deployment).objects.filter(pk=deployment.pk).update(faces_processed=4321)
    deployment.refresh_from_db()
    lifecycle.deployment_stop(actor=operator, deployment=deployment, reason="Done")

    review = PostDeploymentReview.objects.get(deployment=deployment)
    deployment.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert review.due_by == deployment.ended_at + timedelta(days=settings.LFR_REVIEW_DUE_DAYS)
    figures = review.figures
    assert figures["faces_processed"] == 4321
    assert (figures["alerts"], figures["confirmed_matches"], figures["false_alerts"]) == (2, 1, 1)
    assert figures["suspensions"] == 1 and figures["overdue_alerts"] == 1
    assert figures["engagement"]["engagements"] == 0 and figures["complaints"] == 0
    assert _opened() == [(str(review.public_id),)]
    # Opening again, by the service or by beat, changes nothing.
    assert review_open(actor=None, deployment=deployment) == review
    assert reviews_open_missing() == 0
    assert PostDeploymentReview.objects.count() == 1 and len(_opened()) == 1


def test_the_window_ending_and_a_cancel_after_going_live_open_a_review(operator, ao):
    ended = builders.live(operator)
    type(ended).objects.filter(pk=ended.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    assert lifecycle.deployment_complete_if_window_ended(deployment_id=ended.pk)
    cancelled = builders.live(operator)
    lifecycle.deployment_cancel(actor=ao, deployment=cancelled, reason="Threat over")
    assert PostDeploymentReview.objects.filter(deployment__in=[ended, cancelled]).count() == 2


def test_a_deployment_that_never_went_live_gets_no_review(ao):
    deployment = builders.approved()
    lifecycle.deployment_cancel(actor=ao, deployment=deployment, reason="Event called off")
    assert not PostDeploymentReview.objects.exists()
    assert review_open(actor=None, deployment=deployment) is None
    assert reviews_open_missing() == 0


def test_beat_opens_the_missing_review_of_older_data_exactly_once():
    now = timezone.now()
    older = DeploymentFactory(
        status=S.COMPLETED,
        starts_at=now - timedelta(days=40),
        went_live_at=now - timedelta(days=40),
        ended_at=now - timedelta(days=39),
    )
    DeploymentFactory(status=S.CANCELLED, ended_at=now)  # never went live
    DeploymentFactory(status=S.LIVE, went_live_at=now)  # not ended
    assert open_missing_reviews() == 1
    assert open_missing_reviews() == 0
    review = PostDeploymentReview.objects.get()
    assert review.deployment == older and len(_opened()) == 1
    assert review.due_by == older.ended_at + timedelta(days=settings.LFR_REVIEW_DUE_DAYS)
    # Ended 39 days ago: already overdue.
    assert list(reviews_in_state(PostDeploymentReview.objects.all(), "overdue")) == [review]


def test_an_authorising_officer_signs_off_and_late_figures_are_counted(operator, ao, compliance):
    deployment, review = _signable(operator, ao)
    complaint_record(
        actor=compliance,
        category=ComplaintCategory.PRIVACY,
        received_on=timezone.localdate(),
        deployment=deployment,
    )
    signed = _sign(ao, review)
    assert signed.status == ReviewStatus.SIGNED_OFF and signed.signed_off_by == ao
    assert signed.figures["complaints"] == 1
    assert signed.figures["complaints_by_category"]["privacy"] == 1
    row = AuditEvent.objects.get(action="review.sign_off")
    assert row.actor == ao and row.changes["overdue"] is False
    with pytest.raises(InvalidTransition):
        _sign(user_with_role(Role.AUTHORISING_OFFICER), signed)


def test_the_planner_who_is_also_an_ao_may_not_sign_off_their_own(operator, ao):
    deployment, review = _signable(operator, ao)
    planner = deployment.created_by
    planner.groups.add(*ao.groups.all())
    planner.officer.rank = "superintendent"
    planner.officer.save()
    planner = type(planner).objects.get(pk=planner.pk)
    with pytest.raises(NotPermitted, match="four eyes"):
        _sign(planner, review)
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert not AuditEvent.objects.filter(action="review.sign_off").exists()


@pytest.mark.parametrize("role_fixture", ["operator", "compliance", "planner", "field_officer"])
def test_other_roles_may_not_sign_off(request, operator, ao, role_fixture):
    _, review = _signable(operator, ao)
    with pytest.raises(NotPermitted):
        _sign(request.getfixturevalue(role_fixture), review)


def test_an_ao_below_the_minimum_rank_may_not_sign_off(operator, ao):
    _, review = _signable(operator, ao)
    junior = user_with_role(Role.AUTHORISING_OFFICER)
    junior.officer.rank = "inspector"
    junior.officer.save()
    with pytest.raises(NotPermitted):
        _sign(type(junior).objects.get(pk=junior.pk), review)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("findings", "  ", "findings"),
        ("lessons", "", "lessons"),
        ("public_summary", "", "public summary"),
        ("public_summary", "x" * 2001, "at most 2000 characters"),
    ],
)
def test_sign_off_needs_findings_lessons_and_a_short_public_summary(
    operator, ao, field, value, words
):
    _, review = _signable(operator, ao)
    with pytest.raises(RuleViolation, match=words) as refused:
        _sign(ao, review, **{field: value})
    assert refused.value.field == field
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN and not review.public_summary


def test_a_summary_of_exactly_2000_characters_is_accepted(operator, ao):
    _, review = _signable(operator, ao)
    assert len(_sign(ao, review, public_summary="y" * 2000).public_summary) == 2000


def test_an_unsigned_review_past_its_due_date_is_on_the_ao_and_compliance_dashboards(
    operator, ao, compliance, planner
):
    deployment, review = _signable(operator, ao)
    assert reviews_overdue_for(ao) == []
    PostDeploymentReview.objects.filter(pk=review.pk).update(
        due_by=timezone.now() - timedelta(minutes=1)
    )
    assert reviews_overdue_for(ao) == [review] and reviews_overdue_for(compliance) == [review]
    assert dashboard_for(ao)["post_deployment_reviews_overdue"] == [review]
    assert dashboard_for(compliance)["post_deployment_reviews_overdue"] == [review]
    assert "post_deployment_reviews_overdue" not in dashboard_for(planner)
    assert reviews_overdue_for(planner) == []
    signed = _sign(ao, review)
    assert reviews_overdue_for(ao) == []
    assert AuditEvent.objects.get(action="review.sign_off").changes["overdue"] is True
    assert signed.status == ReviewStatus.SIGNED_OFF


def test_review_figures_count_engagement_results_and_arrests_by_category(operator):
    deployment = builders.live(operator)
    booking = deployment.cameras.get()
    results = [
        (EngagementResult.CONFIRMED_PERSON, EngagementOutcome.ARREST, "wanted_by_courts"),
        (EngagementResult.NOT_THE_PERSON, "", ""),
        (EngagementResult.NOT_LOCATED, "", ""),
    ]
    for result, outcome, category in results:
        alert = AlertFactory(deployment=deployment, camera=booking)
        Engagement.objects.create(
            alert=alert,
            dispatched_by=operator,
            dispatched_at=timezone.now(),
            result=result,
            outcome=outcome,
            arrest_category=category,
            held_minutes=0 if result == EngagementResult.NOT_THE_PERSON else None,
        )
    lifecycle.deployment_stop(actor=operator, deployment=deployment)
    engagement = PostDeploymentReview.objects.get(deployment=deployment).figures["engagement"]
    assert engagement["engagements"] == 3 and engagement["confirmed_false"] == 1
    assert engagement["not_located"] == 1 and engagement["misidentified_not_detained"] == 1
    assert engagement["arrests_by_category"]["wanted_by_courts"] == 1
