"""Tasks sent after commit: a broker that cannot be reached does not turn a change that
committed into an error, and sending never waits for a result backend."""

import logging

import pytest
from kombu.exceptions import OperationalError as BrokerUnreachable

from lfr_portal.celery import app
from lfr_portal.models import CameraState, DeploymentCamera, DeploymentStatus
from lfr_portal.services import deployment_lifecycle as lifecycle
from tests import builders

pytestmark = pytest.mark.django_db


def test_a_start_commits_when_the_broker_is_down_and_the_watchdog_can_find_the_camera(
    operator, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    deployment = builders.ready_to_go_live(operator=operator)
    sent = []

    def unreachable(name, **options):
        sent.append((name, options))
        raise BrokerUnreachable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(app, "send_task", unreachable)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        started = lifecycle.deployment_start(actor=operator, deployment=deployment)

    assert started.status == DeploymentStatus.LIVE
    booking = DeploymentCamera.objects.get(deployment=deployment)
    # What beat's watchdog restarts: a live camera still starting, with no heartbeat.
    assert booking.state == CameraState.STARTING and booking.job_heartbeat_at is None
    assert sent == [
        (
            "matcher.camera_run",
            {"args": [booking.pk], "queue": "recognition", "ignore_result": True},
        )
    ]
    assert "the Celery broker is unreachable" in caplog.text


def test_the_watchdog_restarts_a_camera_whose_start_was_never_sent(
    operator, monkeypatch, django_capture_on_commit_callbacks
):
    from matcher import tasks

    deployment = builders.ready_to_go_live(operator=operator)
    monkeypatch.setattr(app, "send_task", lambda name, **options: None)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.deployment_start(actor=operator, deployment=deployment)
    restarted = []
    monkeypatch.setattr(tasks.camera_run, "apply_async", lambda args: restarted.append(args[0]))
    tasks.recognition_watchdog()
    assert restarted == [DeploymentCamera.objects.get(deployment=deployment).pk]
