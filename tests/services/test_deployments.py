"""Every deployment guard in GOVERNANCE.md, each tried and refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.models import (
    AuditEvent,
    Deployment,
    DeploymentStatus,
    DocumentKind,
    Rank,
    Role,
    UseCase,
)
from lfr_portal.selectors.readiness import go_live_problems
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services import deployment_staff as staff
from lfr_portal.services import deployments as dep
from lfr_portal.services import eu_mode, field
from tests import builders
from tests.factories import BookingFactory, CameraFactory, DeploymentFactory, user_with_role

pytestmark = pytest.mark.django_db

VALID = {
    "title": "Town centre",
    "use_case": UseCase.CRIME_HOTSPOT,
    "purpose": "Find wanted people.",
    "justification": "Necessary and proportionate because ...",
    "location_name": "Market Square",
    "borough": "Hackney",
    "latitude": 51.545,
    "longitude": -0.055,
    "radius_m": 100,
}


def test_planner_drafts_a_deployment_with_its_watchlist_and_an_audit_row(planner):
    deployment = dep.deployment_create(actor=planner, **VALID)
    assert deployment.status == DeploymentStatus.DRAFT
    assert deployment.watchlist.created_by == planner
    assert deployment.threshold == Decimal("0.435")  # the engine's default
    row = AuditEvent.objects.get(action="deployment.create")
    assert row.actor == planner and row.object_public_id == str(deployment.public_id)
    assert row.actor_role == Role.DEPLOYMENT_PLANNER
    assert row.changes["borough"] == "Hackney"


@pytest.mark.parametrize(
    "role", [Role.OPERATOR, Role.FIELD_OFFICER, Role.COMPLIANCE_OFFICER, Role.WATCHLIST_MANAGER]
)
def test_only_planners_draft(role):
    with pytest.raises(NotPermitted):
        dep.deployment_create(actor=user_with_role(role), **VALID)
    assert not Deployment.objects.exists()
    assert not AuditEvent.objects.exists()


def test_other_use_case_needs_its_text(planner):
    with pytest.raises(RuleViolation) as err:
        dep.deployment_create(actor=planner, **{**VALID, "use_case": UseCase.OTHER})
    assert err.value.field == "use_case_other"


def test_window_over_the_maximum_is_refused(planner):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(RuleViolation) as err:
        dep.deployment_create(
            actor=planner, **VALID, starts_at=start, ends_at=start + timedelta(hours=24, minutes=1)
        )
    assert err.value.code == "window_too_long"


@override_settings(LFR_MAX_AUTHORISATION=timedelta(hours=6))
def test_maximum_window_is_a_setting(planner):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(RuleViolation, match="at most 6 hours"):
        dep.deployment_create(
            actor=planner, **VALID, starts_at=start, ends_at=start + timedelta(hours=7)
        )


def test_window_must_end_after_start(planner):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(RuleViolation):
        dep.deployment_create(actor=planner, **VALID, starts_at=start, ends_at=start)


def test_a_planner_edits_only_their_own_draft(planner):
    deployment = DeploymentFactory()
    with pytest.raises(NotPermitted):
        dep.deployment_update(actor=planner, deployment=deployment, title="Mine now")


def test_a_submitted_deployment_cannot_be_edited():
    deployment = builders.submitted()
    with pytest.raises(InvalidTransition):
        dep.deployment_update(actor=deployment.created_by, deployment=deployment, title="Changed")


def test_submit_refuses_an_incomplete_case():
    deployment = DeploymentFactory()
    with pytest.raises(RuleViolation) as err:
        dep.deployment_submit(actor=deployment.created_by, deployment=deployment)
    assert "Data protection impact assessment reference is not recorded" in err.value.message
    assert "No camera is attached" in err.value.message
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.DRAFT


def test_approval_happy_path_records_what_was_authorised(ao):
    deployment = builders.submitted()
    approved = dep.deployment_approve(actor=ao, deployment=deployment)
    assert approved.status == DeploymentStatus.APPROVED
    assert approved.decided_by == ao
    snapshot = approved.authorised_snapshot
    assert snapshot["threshold"] == "0.500" and len(snapshot["cameras"]) == 1
    assert AuditEvent.objects.filter(action="deployment.approve", actor=ao).exists()


def test_the_author_cannot_approve_their_own_deployment():
    deployment = builders.submitted()
    author = deployment.created_by
    author.groups.add(*user_with_role(Role.AUTHORISING_OFFICER).groups.all())
    author.officer.rank = Rank.SUPERINTENDENT
    author.officer.save()
    author = type(author).objects.get(pk=author.pk)
    with pytest.raises(NotPermitted) as err:
        dep.deployment_approve(actor=author, deployment=deployment)
    assert err.value.code == "four_eyes"


@pytest.mark.parametrize(
    "role", [Role.DEPLOYMENT_PLANNER, Role.OPERATOR, Role.COMPLIANCE_OFFICER, Role.FIELD_OFFICER]
)
def test_only_authorising_officers_approve(role):
    deployment = builders.submitted()
    with pytest.raises(NotPermitted):
        dep.deployment_approve(actor=user_with_role(role), deployment=deployment)


def test_an_authorising_officer_below_the_minimum_rank_cannot_approve():
    deployment = builders.submitted()
    inspector = user_with_role(Role.AUTHORISING_OFFICER, role__rank=Rank.CHIEF_INSPECTOR)
    with pytest.raises(NotPermitted, match="superintendent or above"):
        dep.deployment_approve(actor=inspector, deployment=deployment)


def test_the_minimum_rank_is_a_setting(ao, settings):
    deployment = builders.submitted()
    settings.LFR_AO_MIN_RANK = "chief_superintendent"
    with pytest.raises(NotPermitted, match="chief superintendent"):
        dep.deployment_approve(actor=ao, deployment=deployment)


def test_approval_refused_with_a_missing_document(ao):
    deployment = builders.submitted()
    deployment.documents.filter(kind=DocumentKind.EQUALITY_IMPACT).delete()
    with pytest.raises(RuleViolation, match="Equality impact assessment reference is not recorded"):
        dep.deployment_approve(actor=ao, deployment=deployment)
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.SUBMITTED
    assert not AuditEvent.objects.filter(action="deployment.approve").exists()


def test_approval_refused_with_a_document_expiring_before_the_end(ao):
    deployment = builders.submitted()
    deployment.documents.filter(kind=DocumentKind.DPIA).update(
        review_by=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(RuleViolation, match="is out of date"):
        dep.deployment_approve(actor=ao, deployment=deployment)


@override_settings(LFR_EU_AI_ACT_MODE=True)
def test_eu_mode_needs_the_fundamental_rights_assessment_and_registration(ao):
    deployment = builders.complete_draft()
    deployment.documents.filter(
        kind__in=[DocumentKind.FUNDAMENTAL_RIGHTS, DocumentKind.EU_REGISTRATION]
    ).delete()
    builders.authorised_watchlist(deployment)
    with pytest.raises(RuleViolation) as err:
        dep.deployment_submit(actor=deployment.created_by, deployment=deployment)
    assert "Fundamental rights impact assessment" in err.value.message
    assert "EU database registration" in err.value.message


def test_threshold_below_the_floor_needs_an_override_reason(ao):
    deployment = builders.complete_draft(threshold=Decimal("0.300"))
    builders.authorised_watchlist(deployment)
    with pytest.raises(RuleViolation, match="below the OpenCV YuNet \\+ SFace floor"):
        dep.deployment_submit(actor=deployment.created_by, deployment=deployment)
    dep.deployment_update(
        actor=deployment.created_by,
        deployment=deployment,
        threshold_override_reason="Missing child: recall matters more; ops commander agreed.",
    )
    dep.deployment_submit(actor=deployment.created_by, deployment=deployment)
    approved = dep.deployment_approve(actor=ao, deployment=deployment)
    assert approved.status == DeploymentStatus.APPROVED


def test_approval_refused_without_an_authorised_watchlist(ao):
    deployment = builders.complete_draft()
    dep.deployment_submit(actor=deployment.created_by, deployment=deployment)
    with pytest.raises(RuleViolation, match="watchlist is not authorised"):
        dep.deployment_approve(actor=ao, deployment=deployment)


def test_rejection_needs_reasons_and_the_planner_may_revise(ao):
    deployment = builders.submitted()
    with pytest.raises(RuleViolation):
        dep.deployment_reject(actor=ao, deployment=deployment, reason="  ")
    rejected = dep.deployment_reject(actor=ao, deployment=deployment, reason="Radius too wide.")
    assert rejected.status == DeploymentStatus.REJECTED
    revised = dep.deployment_update(actor=deployment.created_by, deployment=deployment, radius_m=80)
    assert revised.status == DeploymentStatus.DRAFT
    assert AuditEvent.objects.filter(action="deployment.reject", reason="Radius too wide.").exists()


def test_a_camera_booked_for_an_overlapping_window_cannot_be_booked_again():
    holder = builders.submitted()
    camera = holder.cameras.get().camera
    other = DeploymentFactory(starts_at=holder.starts_at + timedelta(hours=1))
    with pytest.raises(RuleViolation) as err:
        dep.deployment_camera_add(actor=other.created_by, deployment=other, camera=camera)
    assert err.value.code == "camera_booked"
    assert holder.title in err.value.message


def test_a_camera_is_free_outside_the_booked_window():
    holder = builders.submitted()
    camera = holder.cameras.get().camera
    later = DeploymentFactory(starts_at=holder.ends_at + timedelta(hours=1))
    booking = dep.deployment_camera_add(actor=later.created_by, deployment=later, camera=camera)
    assert booking.camera == camera


def test_a_clash_created_by_two_drafts_is_caught_at_approval(ao):
    first = builders.complete_draft()
    camera = first.cameras.get().camera
    second = builders.complete_draft(starts_at=first.starts_at)
    BookingFactory(deployment=second, camera=camera)
    builders.authorised_watchlist(first)
    builders.authorised_watchlist(second)
    dep.deployment_submit(actor=first.created_by, deployment=first)
    dep.deployment_approve(actor=ao, deployment=first)
    with pytest.raises(RuleViolation):
        dep.deployment_submit(actor=second.created_by, deployment=second)


# --- going live ---------------------------------------------------------------


def test_going_live_happy_path(operator):
    deployment = builders.ready_to_go_live(operator=operator)
    live = lifecycle.deployment_start(actor=operator, deployment=deployment)
    assert live.status == DeploymentStatus.LIVE and live.went_live_by == operator


def test_an_unassigned_operator_cannot_start(operator):
    deployment = builders.ready_to_go_live()
    with pytest.raises(NotPermitted):
        lifecycle.deployment_start(actor=operator, deployment=deployment)


def test_going_live_outside_the_window_is_refused(operator):
    deployment = builders.ready_to_go_live(operator=operator)
    Deployment.objects.filter(pk=deployment.pk).update(
        starts_at=timezone.now() + timedelta(hours=1), ends_at=timezone.now() + timedelta(hours=3)
    )
    deployment.refresh_from_db()
    with pytest.raises(RuleViolation, match="outside the authorised window"):
        lifecycle.deployment_start(actor=operator, deployment=deployment)


def test_going_live_before_approval_is_refused(operator):
    deployment = builders.submitted()
    staff.deployment_operator_assign(
        actor=deployment.created_by, deployment=deployment, operator=operator
    )
    with pytest.raises(RuleViolation, match="not approved"):
        lifecycle.deployment_start(actor=operator, deployment=deployment)


def test_going_live_without_signage_is_refused(operator):
    deployment = builders.ready_to_go_live(operator=operator)
    deployment.signage.all().delete()
    with pytest.raises(RuleViolation, match="No sign is recorded"):
        lifecycle.deployment_start(actor=operator, deployment=deployment)


def test_a_removed_sign_does_not_count(operator, field_officer):
    deployment = builders.ready_to_go_live(operator=operator)
    sign = deployment.signage.get()
    field.signage_mark_removed(actor=field_officer, record=sign, removed_at=timezone.now())
    with pytest.raises(RuleViolation, match="No sign is recorded"):
        lifecycle.deployment_start(actor=operator, deployment=deployment)


def test_a_watchlist_finalised_more_than_24_hours_before_the_start_is_refused(operator):
    deployment = builders.ready_to_go_live(operator=operator)
    type(deployment.watchlist).objects.filter(pk=deployment.watchlist.pk).update(
        finalised_at=deployment.starts_at - timedelta(hours=24, minutes=1)
    )
    with pytest.raises(RuleViolation, match="finalised within 24 hours before the window starts"):
        lifecycle.deployment_start(actor=operator, deployment=deployment)


def test_cameras_changed_after_approval_are_refused(operator):
    deployment = builders.ready_to_go_live(operator=operator)
    BookingFactory(deployment=deployment, camera=CameraFactory())
    with pytest.raises(RuleViolation, match="not the ones the authorising officer approved"):
        lifecycle.deployment_start(actor=operator, deployment=deployment)


def test_a_camera_source_changed_after_approval_is_refused(operator):
    deployment = builders.ready_to_go_live(operator=operator)
    camera = deployment.cameras.get().camera
    type(camera).objects.filter(pk=camera.pk).update(source_url="rtsp://other-camera.invalid/other")
    with pytest.raises(RuleViolation, match="not the ones"):
        lifecycle.deployment_start(actor=operator, deployment=deployment)


@override_settings(LFR_EU_AI_ACT_MODE=True)
def test_eu_mode_needs_independent_authorisation_or_urgency(operator):
    deployment = builders.ready_to_go_live(operator=operator)
    problems = go_live_problems(deployment)
    assert any("independent authorisation" in p.message for p in problems)


def test_kill_switch_stops_a_live_deployment_at_once(operator):
    deployment = builders.live(operator)
    stopped = lifecycle.deployment_stop(actor=operator, deployment=deployment, reason="Crowd surge")
    assert stopped.status == DeploymentStatus.COMPLETED and stopped.stopped_early
    assert AuditEvent.objects.filter(action="deployment.stop", reason="Crowd surge").exists()


def test_the_window_end_completes_a_live_deployment(operator):
    deployment = builders.live(operator)
    assert lifecycle.deployment_complete_if_window_ended(deployment_id=deployment.pk) is False
    Deployment.objects.filter(pk=deployment.pk).update(
        ends_at=timezone.now() - timedelta(seconds=1)
    )
    assert lifecycle.deployment_complete_if_window_ended(deployment_id=deployment.pk) is True
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.COMPLETED and not deployment.stopped_early
    assert AuditEvent.objects.get(action="deployment.complete").actor_username == "system"


@pytest.mark.parametrize("state", ["draft", "submitted", "approved"])
def test_any_state_before_completed_can_be_cancelled(state, ao):
    deployment = {
        "draft": builders.complete_draft,
        "submitted": builders.submitted,
        "approved": builders.approved,
    }[state]()
    cancelled = lifecycle.deployment_cancel(
        actor=ao, deployment=deployment, reason="Event called off"
    )
    assert cancelled.status == DeploymentStatus.CANCELLED


def test_a_completed_deployment_cannot_be_cancelled(operator, ao):
    deployment = builders.live(operator)
    lifecycle.deployment_stop(actor=operator, deployment=deployment)
    with pytest.raises(InvalidTransition):
        lifecycle.deployment_cancel(actor=ao, deployment=deployment, reason="Too late")


@override_settings(LFR_EU_AI_ACT_MODE=True)
def test_eu_urgency_lets_it_start_and_a_refusal_stops_it_at_once(operator, ao):
    deployment = builders.ready_to_go_live(operator=operator)
    Deployment.objects.filter(pk=deployment.pk).update(
        eu_urgency=True, eu_urgency_reason="Imminent threat to life"
    )
    deployment.refresh_from_db()
    live = lifecycle.deployment_start(actor=operator, deployment=deployment)
    assert live.status == DeploymentStatus.LIVE
    # Going live records no request on anyone's behalf: it is recorded as it was made.
    assert live.eu_authorisation_requested_at is None
    requested_at = timezone.now() - timedelta(minutes=1)
    eu_mode.deployment_eu_request_record(
        actor=ao, deployment=live, requested_at=requested_at, method="electronic", reference="R-1"
    )
    refused = eu_mode.deployment_independent_decision(
        actor=ao,
        deployment=live,
        decision="refused",
        reference="JUD/2026/0042",
        authority="Amtsgericht Mitte",
        authority_kind="judicial",
        decided_at=timezone.now(),
    )
    assert refused.status == DeploymentStatus.CANCELLED and refused.stopped_early
    assert AuditEvent.objects.filter(action="deployment.independent_refused").exists()
