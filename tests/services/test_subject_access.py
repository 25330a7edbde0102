"""Subject access: the deployments a reference was on (live entries and the records kept
after destruction), its category and alerts, nothing biometric or named, and every
lookup on the audit trail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.errors import NotPermitted, RuleViolation
from lfr_portal.models import (
    Adjudication,
    AuditEvent,
    Engagement,
    EngagementResult,
    EntryCategory,
    EntryStatus,
    Outcome,
    WatchlistReferenceRecord,
)
from lfr_portal.services.subject_access import subject_access_lookup
from tests.factories import AlertFactory, DeploymentFactory, EntryFactory

pytestmark = pytest.mark.django_db

REF = "CUST/2026/0042"


@pytest.fixture
def history(operator):
    """The reference on a live list (approved, one alert sent for engagement), on a
    destroyed list (the record kept, its entry gone with an alert left), and pending on a
    third; another reference elsewhere."""
    now = timezone.now()
    live = DeploymentFactory(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=5))
    entry = EntryFactory(
        watchlist=live.watchlist,
        reference_number=REF,
        category=EntryCategory.SUSPECT,
        status=EntryStatus.APPROVED,
        approved_at=now - timedelta(days=1),
    )
    alert = AlertFactory(
        deployment=live,
        entry=entry,
        adjudication=Adjudication.CONFIRMED,
        captured_at=now - timedelta(minutes=30),
    )
    Engagement.objects.create(
        alert=alert,
        dispatched_by=operator,
        dispatched_at=now,
        result=EngagementResult.NOT_THE_PERSON,
    )
    past = DeploymentFactory(
        starts_at=now - timedelta(days=60), ends_at=now - timedelta(days=60) + timedelta(hours=6)
    )
    WatchlistReferenceRecord.objects.create(
        deployment=past, reference_number=REF, category=EntryCategory.WANTED
    )
    AlertFactory(
        deployment=past,
        entry=None,
        entry_reference=REF,
        adjudication=Adjudication.FALSE_ALERT,
        outcome=Outcome.NO_ACTION,
        captured_at=past.starts_at + timedelta(hours=1),
    )
    planned = DeploymentFactory(
        starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=5, hours=6)
    )
    EntryFactory(watchlist=planned.watchlist, reference_number=REF.lower())
    AlertFactory()  # another reference: not in the answer
    return past, live, planned


def test_the_answer_lists_each_deployment_in_order_with_category_and_alerts(compliance, history):
    past, live, planned = history
    answer = subject_access_lookup(actor=compliance, reference=f"  {REF} ")
    assert [line.deployment for line in answer.deployments] == [past, live, planned]
    first, second, third = answer.deployments
    assert (first.category, first.on_the_list, first.source_list) == (
        "Wanted by police or courts",
        True,
        ["alert", "record"],
    )
    assert [(a.adjudication, a.outcome) for a in first.alerts] == [("False alert", "No action")]
    assert (second.category, second.entry_status, second.on_the_list) == (
        "Suspected of an offence",
        "Approved",
        True,
    )
    assert [a.engagement_result for a in second.alerts] == [
        "Confirmed: not the person (misidentified)"
    ]
    # A pending entry is shown (the reference is processed) but was never on the list.
    assert (third.entry_status, third.on_the_list, third.alerts) == (
        "Awaiting a second approver",
        False,
        [],
    )
    assert answer.alert_count == 2


def test_the_answer_carries_nothing_biometric_or_named(compliance, history):
    answer = subject_access_lookup(actor=compliance, reference=REF)
    for line in answer.deployments:
        names = set(vars(line)) | {n for a in line.alerts for n in vars(a)}
        assert not names & {"display_name", "reference_image", "embedding", "crop", "reason"}


def test_each_lookup_is_audited_with_the_reference_and_what_was_found(compliance, history):
    past, live, planned = history
    subject_access_lookup(actor=compliance, reference=REF)
    subject_access_lookup(actor=compliance, reference="NOT/ON/ANY")
    rows = list(AuditEvent.objects.filter(action="subject_access.lookup").order_by("seq"))
    assert [r.changes["reference"] for r in rows] == [REF, "NOT/ON/ANY"]
    assert rows[0].actor == compliance
    assert {k: rows[0].changes[k] for k in ("deployments", "on_the_list", "alerts")} == {
        "deployments": 3,
        "on_the_list": 2,
        "alerts": 2,
    }
    assert rows[0].changes["deployment_ids"] == [str(d.public_id) for d in (past, live, planned)]
    assert rows[1].changes["deployments"] == 0


@pytest.mark.parametrize("role", ["ao", "planner", "manager", "operator", "field_officer"])
def test_only_the_dpo_may_look_up(request, history, role):
    with pytest.raises(NotPermitted, match="compliance officer"):
        subject_access_lookup(actor=request.getfixturevalue(role), reference=REF)
    assert not AuditEvent.objects.filter(action="subject_access.lookup").exists()


@pytest.mark.parametrize("reference", ["", "   ", "x" * 101, "A\x00B"])
def test_a_reference_must_be_given_as_text(compliance, reference):
    with pytest.raises(RuleViolation) as refused:
        subject_access_lookup(actor=compliance, reference=reference)
    assert refused.value.field == "reference"
    assert not AuditEvent.objects.filter(action="subject_access.lookup").exists()
