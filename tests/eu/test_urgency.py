"""EU AI Act mode: which urgent deployments lapse when their window passes, the stop the
system makes, and retention's run as the backstop for the deletion. (The whole path on a
real worker, with a real recognition job, is in test_worker_urgency.py.)"""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.models import Alert, AuditEvent, DeletionRecord, Deployment, DeploymentStatus
from lfr_portal.selectors.eu_mode import lapsed_urgent_deployment_ids
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services import eu_mode, retention
from lfr_portal.services.eu_urgency import deployment_eu_urgent_enforce, deployment_eu_urgent_lapse
from lfr_portal.tasks import eu_enforce_urgency
from tests import builders
from tests.factories import AlertFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eu_mode(settings):
    settings.LFR_EU_AI_ACT_MODE = True


def live_urgent(operator, *, hours_ago):
    deployment = builders.ready_to_go_live(
        operator=operator, eu_urgency=True, eu_urgency_reason="Imminent threat to life."
    )
    live = lifecycle.deployment_start(actor=operator, deployment=deployment)
    AlertFactory(deployment=live, camera=live.cameras.first(), entry=live.watchlist.entries.first())
    Deployment.objects.filter(pk=live.pk).update(
        went_live_at=timezone.now() - timedelta(hours=hours_ago)
    )
    live.refresh_from_db()
    return live


def test_only_urgent_deployments_past_the_window_without_a_granted_decision_lapse(
    operator, ao, settings
):
    inside = live_urgent(operator, hours_ago=23)
    past = live_urgent(operator, hours_ago=25)
    assert lapsed_urgent_deployment_ids() == [past.pk]
    assert deployment_eu_urgent_lapse(deployment_id=inside.pk) is False

    settings.LFR_EU_URGENT_AUTHORISATION_WINDOW = timedelta(hours=12)
    assert lapsed_urgent_deployment_ids() == [inside.pk, past.pk]

    settings.LFR_EU_AI_ACT_MODE = False
    assert lapsed_urgent_deployment_ids() == []
    assert deployment_eu_urgent_lapse(deployment_id=past.pk) is False
    assert Deployment.objects.get(pk=past.pk).status == DeploymentStatus.LIVE


def test_a_granted_decision_keeps_it_running_past_the_window(operator, ao):
    live = live_urgent(operator, hours_ago=25)
    eu_mode.deployment_eu_request_record(
        actor=ao,
        deployment=live,
        requested_at=timezone.now() - timedelta(hours=24, minutes=30),
        method="electronic",
        reference="REQ/1",
    )
    assert lapsed_urgent_deployment_ids() == [live.pk]  # a request alone is not enough
    eu_mode.deployment_independent_decision(
        actor=ao,
        deployment=live,
        decision="granted",
        reference="JUD/1",
        authority="Court of Appeal of Milan",
        authority_kind="judicial",
        decided_at=timezone.now() - timedelta(hours=2),
    )
    assert lapsed_urgent_deployment_ids() == []
    assert eu_enforce_urgency() == []
    assert Deployment.objects.get(pk=live.pk).status == DeploymentStatus.LIVE
    assert Alert.objects.filter(deployment=live).count() == 1


def test_the_stop_is_the_systems_audited_and_done_once(operator):
    live = live_urgent(operator, hours_ago=25)
    done = deployment_eu_urgent_enforce(deployment_id=live.pk)
    assert done["deployment_data"] == 1
    live.refresh_from_db()
    assert live.status == DeploymentStatus.CANCELLED and live.stopped_early
    assert live.ended_by is None
    event = AuditEvent.objects.get(action="deployment.eu_urgency_lapsed")
    assert event.actor_username == "system" and "urgency window" in event.reason
    assert event.changes["request_recorded"] is False
    assert deployment_eu_urgent_lapse(deployment_id=live.pk) is False
    assert AuditEvent.objects.filter(action="deployment.eu_urgency_lapsed").count() == 1


def test_retention_deletes_what_a_lapsed_deployment_left_if_the_task_died(operator):
    """An urgent deployment that ended before its window passed, with no decision, has
    its outputs deleted once the window passes, by the periodic retention run."""
    live = live_urgent(operator, hours_ago=2)
    lifecycle.deployment_stop(actor=operator, deployment=live, reason="Event over")
    assert retention.retention_apply()["deployment_data"] == 0
    Deployment.objects.filter(pk=live.pk).update(went_live_at=timezone.now() - timedelta(hours=25))
    assert retention.retention_apply()["deployment_data"] == 1
    assert not Alert.objects.filter(deployment=live).exists()
    record = DeletionRecord.objects.get(deployment=live, category="deployment_data")
    assert "urgent use without a granted authorisation" in record.rule


def test_beat_runs_the_enforcement_every_minute():
    from lfr_portal.celery import app

    entry = app.conf.beat_schedule["eu-enforce-urgency"]
    assert entry["task"] == eu_enforce_urgency.name == "lfr_portal.eu_enforce_urgency"
    assert entry["schedule"] == 60.0
