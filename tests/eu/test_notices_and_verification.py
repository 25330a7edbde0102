"""EU AI Act mode: notices of each use to the market-surveillance and data-protection
authorities (Art. 26(10)), and a second person's verification of an alert before it is
sent for engagement (Art. 14(5))."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.models import Alert, AuditEvent, AuthorityNotification, Engagement, Role
from lfr_portal.permissions import grant_field_officer, grant_operator
from lfr_portal.selectors.eu_mode import missing_notices, notice_warning
from lfr_portal.services import eu_mode
from lfr_portal.services.alerts import alert_adjudicate
from lfr_portal.services.engagements import alert_send_for_engagement
from lfr_portal.services.eu_verification import alert_verify
from tests import builders
from tests.factories import AlertFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eu_mode(settings):
    settings.LFR_EU_AI_ACT_MODE = True


def notify(deployment, actor, **overrides):
    values = {
        "authority": "market_surveillance",
        "authority_name": "Bundesnetzagentur",
        "notified_at": timezone.now() - timedelta(hours=1),
        "method": "electronic",
        "reference": "MSA/1",
    }
    return eu_mode.authority_notification_record(
        actor=actor, deployment=deployment, **{**values, **overrides}
    )


def live_urgent(operator):
    return builders.live(operator, eu_urgency=True, eu_urgency_reason="Imminent threat.")


# --- notices ---------------------------------------------------------------------------


def test_a_live_deployment_is_warned_until_both_authorities_are_notified(operator, compliance):
    live = live_urgent(operator)
    assert missing_notices(live) == [
        "Market-surveillance authority",
        "Data-protection authority",
    ]
    warning = notice_warning(live)
    assert warning.severity == "warning" and warning.code == "eu_notice_missing"
    notify(live, compliance)
    assert missing_notices(live) == ["Data-protection authority"]
    notice = notify(live, live.created_by, authority="data_protection", authority_name="BfDI")
    assert missing_notices(live) == [] and notice_warning(live) is None
    assert notice.recorded_by == live.created_by
    event = AuditEvent.objects.filter(action="deployment.authority_notice").last()
    assert event.changes["authority"] == "data_protection"
    assert event.changes["notice"] == str(notice.public_id)


def test_a_draft_is_not_warned_and_outside_eu_mode_nothing_is_recorded(planner, ao, settings):
    draft = builders.complete_draft()
    assert missing_notices(draft) == []
    settings.LFR_EU_AI_ACT_MODE = False
    with pytest.raises(RuleViolation, match="only in EU AI Act mode"):
        notify(draft, ao)


def test_operators_field_officers_and_managers_may_not_record_a_notice(
    operator, field_officer, manager
):
    live = live_urgent(operator)
    for refused in (operator, field_officer, manager, user_with_role(Role.DEPLOYMENT_PLANNER)):
        with pytest.raises(NotPermitted):
            notify(live, refused)
    assert not AuthorityNotification.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"authority": "police"}, "authority"),
        ({"authority_name": ""}, "authority_name"),
        ({"method": "smoke"}, "method"),
        ({"notified_at": timezone.now() + timedelta(days=1)}, "notified_at"),
    ],
)
def test_a_notice_names_the_authority_when_and_how(operator, ao, overrides, field):
    live = live_urgent(operator)
    with pytest.raises(RuleViolation) as err:
        notify(live, ao, **overrides)
    assert err.value.field == field
    assert not AuthorityNotification.objects.exists()


# --- second-person verification ---------------------------------------------------------


@pytest.fixture
def checked_alert(operator, field_officer):
    """An alert on a live deployment that asks for a second person, with a field officer."""
    alert = AlertFactory(deployment__second_person_verification=True)
    grant_operator(operator, alert.deployment)
    grant_field_officer(field_officer, alert.deployment)
    return alert


def test_an_alert_is_not_sent_until_a_second_person_has_verified_it(operator, checked_alert):
    second = user_with_role(Role.OPERATOR)
    grant_operator(second, checked_alert.deployment)
    with pytest.raises(RuleViolation, match="needs a second person") as err:
        alert_send_for_engagement(actor=operator, alert=checked_alert)
    assert err.value.code == "verification_required"
    assert not Engagement.objects.exists()

    alert_verify(actor=second, alert=checked_alert)
    checked_alert.refresh_from_db()
    assert checked_alert.verified_by == second and checked_alert.verified_at is not None
    assert AuditEvent.objects.get(action="alert.verify").actor_username == second.username
    with pytest.raises(InvalidTransition, match="already verified"):
        alert_verify(actor=operator, alert=checked_alert)
    # The verifier may not also send it: that takes a second person.
    with pytest.raises(RuleViolation, match="cannot also send"):
        alert_send_for_engagement(actor=second, alert=checked_alert)
    assert alert_send_for_engagement(actor=operator, alert=checked_alert).alert == checked_alert


def test_the_adjudicator_cannot_be_the_second_person(operator, ao, checked_alert):
    alert_adjudicate(actor=operator, alert=checked_alert, adjudication="unresolved")
    with pytest.raises(RuleViolation, match="cannot be the one who adjudicated"):
        alert_verify(actor=operator, alert=checked_alert)
    alert_verify(actor=ao, alert=checked_alert)
    assert Alert.objects.get(pk=checked_alert.pk).verified_by == ao


def test_who_may_verify_and_when(operator, field_officer, compliance, checked_alert):
    unassigned = user_with_role(Role.OPERATOR)
    for refused in (field_officer, compliance, unassigned):
        with pytest.raises(NotPermitted):
            alert_verify(actor=refused, alert=checked_alert)
    plain = AlertFactory()
    grant_operator(operator, plain.deployment)
    with pytest.raises(RuleViolation, match="does not ask for"):
        alert_verify(actor=operator, alert=plain)
    assert not Alert.objects.filter(verified_by__isnull=False).exists()


def test_without_the_setting_an_alert_is_sent_as_before(operator, field_officer):
    alert = AlertFactory()
    grant_operator(operator, alert.deployment)
    grant_field_officer(field_officer, alert.deployment)
    assert alert_send_for_engagement(actor=operator, alert=alert).alert == alert
