"""Redis crashes while a deployment is live: the job carries on, the web app keeps answering,
and nothing is lost.

A private Redis (no persistence) is the broker, the result backend and the cache of a real
worker, beat and gunicorn; it is SIGKILLed part-way through the video, so every queued and
unacknowledged message goes with it, and started again on the same port.
"""

import time
from pathlib import Path

import pytest

from lfr_portal.models import Alert, CameraGap, CameraState, DeploymentCamera
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services.audit import audit_verify_database
from tests import builders
from tests.faults.progress import FrameCounter
from tests.faults.servers import RedisServer
from tests.faults.web import SignedIn, public_get
from tests.matcher.conftest import watchlist_references
from tests.processes import celery_beat, celery_worker, wait_for, web_server

pytestmark = [pytest.mark.models, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

JOB_ENV = {
    "LFR_RECOGNITION_CHUNK_FRAMES": "12",
    # A hand-over to a fresh task every 2 s, so the outage is sure to meet some.
    "LFR_RECOGNITION_TASK_SECONDS": "2",
    "LFR_RECOGNITION_STALE_SECONDS": "4",
    "LFR_OPENCV_THREADS": "1",
}
OUTAGE_SECONDS = 6
# Generous bounds, for a machine shared with other test runs; the measured figures print.
RESUME_BOUND_SECONDS = 40
ANSWER_BOUND_SECONDS = 5


def booking(deployment_or_pk):
    return DeploymentCamera.objects.get(deployment=deployment_or_pk)


def test_a_redis_crash_while_live_loses_nothing_and_the_web_keeps_answering(
    operator, video_set, tmp_path
):
    out, truth = video_set
    video = truth["videos"][0]
    source = str(out / Path(video["file"]).name) + "?realtime=1"
    deployment, labels = builders.live_with_real_watchlist(
        operator, source, watchlist_references(truth), start=False
    )
    # Started during the outage: its job cannot be sent, and the watchdog must start it.
    # Its camera's name never resolves, so that job only waits, reconnecting.
    second = builders.ready_to_go_live(operator=operator)
    counter = FrameCounter(booking(deployment).pk)

    redis = RedisServer(tmp_path / "redis")
    redis.start()
    env = {
        **JOB_ENV,
        "CELERY_BROKER_URL": redis.url(0),
        "CELERY_RESULT_BACKEND": redis.url(1),
        "LFR_CACHE_URL": redis.url(2),
        "LFR_VAR_DIR": str(tmp_path / "var"),
    }
    counter.start()
    try:
        with (
            celery_worker(tmp_path / "worker", concurrency=2, **env) as worker,
            celery_beat(tmp_path / "beat", **env) as beat,
            web_server(tmp_path / "web", **env) as web,
        ):
            as_operator = SignedIn(operator, web.url)
            started = as_operator.post(f"/api/deployments/{deployment.public_id}/start/")
            assert started.status == 200, started
            feed = f"/deployments/{deployment.public_id}/operate/feed.json"
            assert wait_for(lambda: booking(deployment).chunk_index >= 2, timeout=90), (
                worker.log_text_so_far()
            )

            redis.crash()
            crashed = time.monotonic()
            answers = []
            second_start = None
            while time.monotonic() - crashed < OUTAGE_SECONDS:
                answers += [
                    public_get(web.url, "/transparency/"),
                    public_get(web.url, "/healthz/"),
                    as_operator.get(feed),
                ]
                if second_start is None:
                    second_start = as_operator.post(f"/api/deployments/{second.public_id}/start/")
                time.sleep(0.3)
            redis.start()
            back = time.monotonic()

            # The job whose start message was never sent: the watchdog starts it.
            assert wait_for(
                lambda: booking(second).job_heartbeat_at is not None, timeout=RESUME_BOUND_SECONDS
            ), worker.log_text_so_far() + beat.log_text_so_far()
            second_resumed = time.monotonic() - back
            lifecycle.deployment_stop(actor=operator, deployment=second, reason="fault test")

            assert wait_for(
                lambda: booking(deployment).state == CameraState.STOPPED, timeout=120
            ), worker.log_text_so_far()
            assert wait_for(lambda: booking(second).job_token == "", timeout=30)
            answers.append(public_get(web.url, "/transparency/"))
            worker_alive = worker.poll() is None
        worker_log = worker.log_text
    finally:
        counter.stop()
        redis.stop()

    # The web app answered throughout, from the database, and a committed start was a 200.
    assert second_start.status == 200, second_start
    for answer in answers:
        assert answer.status == 200, answer
        assert answer.seconds < ANSWER_BOUND_SECONDS, answer
    # The worker waited for its broker instead of giving up.
    assert worker_alive, worker_log
    assert "Unrecoverable error" not in worker_log

    # Every frame counted exactly once (analysed, or skipped while the job could not keep
    # up, as a live camera does not wait), every watchlisted person alerted exactly once.
    done = booking(deployment)
    assert done.frames_processed + done.frames_skipped == video["frames"], worker_log
    assert done.state == CameraState.STOPPED and done.state_detail == "The video source ended."
    assert not CameraGap.objects.filter(booking=done).exists()
    alerts = Alert.objects.filter(deployment=deployment)
    expected = sorted(item["identity"] for item in truth["watchlist"] if item["in_video"])
    assert sorted(labels[a.entry_id] for a in alerts) == expected, worker_log
    ok, message = audit_verify_database()
    assert ok, message

    stall = counter.longest_stall(after=crashed, until_frames=video["frames"])
    print(
        f"\nRedis down {back - crashed:.1f} s: the job processed "
        f"{counter.frames_between(crashed, back)} frames meanwhile; its longest pause "
        f"{stall:.1f} s; "
        f"the deployment started during the outage got its job {second_resumed:.1f} s "
        f"after Redis came back; slowest web answer during the outage "
        f"{max(a.seconds for a in answers):.2f} s"
    )
    assert stall < RESUME_BOUND_SECONDS
