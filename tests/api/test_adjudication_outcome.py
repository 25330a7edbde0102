"""The API records an adjudication only as a whole decision: the outcome is always sent."""

import pytest

from lfr_portal.models import Adjudication, AuditEvent, Outcome
from lfr_portal.permissions import grant_operator
from tests.factories import AlertFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(operator):
    alert = AlertFactory()
    grant_operator(operator, alert.deployment)
    return alert


def test_an_adjudication_without_its_outcome_is_refused(api, operator, alert):
    api.force_authenticate(operator)
    response = api.post(
        f"/api/alerts/{alert.public_id}/adjudicate/", {"adjudication": "false_alert"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "outcome"
    assert response.json()["rule"] == "outcome_required"
    alert.refresh_from_db()
    assert alert.adjudication == Adjudication.PENDING
    assert not AuditEvent.objects.filter(action="alert.adjudicate").exists()


def test_an_explicit_outcome_is_recorded_with_its_audit_row(api, operator, alert):
    api.force_authenticate(operator)
    response = api.post(
        f"/api/alerts/{alert.public_id}/adjudicate/",
        {"adjudication": "false_alert", "outcome": "no_action"},
        format="json",
    )
    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.adjudication == Adjudication.FALSE_ALERT and alert.outcome == Outcome.NO_ACTION
    row = AuditEvent.objects.get(action="alert.adjudicate")
    assert row.changes["adjudication"] == ["pending", "false_alert"]


def test_a_blank_outcome_sent_on_purpose_is_accepted_for_an_unresolved_alert(api, operator, alert):
    api.force_authenticate(operator)
    response = api.post(
        f"/api/alerts/{alert.public_id}/adjudicate/",
        {"adjudication": "unresolved", "outcome": ""},
        format="json",
    )
    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.adjudication == Adjudication.UNRESOLVED
