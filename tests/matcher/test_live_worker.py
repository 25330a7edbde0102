"""Live recognition on a real Celery worker, from a file paced exactly like a live camera.

The worker is slower than the camera on purpose (it analyses at most a few frames a
second of a 25 fps source), so the test shows that frames it had no time for are
counted as skipped, never queued; that the analysis stays close to live; and that a
person who stays in view across several hand-ons raises one alert only, with the
camera kept by the process that opened it.
"""

import re

import cv2
import numpy as np
import pytest

from lfr_portal.models import Alert, CameraState, DeploymentCamera
from tests import builders
from tests.matcher.conftest import read_image
from tests.processes import celery_worker, wait_for

pytestmark = [pytest.mark.models, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FPS = 25
SECONDS = 12
WIDTH, HEIGHT = 1280, 720


def write_slow_walk(path, faces_root):
    """One watchlisted person crossing slowly, in view for the whole clip."""
    face = read_image(faces_root / "att_faces" / "s31" / "6.jpg")
    face = cv2.resize(face, (150, 182))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (WIDTH, HEIGHT))
    assert writer.isOpened()
    for index in range(FPS * SECONDS):
        frame = np.full((HEIGHT, WIDTH, 3), 95, dtype=np.uint8)
        x = 100 + int(index * 60 / FPS)
        frame[200 : 200 + face.shape[0], x : x + face.shape[1]] = face
        writer.write(frame)
    writer.release()


def test_a_paced_camera_skips_frames_keeps_up_and_alerts_once_across_hand_ons(
    operator, faces_root, tmp_path
):
    video = tmp_path / "walk.avi"
    write_slow_walk(video, faces_root)
    env = {
        "LFR_VAR_DIR": str(tmp_path / "var"),
        "LFR_OPENCV_THREADS": "1",
        # A hand-on every 2 s: the person stays in view across several of them.
        "LFR_RECOGNITION_TASK_SECONDS": "2",
        # Far fewer frames analysed than the camera delivers.
        "LFR_ANALYSIS_FPS": "4",
        "LFR_LOG_LEVEL": "INFO",
    }
    # The production shape: one process running camera jobs on a thread pool.
    with celery_worker(
        tmp_path / "worker", queues="recognition", pool="threads", concurrency=2, **env
    ) as worker:
        deployment, labels = builders.live_with_real_watchlist(
            operator,
            f"{video}?realtime=1",
            [("s31", faces_root / "att_faces" / "s31" / "1.jpg")],
        )
        booking = DeploymentCamera.objects.get(deployment=deployment)
        assert wait_for(
            lambda: DeploymentCamera.objects.get(pk=booking.pk).state == CameraState.STOPPED,
            timeout=SECONDS + 60,
        ), worker.log_text
    log = worker.log_text

    done = DeploymentCamera.objects.get(pk=booking.pk)
    total = FPS * SECONDS
    # Every frame the camera delivered was either analysed or counted as skipped.
    assert done.frames_read == pytest.approx(total, abs=3)
    assert done.frames_skipped > total / 2
    assert done.frames_processed + done.frames_skipped == pytest.approx(done.frames_read, abs=3)
    # It kept up with the camera: the last analysed frame was under a second old.
    assert done.health["lag_s_max"] < 1.0, done.health
    assert done.health["analysed_fps"] <= 4.5
    # Several hand-ons, all taken by the process that had the camera open.
    hand_ons = len(re.findall(r"Task matcher\.camera_run\[[^\]]+\] received", log))
    assert hand_ons >= 4, log
    assert log.count("opened its source") == 1, log
    # One person, in view throughout: exactly one alert, found quickly.
    alerts = list(Alert.objects.filter(deployment=deployment))
    assert [labels[alert.entry_id] for alert in alerts] == ["s31"]
    alert = alerts[0]
    assert alert.first_seen_at is not None
    assert (alert.created_at - alert.first_seen_at).total_seconds() < 1.5
    assert done.faces_processed == 1
