from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.models import Adjudication, AuditEvent, Outcome, Role
from lfr_portal.services import alerts as alert_services
from lfr_portal.services import field
from tests import builders
from tests.factories import AlertFactory, DeploymentFactory, user_with_role

pytestmark = pytest.mark.django_db


def sign(**overrides):
    values = {
        "description": "A1 sign",
        "location_name": "North entrance",
        "latitude": 51.5,
        "longitude": -0.1,
        "placed_at": timezone.now() - timedelta(minutes=5),
    }
    values.update(overrides)
    return values


def test_field_officer_records_signage_and_leaflets(field_officer):
    deployment = builders.submitted()
    record = field.signage_record(actor=field_officer, deployment=deployment, **sign())
    assert record.recorded_by == field_officer
    leaflets = field.leaflet_record(
        actor=field_officer,
        deployment=deployment,
        quantity=100,
        location_name="Station",
        distributed_at=timezone.now(),
    )
    assert leaflets.quantity == 100
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"signage.record", "leaflet.record"} <= actions


def test_signage_is_not_recorded_for_a_draft(field_officer):
    with pytest.raises(InvalidTransition):
        field.signage_record(actor=field_officer, deployment=DeploymentFactory(), **sign())


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.DEPLOYMENT_PLANNER, Role.COMPLIANCE_OFFICER])
def test_only_field_officers_record_evidence(role):
    with pytest.raises(NotPermitted):
        field.signage_record(actor=user_with_role(role), deployment=builders.submitted(), **sign())


def test_signage_in_the_future_or_removed_before_placed_is_refused(field_officer):
    deployment = builders.submitted()
    with pytest.raises(RuleViolation):
        field.signage_record(
            actor=field_officer,
            deployment=deployment,
            **sign(placed_at=timezone.now() + timedelta(hours=1)),
        )
    placed = timezone.now() - timedelta(minutes=10)
    with pytest.raises(RuleViolation):
        field.signage_record(
            actor=field_officer,
            deployment=deployment,
            **sign(placed_at=placed, removed_at=placed - timedelta(minutes=1)),
        )


def test_leaflets_need_a_positive_quantity(field_officer):
    with pytest.raises(RuleViolation):
        field.leaflet_record(
            actor=field_officer,
            deployment=builders.submitted(),
            quantity=0,
            location_name="x",
            distributed_at=timezone.now(),
        )


def test_the_assigned_operator_adjudicates_and_records_the_outcome(operator):
    deployment = builders.live(operator)
    alert = AlertFactory(deployment=deployment)
    done = alert_services.alert_adjudicate(
        actor=operator, alert=alert, adjudication=Adjudication.CONFIRMED, outcome=Outcome.ARREST
    )
    assert done.adjudication == Adjudication.CONFIRMED and done.adjudicated_by == operator
    assert AuditEvent.objects.filter(action="alert.adjudicate", actor=operator).exists()
    with pytest.raises(InvalidTransition):
        alert_services.alert_adjudicate(
            actor=operator, alert=alert, adjudication=Adjudication.FALSE_ALERT
        )


def test_an_operator_of_another_deployment_cannot_adjudicate(operator):
    alert = AlertFactory()
    with pytest.raises(NotPermitted):
        alert_services.alert_adjudicate(
            actor=operator, alert=alert, adjudication=Adjudication.FALSE_ALERT
        )


def test_a_confirmed_match_needs_an_outcome_and_a_false_alert_no_arrest(operator):
    alert = AlertFactory(deployment=builders.live(operator))
    with pytest.raises(RuleViolation):
        alert_services.alert_adjudicate(
            actor=operator, alert=alert, adjudication=Adjudication.CONFIRMED
        )
    with pytest.raises(RuleViolation):
        alert_services.alert_adjudicate(
            actor=operator, alert=alert, adjudication=Adjudication.FALSE_ALERT, outcome="arrest"
        )
    with pytest.raises(RuleViolation):
        alert_services.alert_adjudicate(actor=operator, alert=alert, adjudication="maybe")
