"""Monitoring a live deployment from adjudications: rates, the ceiling, suspension, resumption."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.models import (
    AccuracySuspension,
    AuditEvent,
    CameraState,
    Deployment,
    DeploymentCamera,
    DeploymentStatus,
    EntryStatus,
    OverdueAlertFlag,
)
from lfr_portal.selectors.accuracy import (
    CEILING_RULE,
    deployment_accuracy,
    overdue_alerts_for,
    suspended_deployments_for,
)
from lfr_portal.selectors.recognition import deployment_still_live
from lfr_portal.selectors.transparency import public_deployment_get
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services import deployments as dep
from lfr_portal.services.accuracy import alerts_flag_overdue
from lfr_portal.services.alerts import alert_adjudicate
from lfr_portal.tasks import enforce_windows, flag_overdue_alerts
from tests import builders
from tests.factories import AlertFactory

pytestmark = pytest.mark.django_db

S = DeploymentStatus


def live_with_faces(operator, faces, **kwargs):
    deployment = builders.live(operator, **kwargs)
    Deployment.objects.filter(pk=deployment.pk).update(faces_processed=faces)
    deployment.refresh_from_db()
    return deployment


def raise_alert(deployment, minutes_ago=1):
    return AlertFactory(
        deployment=deployment,
        camera=deployment.cameras.first(),
        entry=deployment.watchlist.entries.filter(status=EntryStatus.APPROVED).first(),
        captured_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def adjudicate(operator, alert, adjudication):
    outcome = {"confirmed": "arrest", "false_alert": "no_action", "unresolved": ""}[adjudication]
    return alert_adjudicate(actor=operator, alert=alert, adjudication=adjudication, outcome=outcome)


def add_faces(deployment, faces):
    Deployment.objects.filter(pk=deployment.pk).update(faces_processed=faces)
    deployment.refresh_from_db()


def test_rates_and_intervals_on_a_small_fixture(operator):
    deployment = live_with_faces(operator, 1000)
    for adjudication in ["confirmed"] * 5 + ["false_alert"] * 2 + ["unresolved"]:
        adjudicate(operator, raise_alert(deployment), adjudication)
    raise_alert(deployment, minutes_ago=15)  # pending past the 10-minute due time
    raise_alert(deployment, minutes_ago=2)  # pending, not yet due

    result = deployment_accuracy(deployment)

    assert (result.faces_processed, result.alerts) == (1000, 10)
    assert (result.confirmed, result.false_alerts, result.unresolved) == (5, 2, 1)
    assert (result.pending, result.overdue, result.adjudication_due_minutes) == (2, 1, 10)
    # 2 in 1,000 faces: Wilson (0.0005486, 0.0072628), worked in test_stats.
    assert result.false_per_face.rate == 0.002
    assert result.false_per_face.low == pytest.approx(0.0005486, abs=1e-7)
    assert result.false_per_face.high == pytest.approx(0.0072628, abs=1e-7)
    # Per alert whose truth is known: 2 of 7 (5 confirmed + 2 false). By hand:
    # centre (2/7 + 0.274390) / 1.548780 = 0.361643, half 0.279425 -> (0.08222, 0.64107).
    assert (result.false_per_alert.count, result.false_per_alert.total) == (2, 7)
    assert result.false_per_alert.low == pytest.approx(0.08222, abs=1e-5)
    assert result.false_per_alert.high == pytest.approx(0.64107, abs=1e-5)
    assert result.ceiling == Decimal("0.001") and result.ceiling_words == "1 in 1,000 faces"
    assert not result.exceeded and not result.suspended
    assert result.rule == CEILING_RULE
    assert "2 awaiting adjudication (1 of them for more than 10 minutes)" in result.sentence
    assert "2 in 1,000 faces (0.2%; 95% CI 0.055% to 0.73%)" in result.sentence


def test_adjudications_past_the_ceiling_suspend_the_deployment(
    operator, ao, planner, django_capture_on_commit_callbacks
):
    deployment = live_with_faces(operator, 1000)
    alerts = [raise_alert(deployment) for _ in range(4)]
    adjudicate(operator, alerts[0], "false_alert")
    adjudicate(operator, alerts[1], "false_alert")
    assert Deployment.objects.get(pk=deployment.pk).status == S.LIVE  # 2 in 1,000: not shown
    DeploymentCamera.objects.filter(deployment=deployment).update(state=CameraState.RUNNING)

    with django_capture_on_commit_callbacks(execute=True):
        adjudicate(operator, alerts[2], "false_alert")  # 3 in 1,000: lower end 0.00102

    deployment.refresh_from_db()
    assert deployment.status == S.SUSPENDED
    assert not deployment_still_live(deployment.pk)  # so the recognition jobs stop
    camera = DeploymentCamera.objects.get(deployment=deployment)
    assert camera.state == CameraState.STOPPED and "Suspended" in camera.state_detail
    suspension = AccuracySuspension.objects.get(deployment=deployment)
    assert (suspension.faces_processed, suspension.false_alerts) == (1000, 3)
    assert suspension.rate_low == pytest.approx(0.0010208, abs=1e-7)
    event = AuditEvent.objects.get(action="deployment.suspend")
    assert event.actor_username == "system"
    assert event.object_public_id == str(deployment.public_id)
    assert "False-alert ceiling exceeded" in event.reason
    assert event.changes["false_alerts"] == 3

    # The authorising officer sees it on their dashboard and may resume it; the
    # operator sees it but may not; a planner's dashboard does not carry it.
    [seen] = suspended_deployments_for(ao)
    assert seen.public_id == str(deployment.public_id) and seen.can_resume
    assert seen.false_alerts == 3 and seen.ceiling_words == "1 in 1,000 faces"
    assert [s.can_resume for s in suspended_deployments_for(operator)] == [False]
    assert suspended_deployments_for(planner) == []
    # Adjudication goes on while suspended, without a second suspension.
    adjudicate(operator, alerts[3], "false_alert")
    assert AccuracySuspension.objects.filter(deployment=deployment).count() == 1


def test_only_an_authorising_officer_resumes_and_only_with_a_reason(
    operator, ao, monkeypatch, django_capture_on_commit_callbacks
):
    deployment = live_with_faces(operator, 100)
    adjudicate(operator, raise_alert(deployment), "false_alert")  # 1 in 100: lower end 0.00177
    deployment.refresh_from_db()
    assert deployment.status == S.SUSPENDED

    with pytest.raises(NotPermitted):
        lifecycle.deployment_resume(
            actor=operator, deployment=deployment, reason="Looks fine to me."
        )
    with pytest.raises(RuleViolation, match="needs the reason"):
        lifecycle.deployment_resume(actor=ao, deployment=deployment, reason="  ")

    from lfr_portal.celery import app

    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, **kw: sent.append((name, kw)))
    reason = "The false alert was one poor reference photo, since removed from use."
    with django_capture_on_commit_callbacks(execute=True):
        resumed = lifecycle.deployment_resume(actor=ao, deployment=deployment, reason=reason)

    assert resumed.status == S.LIVE and deployment_still_live(deployment.pk)
    booking = DeploymentCamera.objects.get(deployment=deployment)
    assert booking.state == CameraState.STARTING
    # The recognition jobs are sent again, as at the start.
    assert sent == [
        (
            "matcher.camera_run",
            {"args": [booking.pk], "queue": "recognition", "ignore_result": True},
        )
    ]
    suspension = AccuracySuspension.objects.get(deployment=deployment)
    assert (suspension.resumed_by, suspension.resume_reason) == (ao, reason)
    assert suspension.faces_at_resume == 100
    event = AuditEvent.objects.get(action="deployment.resume")
    assert (event.actor_username, event.reason) == (ao.username, reason)
    with pytest.raises(InvalidTransition, match="Only a suspended deployment"):
        lifecycle.deployment_resume(actor=ao, deployment=resumed, reason=reason)


def test_after_resumption_the_ceiling_judges_only_what_came_since(operator, ao):
    deployment = live_with_faces(operator, 100)
    before = raise_alert(deployment, minutes_ago=5)
    adjudicate(operator, raise_alert(deployment, minutes_ago=5), "false_alert")
    deployment.refresh_from_db()
    lifecycle.deployment_resume(actor=ao, deployment=deployment, reason="Reviewed; carry on.")

    window = deployment_accuracy(deployment).window
    assert (window.faces, window.false_alerts, window.exceeded) == (0, 0, False)
    # An alert raised before the resumption, judged false after it, belongs to the
    # period the officer already decided on.
    adjudicate(operator, before, "false_alert")
    assert Deployment.objects.get(pk=deployment.pk).status == S.LIVE
    add_faces(deployment, 150)  # 50 faces since the resumption
    adjudicate(operator, raise_alert(deployment, minutes_ago=0), "false_alert")
    deployment.refresh_from_db()
    assert deployment.status == S.SUSPENDED  # 1 in 50
    assert AccuracySuspension.objects.filter(deployment=deployment).count() == 2
    # The deployment's own totals still count everything.
    assert deployment_accuracy(deployment).false_alerts == 3


def test_no_faces_no_judgement(operator):
    deployment = builders.live(operator)
    adjudicate(operator, raise_alert(deployment), "false_alert")
    assert Deployment.objects.get(pk=deployment.pk).status == S.LIVE


def test_a_deployment_ceiling_may_only_be_stricter(operator, planner):
    draft = builders.complete_draft(created_by=planner)
    with pytest.raises(RuleViolation, match="only be stricter"):
        dep.deployment_update(actor=planner, deployment=draft, false_alert_ceiling="0.002")
    with pytest.raises(RuleViolation, match="above zero"):
        dep.deployment_update(actor=planner, deployment=draft, false_alert_ceiling="0")
    dep.deployment_update(actor=planner, deployment=draft, false_alert_ceiling="0.0005")

    deployment = live_with_faces(operator, 1000, false_alert_ceiling=Decimal("0.0005"))
    assert deployment_accuracy(deployment).ceiling_words == "1 in 2,000 faces"
    adjudicate(operator, raise_alert(deployment), "false_alert")
    adjudicate(operator, raise_alert(deployment), "false_alert")
    # 2 in 1,000 passes the stricter ceiling (lower end 0.00055 > 0.0005).
    assert Deployment.objects.get(pk=deployment.pk).status == S.SUSPENDED


def test_a_suspended_deployment_can_be_stopped_or_cancelled_and_completes_at_window_end(
    operator, ao
):
    deployment = live_with_faces(operator, 10)
    adjudicate(operator, raise_alert(deployment), "false_alert")
    stopped = lifecycle.deployment_stop(
        actor=operator, deployment=deployment, reason="Done for today."
    )
    assert stopped.status == S.COMPLETED and stopped.stopped_early

    other = live_with_faces(operator, 10)
    adjudicate(operator, raise_alert(other), "false_alert")
    cancelled = lifecycle.deployment_cancel(actor=ao, deployment=other, reason="Engine withdrawn.")
    assert cancelled.status == S.CANCELLED and cancelled.stopped_early

    third = live_with_faces(operator, 10)
    adjudicate(operator, raise_alert(third), "false_alert")
    Deployment.objects.filter(pk=third.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    third.refresh_from_db()
    with pytest.raises(InvalidTransition, match="window has ended"):
        lifecycle.deployment_resume(actor=ao, deployment=third, reason="Carry on.")
    enforce_windows()
    assert Deployment.objects.get(pk=third.pk).status == S.COMPLETED


def test_overdue_alerts_are_flagged_once_with_an_audit_row(operator, ao, settings):
    deployment = live_with_faces(operator, 1000)
    overdue = raise_alert(deployment, minutes_ago=11)
    recent = raise_alert(deployment, minutes_ago=5)
    done = raise_alert(deployment, minutes_ago=30)
    adjudicate(operator, done, "confirmed")

    assert list(overdue_alerts_for(operator)) == [overdue]
    assert flag_overdue_alerts() == 1  # the beat task
    assert alerts_flag_overdue() == 0  # once only
    flag = OverdueAlertFlag.objects.get()
    assert flag.alert == overdue
    event = AuditEvent.objects.get(action="alert.overdue")
    assert event.object_public_id == str(overdue.public_id)
    assert event.reason == "Not adjudicated 11 minutes after it was raised."
    assert event.deployment_public_id == str(deployment.public_id)

    settings.LFR_ADJUDICATION_DUE_MINUTES = 3
    assert alerts_flag_overdue() == 1
    assert OverdueAlertFlag.objects.filter(alert=recent).exists()
    adjudicate(operator, overdue, "unresolved")
    result = deployment_accuracy(deployment)
    # Counted, not dropped: one still overdue now, two ever flagged.
    assert (result.pending, result.overdue, result.flagged_overdue) == (1, 1, 2)


def test_a_suspended_deployment_stays_on_the_public_page(operator, client):
    deployment = live_with_faces(operator, 10)
    adjudicate(operator, raise_alert(deployment), "false_alert")
    row = public_deployment_get(deployment.public_id)
    assert (row.status, row.status_label) == ("suspended", "Suspended: too many false alerts")
    rows = client.get("/transparency/deployments.json").json()["deployments"]
    assert [r["status"] for r in rows if r["id"] == str(deployment.public_id)] == ["suspended"]
