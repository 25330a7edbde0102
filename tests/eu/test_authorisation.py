"""EU AI Act mode: the request to the authority as it was made, the authority's decision,
what each allows before going live, and what a refusal deletes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.models import (
    Alert,
    AuditEvent,
    DeletionRecord,
    Deployment,
    DeploymentStatus,
    Engagement,
    Role,
    WatchlistStatus,
)
from lfr_portal.selectors.readiness import go_live_problems
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services import eu_mode, retention
from lfr_portal.services.eu_urgency import deployment_eu_outputs_delete
from tests import builders
from tests.factories import AlertFactory, user_with_role
from tests.support.media import media_files, with_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eu_mode(settings):
    settings.LFR_EU_AI_ACT_MODE = True


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def request_it(deployment, actor, **overrides):
    values = {"requested_at": ago(minutes=30), "method": "electronic", "reference": "REQ/1"}
    return eu_mode.deployment_eu_request_record(
        actor=actor, deployment=deployment, **{**values, **overrides}
    )


def decide(deployment, actor, decision="granted", **overrides):
    values = {
        "reference": "JUD/2026/1",
        "authority": "Rechtbank Amsterdam",
        "authority_kind": "judicial",
        "decided_at": ago(minutes=5),
    }
    return eu_mode.deployment_independent_decision(
        actor=actor, deployment=deployment, decision=decision, **{**values, **overrides}
    )


def urgent(operator):
    deployment = builders.ready_to_go_live(
        operator=operator, eu_urgency=True, eu_urgency_reason="Imminent threat to life."
    )
    return deployment


# --- the request -----------------------------------------------------------------------


def test_the_request_is_recorded_as_it_was_made_and_audited(ao):
    deployment = builders.submitted()
    when = ago(hours=1)
    request_it(deployment, ao, requested_at=when, method="telephone", reference="TEL/5")
    deployment.refresh_from_db()
    assert deployment.eu_authorisation_requested_at == when
    assert deployment.eu_request_method == "telephone"
    assert deployment.eu_request_reference == "TEL/5"
    assert deployment.eu_request_recorded_by == ao
    event = AuditEvent.objects.get(action="deployment.eu_request")
    assert event.actor_username == ao.username and event.changes["reference"] == "TEL/5"


def test_its_planner_may_record_the_request_but_not_another_planner_or_an_operator(operator):
    deployment = builders.submitted()
    for outsider in (user_with_role(Role.DEPLOYMENT_PLANNER), operator):
        with pytest.raises(NotPermitted):
            request_it(deployment, outsider)
    request_it(deployment, deployment.created_by)
    assert Deployment.objects.get(pk=deployment.pk).eu_request_recorded_by == (
        deployment.created_by
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"requested_at": timezone.now() + timedelta(hours=1)}, "requested_at"),
        ({"method": "carrier_pigeon"}, "method"),
        ({"reference": "  "}, "reference"),
    ],
)
def test_a_request_in_the_future_without_a_method_or_reference_is_refused(ao, overrides, field):
    deployment = builders.submitted()
    with pytest.raises(RuleViolation) as err:
        request_it(deployment, ao, **overrides)
    assert err.value.field == field
    assert Deployment.objects.get(pk=deployment.pk).eu_authorisation_requested_at is None
    assert not AuditEvent.objects.filter(action="deployment.eu_request").exists()


def test_a_request_is_recorded_once(ao):
    deployment = builders.submitted()
    request_it(deployment, ao)
    with pytest.raises(InvalidTransition):
        request_it(deployment, ao, reference="REQ/2")


def test_outside_eu_mode_nothing_is_recorded(ao, settings):
    deployment = builders.submitted()
    settings.LFR_EU_AI_ACT_MODE = False
    with pytest.raises(RuleViolation, match="only in EU AI Act mode"):
        request_it(deployment, ao)


def test_going_live_no_longer_records_a_request_on_anyones_behalf(operator):
    live = lifecycle.deployment_start(actor=operator, deployment=urgent(operator))
    assert live.status == DeploymentStatus.LIVE
    assert Deployment.objects.get(pk=live.pk).eu_authorisation_requested_at is None


# --- the decision ----------------------------------------------------------------------


def test_a_decision_needs_the_request_first_and_comes_after_it(ao):
    deployment = builders.submitted()
    with pytest.raises(RuleViolation, match="request to the authority before"):
        decide(deployment, ao)
    request_it(deployment, ao, requested_at=ago(hours=2))
    with pytest.raises(RuleViolation, match="before the request") as err:
        decide(deployment, ao, decided_at=ago(hours=3))
    assert err.value.field == "decided_at"
    with pytest.raises(RuleViolation, match="future"):
        decide(deployment, ao, decided_at=timezone.now() + timedelta(minutes=5))
    assert Deployment.objects.get(pk=deployment.pk).eu_authorisation_decision == ""


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"authority": ""}, "authority"),
        ({"authority_kind": "police"}, "authority_kind"),
        ({"reference": ""}, "reference"),
        ({"decision": "maybe"}, "decision"),
    ],
)
def test_a_decision_names_who_decided_its_kind_reference_and_outcome(ao, overrides, field):
    deployment = builders.submitted()
    request_it(deployment, ao)
    with pytest.raises(RuleViolation) as err:
        decide(deployment, ao, **overrides)
    assert err.value.field == field


def test_only_an_authorising_officer_records_the_decision(ao, compliance):
    deployment = builders.submitted()
    request_it(deployment, ao)
    for refused in (deployment.created_by, compliance):
        with pytest.raises(NotPermitted):
            decide(deployment, refused)
    decide(deployment, ao)
    deployment.refresh_from_db()
    assert deployment.eu_authorisation_decision == "granted"
    assert deployment.eu_decision_authority == "Rechtbank Amsterdam"
    assert deployment.eu_decision_authority_kind == "judicial"
    assert deployment.eu_decision_reference == "JUD/2026/1"
    assert deployment.eu_decision_recorded_by == ao
    assert AuditEvent.objects.filter(action="deployment.independent_granted").count() == 1
    with pytest.raises(InvalidTransition, match="already recorded"):
        decide(deployment, ao, decision="refused")


def test_without_urgency_only_a_granted_decision_lets_it_go_live(operator, ao):
    deployment = builders.ready_to_go_live(operator=operator)
    assert [p.code for p in go_live_problems(deployment)] == ["eu_no_authorisation"]
    with pytest.raises(RuleViolation, match="No granted judicial or independent authorisation"):
        lifecycle.deployment_start(actor=operator, deployment=deployment)
    request_it(deployment, ao)
    decide(deployment, ao)
    live = lifecycle.deployment_start(actor=operator, deployment=deployment)
    assert live.status == DeploymentStatus.LIVE


def test_in_urgency_it_goes_live_first_and_a_refusal_before_going_live_cancels_it(operator, ao):
    deployment = urgent(operator)
    assert go_live_problems(deployment) == []
    request_it(deployment, ao)
    decide(deployment, ao, decision="refused")
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.CANCELLED and not deployment.stopped_early
    assert [p.code for p in go_live_problems(deployment)][0] == "not_approved"


def test_a_refusal_stops_it_at_once_and_deletes_everything_it_produced(operator, ao):
    live = lifecycle.deployment_start(actor=operator, deployment=urgent(operator))
    alerts = [
        AlertFactory(
            deployment=live, camera=live.cameras.first(), entry=live.watchlist.entries.first()
        )
        for _ in range(2)
    ]
    for alert in alerts:
        with_file(alert.crop, "crop.jpg", b"crop")
    Engagement.objects.create(alert=alerts[0], dispatched_by=operator, dispatched_at=ago(minutes=1))
    unrelated = AlertFactory()
    with_file(unrelated.crop, "other.jpg", b"other")
    request_it(live, ao, requested_at=ago(minutes=5))
    decide(live, ao, decision="refused", decided_at=ago(minutes=1))
    live.refresh_from_db()
    assert live.status == DeploymentStatus.CANCELLED and live.stopped_early
    refusal = AuditEvent.objects.get(action="deployment.independent_refused")
    assert refusal.changes["authority"] == "Rechtbank Amsterdam"

    # What the task sent on refusal runs (the worker test runs it on a real worker).
    done = deployment_eu_outputs_delete(deployment_id=live.pk)
    assert done == {"deployment_data": 2, "watchlist_biometrics": 2}
    assert not Alert.objects.filter(deployment=live).exists()
    assert not Engagement.objects.filter(alert__deployment=live).exists()
    assert media_files() == [unrelated.crop.name]
    live.watchlist.refresh_from_db()
    assert live.watchlist.status == WatchlistStatus.DESTROYED
    record = DeletionRecord.objects.get(deployment=live, category="deployment_data")
    assert record.count == 2 and record.files_removed == 2
    assert "refused" in record.rule
    # Idempotent: nothing more to delete, and retention's own run finds nothing either.
    assert deployment_eu_outputs_delete(deployment_id=live.pk)["deployment_data"] == 0
    assert retention.retention_apply()["deployment_data"] == 0


def test_a_granted_deployment_is_not_touched_by_the_deletion(operator, ao):
    live = lifecycle.deployment_start(actor=operator, deployment=urgent(operator))
    AlertFactory(deployment=live, camera=live.cameras.first(), entry=live.watchlist.entries.first())
    request_it(live, ao, requested_at=ago(minutes=5))
    decide(live, ao, decided_at=ago(minutes=1))
    assert deployment_eu_outputs_delete(deployment_id=live.pk)["deployment_data"] == 0
    assert Alert.objects.filter(deployment=live).count() == 1
