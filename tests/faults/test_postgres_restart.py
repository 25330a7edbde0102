"""PostgreSQL restarts while a deployment is live: the job waits and resumes, the web app
says "temporarily unavailable" meanwhile and recovers by itself, and nothing is lost.

The scenario is built in the test database as usual, then copied into a private cluster
that a real worker, beat and gunicorn use; the cluster is stopped with `immediate` (a crash:
no checkpoint, recovery at the next start) part-way through the video and started again.
"""

import time
from pathlib import Path

import pytest
from django.db import connection

from lfr_portal.models import Alert, CameraGap, CameraState, DeploymentCamera
from lfr_portal.services.audit import audit_verify_database
from tests import builders
from tests.faults.progress import FrameCounter
from tests.faults.servers import PostgresCluster, RedisServer
from tests.faults.web import SignedIn, public_get
from tests.matcher.conftest import watchlist_references
from tests.processes import celery_beat, celery_worker, wait_for, web_server

pytestmark = [pytest.mark.models, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

JOB_ENV = {
    "LFR_RECOGNITION_CHUNK_FRAMES": "12",
    "LFR_RECOGNITION_TASK_SECONDS": "2",
    # Longer than the outage, as in production (30 s): the job holding its chunk resumes
    # by itself. (A watchdog that takes over first is correct too; the killed-worker
    # test in tests/matcher proves that path.)
    "LFR_RECOGNITION_STALE_SECONDS": "20",
    "LFR_OPENCV_THREADS": "1",
}
OUTAGE_SECONDS = 6
# Generous bounds, for a machine shared with other test runs; the measured figures print.
RESUME_BOUND_SECONDS = 40
ANSWER_BOUND_SECONDS = 8
UNAVAILABLE = "cannot reach its database"


def booking(deployment):
    return DeploymentCamera.objects.get(deployment=deployment)


def test_a_postgres_restart_while_live_loses_nothing_and_the_web_says_unavailable(
    operator, video_set, tmp_path
):
    out, truth = video_set
    video = truth["videos"][0]
    source = str(out / Path(video["file"]).name) + "?realtime=1"
    deployment, labels = builders.live_with_real_watchlist(
        operator, source, watchlist_references(truth), start=False
    )
    as_operator = SignedIn(operator)  # its session row is copied with the rest
    booking_id = booking(deployment).pk

    copy_started = time.monotonic()
    cluster = PostgresCluster()
    original = {key: connection.settings_dict[key] for key in ("HOST", "PORT", "NAME")}
    redis = RedisServer(tmp_path / "redis")
    counter = FrameCounter(booking_id)
    try:
        cluster.start()
        cluster.copy_database(connection.settings_dict, "lfr_faults")
        copy_seconds = time.monotonic() - copy_started
        # From here on this test, like the processes, uses the private cluster.
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(cluster.port), NAME="lfr_faults")
        redis.start()
        env = {
            **JOB_ENV,
            "DATABASE_URL": cluster.url("lfr_faults"),
            "CELERY_BROKER_URL": redis.url(0),
            "CELERY_RESULT_BACKEND": redis.url(1),
            "LFR_CACHE_URL": redis.url(2),
            "LFR_VAR_DIR": str(tmp_path / "var"),
        }
        counter.start()
        with (
            celery_worker(tmp_path / "worker", concurrency=2, **env) as worker,
            celery_beat(tmp_path / "beat", **env),
            # Persistent connections, so recovery needs the health check, not luck.
            web_server(tmp_path / "web", DATABASE_CONN_MAX_AGE="60", **env) as web,
        ):
            as_operator.base = web.url
            started = as_operator.post(f"/api/deployments/{deployment.public_id}/start/")
            assert started.status == 200, started
            feed = f"/deployments/{deployment.public_id}/operate/feed.json"
            operate = f"/deployments/{deployment.public_id}/operate/"
            # Each gunicorn worker holds a connection, and the public page is cached.
            for _ in range(4):
                assert as_operator.get(feed).status == 200
            assert public_get(web.url, "/transparency/").status == 200
            assert wait_for(lambda: booking(deployment).chunk_index >= 2, timeout=90), (
                worker.log_text_so_far()
            )

            cluster.stop("immediate")
            stopped = time.monotonic()
            public, unavailable = [], []
            while time.monotonic() - stopped < OUTAGE_SECONDS:
                public.append(public_get(web.url, "/transparency/"))
                unavailable += [
                    public_get(web.url, "/healthz/"),
                    as_operator.get(feed),
                    as_operator.get("/api/alerts/"),
                    as_operator.get(operate),
                ]
                time.sleep(0.3)
            cluster.start()
            back = time.monotonic()
            connection.close()

            assert wait_for(lambda: as_operator.get(feed).status == 200, timeout=30)
            web_recovered = time.monotonic() - back
            after = [as_operator.get(feed) for _ in range(4)]
            assert wait_for(
                lambda: booking(deployment).state == CameraState.STOPPED, timeout=120
            ), worker.log_text_so_far()
            worker_alive = worker.poll() is None
        counter.stop()
        worker_log = worker.log_text

        # The public page came from the cache; every page that needs the database said
        # so with a 503, quickly, and the web app came back without a restart.
        for answer in public:
            assert answer.status == 200 and answer.seconds < ANSWER_BOUND_SECONDS, answer
        for answer in unavailable:
            assert answer.status == 503, answer
            assert UNAVAILABLE in answer.body and answer.seconds < ANSWER_BOUND_SECONDS, answer
            assert "Traceback" not in answer.body
        for answer in unavailable[1:3]:
            assert answer.content_type == "application/json", answer
        assert unavailable[3].content_type.startswith("text/html"), unavailable[3]
        assert all(answer.status == 200 for answer in after), after
        assert worker_alive, worker_log

        # Every frame counted exactly once (analysed, or skipped while the job could not keep
        # up, as a live camera does not wait), every watchlisted person alerted exactly once.
        done = booking(deployment)
        assert done.frames_processed + done.frames_skipped == video["frames"], worker_log
        assert done.state == CameraState.STOPPED
        assert done.state_detail == "The video source ended."
        assert not CameraGap.objects.filter(booking=done).exists()
        alerts = Alert.objects.filter(deployment=deployment)
        expected = sorted(item["identity"] for item in truth["watchlist"] if item["in_video"])
        assert sorted(labels[a.entry_id] for a in alerts) == expected, worker_log
        ok, message = audit_verify_database()
        assert ok, message

        resumed = counter.first_progress_after(back)
        stall = counter.longest_stall(after=stopped, until_frames=video["frames"])
        print(
            f"\nscenario copied into the private cluster in {copy_seconds:.1f} s; PostgreSQL "
            f"down {back - stopped:.1f} s; the job committed again {resumed:.1f} s after it "
            f"was back (longest pause {stall:.1f} s); the web app answered 200 again after "
            f"{web_recovered:.1f} s; slowest 503 {max(a.seconds for a in unavailable):.2f} s"
        )
        assert resumed is not None and resumed < RESUME_BOUND_SECONDS
    finally:
        counter.stop()
        connection.close()
        connection.settings_dict.update(original)
        redis.stop()
        cluster.destroy()
