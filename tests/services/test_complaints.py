"""Complaints: recorded and closed by compliance or authorising officers, each rule
tried and refused, each change audited without copying the internal summary."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.models import AuditEvent, Complaint, ComplaintOutcome, Role
from lfr_portal.selectors.reviews import complaint_counts, complaints_visible_to
from lfr_portal.services.complaints import complaint_outcome_record, complaint_record
from tests.factories import DeploymentFactory, user_with_role

pytestmark = pytest.mark.django_db


def _record(actor, **overrides):
    fields = {
        "category": "privacy",
        "received_on": timezone.localdate(),
        "reference": "PSD/2026/0042",
        "summary": "Objects to being scanned on the way to work.",
    }
    fields.update(overrides)
    return complaint_record(actor=actor, **fields)


@pytest.mark.parametrize("role_fixture", ["compliance", "ao"])
def test_compliance_and_authorising_officers_record_a_complaint(request, role_fixture):
    actor = request.getfixturevalue(role_fixture)
    deployment = DeploymentFactory()
    complaint = _record(actor, deployment=deployment)
    assert complaint.recorded_by == actor and complaint.outcome == ""
    assert complaint_counts(deployment)["privacy"] == 1
    row = AuditEvent.objects.get(action="complaint.record")
    assert row.changes == {"category": "privacy", "received_on": str(timezone.localdate())}
    assert "scanned" not in str(row.changes) and row.deployment_public_id == str(
        deployment.public_id
    )


@pytest.mark.parametrize("role_fixture", ["planner", "operator", "field_officer", "manager"])
def test_other_roles_may_not_record_or_see_complaints(request, compliance, role_fixture):
    actor = request.getfixturevalue(role_fixture)
    with pytest.raises(NotPermitted):
        _record(actor)
    complaint = _record(compliance)
    with pytest.raises(NotPermitted):
        complaint_outcome_record(actor=actor, complaint=complaint, outcome="upheld")
    assert not complaints_visible_to(actor).exists()
    assert Complaint.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "intelligence"}, "category"),
        ({"category": ""}, "category"),
        ({"received_on": None}, "received_on"),
        ({"received_on": timezone.localdate() + timedelta(days=2)}, "received_on"),
        ({"reference": "R" * 101}, "reference"),
        ({"summary": "s" * 5001}, "summary"),
    ],
)
def test_a_complaint_is_refused_with_the_rule_named(compliance, overrides, field):
    with pytest.raises(RuleViolation) as refused:
        _record(compliance, **overrides)
    assert refused.value.field == field
    assert not Complaint.objects.exists() and not AuditEvent.objects.exists()


def test_the_outcome_is_recorded_once(compliance, ao):
    complaint = _record(compliance)
    with pytest.raises(RuleViolation) as refused:
        complaint_outcome_record(actor=ao, complaint=complaint, outcome="")
    assert refused.value.field == "outcome"
    with pytest.raises(RuleViolation):
        complaint_outcome_record(actor=ao, complaint=complaint, outcome="dismissed")
    closed = complaint_outcome_record(actor=ao, complaint=complaint, outcome="upheld")
    assert closed.outcome == ComplaintOutcome.UPHELD and closed.outcome_recorded_at
    with pytest.raises(InvalidTransition, match="already recorded"):
        complaint_outcome_record(actor=compliance, complaint=complaint, outcome="withdrawn")
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions == ["complaint.record", "complaint.outcome"]


def test_an_ao_below_the_minimum_rank_may_not_record_one():
    junior = user_with_role(Role.AUTHORISING_OFFICER)
    junior.officer.rank = "inspector"
    junior.officer.save()
    with pytest.raises(NotPermitted):
        _record(type(junior).objects.get(pk=junior.pk))
