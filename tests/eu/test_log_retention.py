"""EU AI Act mode keeps the automatically generated logs at least LFR_EU_LOG_RETENTION_DAYS
(Art. 26(6)): the retention run prunes none younger, and a system check refuses a value
under six months."""

from datetime import timedelta

import pytest
from django.core.checks import run_checks
from django.utils import timezone

from lfr_portal.checks import eu_log_retention
from lfr_portal.models import (
    RetentionCategory,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from lfr_portal.selectors.eu_mode import log_retention
from lfr_portal.selectors.retention import periods_in_force
from lfr_portal.services import retention
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def delivery(days_old):
    subscription = WebhookSubscription.objects.create(
        name=f"CAD {WebhookSubscription.objects.count()}",
        url="https://cad.example.test/hook",
        secret="s" * 32,
        events=list(WebhookEvent.values),
        created_by=UserFactory(),
    )
    made = WebhookDelivery.objects.create(
        subscription=subscription,
        event=WebhookEvent.DEPLOYMENT_STARTED,
        payload={"deployment": "d"},
        delivered_at=timezone.now(),
    )
    WebhookDelivery.objects.filter(pk=made.pk).update(
        created_at=timezone.now() - timedelta(days=days_old)
    )
    return made


def test_eu_mode_keeps_delivery_records_at_least_the_eu_log_period(settings):
    settings.LFR_WEBHOOK_DELIVERY_RETENTION = timedelta(days=31)
    young, middle, old = delivery(10), delivery(100), delivery(200)

    settings.LFR_EU_AI_ACT_MODE = True
    assert log_retention(timedelta(days=31)) == timedelta(days=183)
    assert retention.retention_apply()["webhook_deliveries"] == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {young.pk, middle.pk}

    settings.LFR_EU_AI_ACT_MODE = False
    assert retention.retention_apply()["webhook_deliveries"] == 1
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [young.pk]
    assert old.pk != middle.pk


def test_a_longer_own_period_stands_in_eu_mode(settings):
    settings.LFR_EU_AI_ACT_MODE = True
    assert log_retention(timedelta(days=400)) == timedelta(days=400)
    settings.LFR_EU_LOG_RETENTION_DAYS = 365
    assert log_retention(timedelta(days=31)) == timedelta(days=365)


def test_the_system_check_refuses_less_than_six_months_in_eu_mode(settings):
    settings.LFR_EU_AI_ACT_MODE = True
    settings.LFR_EU_LOG_RETENTION_DAYS = 182
    errors = eu_log_retention(None)
    assert [e.id for e in errors] == ["lfr_portal.E040"]
    assert "at least 183 days" in errors[0].msg
    assert "lfr_portal.E040" in {e.id for e in run_checks()}

    settings.LFR_EU_LOG_RETENTION_DAYS = 183
    assert eu_log_retention(None) == []

    settings.LFR_EU_AI_ACT_MODE = False
    settings.LFR_EU_LOG_RETENTION_DAYS = 30
    assert eu_log_retention(None) == []


def test_the_audit_trail_may_not_be_pruned_sooner_than_the_eu_period(settings):
    # The database prunes the audit log on its own by LFR_AUDIT_RETENTION_DAYS.
    settings.LFR_EU_AI_ACT_MODE = True
    settings.LFR_AUDIT_RETENTION = timedelta(days=90)
    assert [e.id for e in eu_log_retention(None)] == ["lfr_portal.E041"]
    settings.LFR_AUDIT_RETENTION = timedelta(days=183)
    assert eu_log_retention(None) == []


def test_the_periods_a_policy_is_checked_against_are_the_ones_pruning_applies(settings):
    settings.LFR_WEBHOOK_DELIVERY_RETENTION = timedelta(days=31)
    settings.LFR_AUDIT_RETENTION = timedelta(days=400)
    settings.LFR_EU_AI_ACT_MODE = False
    periods = periods_in_force()
    assert periods[RetentionCategory.WEBHOOK_DELIVERIES][1] == 31
    settings.LFR_EU_AI_ACT_MODE = True
    periods = periods_in_force()
    assert periods[RetentionCategory.WEBHOOK_DELIVERIES][1] == 183
    assert periods[RetentionCategory.AUDIT_ROWS][1] == 400
