"""Pinning policy versions to a deployment, and what readiness makes of the pins: a
version due for review blocks approval, a newer version warns, and the approval's
snapshot of ids and hashes must still hold when the deployment goes live."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.models import AuditEvent, DeploymentPolicyPin, DeploymentStatus
from lfr_portal.selectors.policies import newer_version_warnings
from lfr_portal.selectors.readiness import approval_problems, go_live_problems
from lfr_portal.services import deployments as dep
from lfr_portal.services import policies as services
from lfr_portal.services.deployment_guards import NotReady
from tests import builders
from tests import policy_builders as lib
from tests.factories import DeploymentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(compliance):
    return lib.version(actor=compliance)


def test_the_planner_pins_and_unpins_on_a_draft_and_each_is_audited(planner, version):
    deployment = DeploymentFactory(created_by=planner)
    pin = services.deployment_policy_pin(actor=planner, deployment=deployment, version=version)
    assert pin.version == version and pin.pinned_by == planner
    event = AuditEvent.objects.get(action="deployment.policy_pin")
    assert event.deployment_public_id == str(deployment.public_id)
    assert event.changes["sha256"] == version.sha256 and event.changes["replaced"] is None
    services.deployment_policy_unpin(actor=planner, deployment=deployment, version=version)
    assert not deployment.policy_pins.exists()
    assert AuditEvent.objects.filter(action="deployment.policy_unpin").count() == 1


def test_an_ao_pins_on_a_submitted_deployment(ao, version):
    deployment = builders.submitted()
    services.deployment_policy_pin(actor=ao, deployment=deployment, version=version)
    assert deployment.policy_pins.get().version == version


@pytest.mark.parametrize("role", ["manager", "operator", "field_officer", "compliance"])
def test_other_roles_and_other_planners_may_not_pin(request, version, role):
    deployment = DeploymentFactory()
    for actor in (request.getfixturevalue(role), user_with_role("deployment_planner")):
        with pytest.raises(NotPermitted):
            services.deployment_policy_pin(actor=actor, deployment=deployment, version=version)
    assert not DeploymentPolicyPin.objects.exists()


@pytest.mark.parametrize(
    "status", [DeploymentStatus.APPROVED, DeploymentStatus.LIVE, DeploymentStatus.COMPLETED]
)
def test_pins_are_fixed_after_approval(planner, version, status):
    deployment = DeploymentFactory(created_by=planner)
    services.deployment_policy_pin(actor=planner, deployment=deployment, version=version)
    deployment.status = status
    deployment.save()
    other = lib.version(actor=user_with_role("compliance_officer"))
    with pytest.raises(InvalidTransition, match="after approval"):
        services.deployment_policy_pin(actor=planner, deployment=deployment, version=other)
    with pytest.raises(InvalidTransition):
        services.deployment_policy_unpin(actor=planner, deployment=deployment, version=version)
    assert list(deployment.policy_pins.values_list("version", flat=True)) == [version.pk]


def test_pinning_twice_or_unpinning_what_is_not_pinned_is_refused(planner, version):
    deployment = DeploymentFactory(created_by=planner)
    services.deployment_policy_pin(actor=planner, deployment=deployment, version=version)
    with pytest.raises(RuleViolation, match="already pinned"):
        services.deployment_policy_pin(actor=planner, deployment=deployment, version=version)
    other = lib.version(actor=user_with_role("compliance_officer"))
    with pytest.raises(RuleViolation, match="not pinned"):
        services.deployment_policy_unpin(actor=planner, deployment=deployment, version=other)
    assert deployment.policy_pins.count() == 1


def test_a_newer_version_replaces_the_pinned_one_and_the_older_pin_warns(planner, compliance):
    first = lib.version(actor=compliance)
    deployment = DeploymentFactory(created_by=planner)
    services.deployment_policy_pin(actor=planner, deployment=deployment, version=first)
    second = lib.version(first.document, compliance, change_summary="Section 2 revised.")
    [warning] = newer_version_warnings(deployment)
    assert warning.code == "policy_newer_version" and warning.severity == "warning"
    assert "version 2" in warning.message and "pinned version 1" in warning.message
    services.deployment_policy_pin(actor=planner, deployment=deployment, version=second)
    assert list(deployment.policy_pins.values_list("version", flat=True)) == [second.pk]
    event = AuditEvent.objects.filter(action="deployment.policy_pin").last()
    assert event.changes["replaced"] == str(first.public_id)
    assert newer_version_warnings(deployment) == []


def test_a_pinned_version_due_for_review_before_the_end_blocks_approval(ao, compliance):
    deployment = builders.submitted()
    ends = timezone.localdate(deployment.ends_at)
    stale = lib.version(
        actor=compliance,
        issued_on=ends - timedelta(days=400),
        review_by=ends - timedelta(days=1),
    )
    services.deployment_policy_pin(actor=ao, deployment=deployment, version=stale)
    codes = [p.code for p in approval_problems(deployment)]
    assert codes == ["policy_review_overdue"]
    with pytest.raises(NotReady, match="due for review"):
        dep.deployment_approve(actor=ao, deployment=deployment)
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.SUBMITTED


def test_the_approval_records_the_pinned_ids_and_hashes(ao, compliance):
    version = lib.version(actor=compliance)
    deployment = builders.submitted()
    services.deployment_policy_pin(actor=ao, deployment=deployment, version=version)
    deployment = dep.deployment_approve(
        actor=user_with_role("authorising_officer"), deployment=deployment
    )
    assert deployment.authorised_snapshot["policy_versions"] == [
        [str(version.public_id), version.sha256]
    ]
    row = AuditEvent.objects.get(action="deployment.approve")
    assert row.changes["authorised"]["policy_versions"] == [
        [str(version.public_id), version.sha256]
    ]


def test_going_live_refuses_when_a_pinned_version_changed_after_approval(compliance, operator):
    version = lib.version(actor=compliance)
    deployment = builders.ready_to_go_live(operator=operator)
    assert go_live_problems(deployment) == []
    # Pins cannot change after approval through the services; a change made behind
    # their back (a pin added in the database, a hash altered) must still be caught.
    DeploymentPolicyPin.objects.create(
        deployment=deployment, version=version, pinned_by=deployment.created_by
    )
    assert [p.code for p in go_live_problems(deployment)] == ["policies_changed"]
    DeploymentPolicyPin.objects.filter(deployment=deployment).delete()
    snapshot = dict(deployment.authorised_snapshot)
    snapshot["policy_versions"] = [[str(version.public_id), "0" * 64]]
    deployment.authorised_snapshot = snapshot
    deployment.save()
    assert [p.code for p in go_live_problems(deployment)] == ["policies_changed"]


def test_an_approval_from_before_the_library_pinned_nothing(operator):
    deployment = builders.ready_to_go_live(operator=operator)
    snapshot = dict(deployment.authorised_snapshot)
    del snapshot["policy_versions"]
    deployment.authorised_snapshot = snapshot
    deployment.save()
    assert go_live_problems(deployment) == []
