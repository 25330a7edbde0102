"""Faces of people who were not matched leave no trace anywhere.

A real Celery worker runs a deployment on a test video with known watchlisted
people and known passers-by. Afterwards the database holds exactly the expected
alerts, and no byte sequence of any non-matching face's embedding (float32 or
float64, raw, hex, base64 or as JSON numbers) or of its crop is in the database
dump, in Redis, in the worker's log, or in any file written under the working
or temporary folders during the test. Nor is it in what leaves the portal after an
alert: the webhook deliveries (their payloads and the exact bodies sent, with images
allowed by the setting, so a matched crop does go out) and the engagement officer's
phone (its JSON feed, its page and the images the page shows).
"""

import base64
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import redis
from django.conf import settings as django_settings

from lfr_portal.models import (
    Alert,
    CameraState,
    DeploymentCamera,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from lfr_portal.permissions import grant_field_officer
from lfr_portal.services.engagements import alert_send_for_engagement
from lfr_portal.services.webhooks import delivery_body
from matcher import pipeline
from matcher.engines.opencv_sface import OpenCVSFaceEngine
from tests import builders
from tests.matcher.conftest import run_command, watchlist_references
from tests.processes import ROOT, celery_worker, database_url_for_children, wait_for

pytestmark = [pytest.mark.models, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def worker_computations(video_path, entry_ids, watchlist_matrix, threshold, monkeypatch):
    """Every vector the worker computed on this video, and every face it could have cut out.

    The worker's analysis depends only on the frames and their times, so running the same
    analyser over the same file here computes the very same bytes: every embedding and
    every track template (none of which may be stored, matched or not), and the crop of
    every face a full-frame detection finds that does not match (only matches keep one).
    """
    from types import SimpleNamespace

    from matcher import live
    from matcher.jobs import analysis_settings_for

    cv2.setNumThreads(1)
    engine = OpenCVSFaceEngine()
    vectors = []
    real_embed, real_match = live.pipeline.embed_faces, live.pipeline.match

    def embed_faces(*args, **kwargs):
        result = real_embed(*args, **kwargs)
        vectors.extend(row.copy() for row in result)
        return result

    def match(templates, *args, **kwargs):
        vectors.extend(row.copy() for row in templates)
        return real_match(templates, *args, **kwargs)

    monkeypatch.setattr(live.pipeline, "embed_faces", embed_faces)
    monkeypatch.setattr(live.pipeline, "match", match)
    analyser = live.CameraAnalyser(
        engine,
        entry_ids=entry_ids,
        matrix=watchlist_matrix,
        threshold=threshold,
        settings=analysis_settings_for(SimpleNamespace(min_face_px=None)),
    )
    capture = cv2.VideoCapture(str(video_path))
    fps = capture.get(cv2.CAP_PROP_FPS)
    crops, matched, position = [], [], 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        result = analyser.analyse(
            SimpleNamespace(
                position=position, stream_time=position / fps, captured_at=0.0, image=frame.copy()
            )
        )
        matched += [round(alert.score, 4) for alert in result.alerts] if result else []
        position += 1
        faces = pipeline.detect_faces(engine, frame, min_size=pipeline.MIN_FACE_SIZE)
        if not faces:
            continue
        best = (real_embed(engine, frame, faces) @ watchlist_matrix.T).max(axis=1)
        for face, score in zip(faces, best, strict=True):
            if score < threshold:
                ok, jpeg = cv2.imencode(
                    ".jpg", pipeline.crop_face(frame, face), [cv2.IMWRITE_JPEG_QUALITY, 90]
                )
                crops.append(jpeg.tobytes())
    monkeypatch.undo()
    return vectors, crops, matched


def needles(embeddings, crops):
    """The byte patterns that would betray a discarded face, in every likely encoding."""
    found = set()
    for vector in embeddings:
        raw32 = vector[:16].astype(np.float32).tobytes()
        raw64 = vector[:8].astype(np.float64).tobytes()
        for raw in (raw32, raw64):
            found.add(raw)
            found.add(raw.hex().encode())
        found.add(base64.b64encode(vector.astype(np.float32).tobytes())[:40])
        found.add(json.dumps([float(x) for x in vector[:4]])[1:-1].encode())
        found.add(", ".join(repr(float(x)) for x in vector[:4]).encode())
    for jpeg in crops:
        middle = jpeg[len(jpeg) // 2 : len(jpeg) // 2 + 64]
        found.add(middle)
        found.add(middle.hex().encode())
        # Base64 from the middle, on a 3-byte boundary so it is the same text wherever the
        # whole crop is encoded: the first characters are the JPEG header every crop shares,
        # so they would also "find" a matched crop that is allowed to go out.
        start = (len(jpeg) // 2) // 3 * 4
        found.add(base64.b64encode(jpeg)[start : start + 40])
    return found


def redis_contents():
    blobs = []
    for url in {django_settings.CELERY_BROKER_URL, django_settings.CELERY_RESULT_BACKEND}:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter():
            kind = client.type(key).decode()
            if kind == "string":
                blobs.append(client.get(key))
            elif kind == "list":
                blobs.extend(client.lrange(key, 0, -1))
            elif kind == "hash":
                blobs.extend(v for pair in client.hgetall(key).items() for v in pair)
            elif kind == "set":
                blobs.extend(client.smembers(key))
            elif kind == "zset":
                blobs.extend(client.zrange(key, 0, -1))
            blobs.append(key)
    decoded = []
    for blob in blobs:
        # Celery envelopes carry their body base64-encoded: look inside as well.
        try:
            body = json.loads(blob).get("body")
            if body:
                decoded.append(base64.b64decode(body))
        except (ValueError, AttributeError, TypeError):
            pass
    return blobs + decoded


def files_written_since(start, roots):
    for root in roots:
        for path in Path(root).rglob("*"):
            try:
                if ".venv" in path.parts or ".git" in path.parts or not path.is_file():
                    continue
                if path.stat().st_mtime >= start:
                    yield path
            except OSError:
                continue


def webhook_contents():
    """Every delivery's payload and the exact body it is POSTed with; images decoded."""
    blobs = []
    for delivery in WebhookDelivery.objects.select_related("subscription"):
        blobs.append(json.dumps(delivery.payload).encode())
        blobs.append(delivery_body(delivery))
        if delivery.payload.get("crop"):
            blobs.append(base64.b64decode(delivery.payload["crop"]))
    return blobs


def phone_contents(client, officer):
    """What the engagement officer's phone receives: its page, the JSON feed, the images."""
    page = client.get("/field/engagements/")
    feed = client.get("/field/engagements/feed.json")
    assert page.status_code == 200 and feed.status_code == 200
    blobs = [page.content, feed.content]
    assert feed.json()["engagements"], "the alert sent for engagement should be on the phone"
    for card in feed.json()["engagements"]:
        for src in set(re.findall(r'<img src="([^"]+)"', card["html"])):
            image = client.get(src)
            assert image.status_code == 200, src
            blobs.append(b"".join(image) if image.streaming else image.content)
    return blobs


def test_non_matching_faces_never_reach_any_store(
    operator, field_officer, client, video_set, tmp_path, settings, monkeypatch
):
    started = time.time() - 1
    out, truth = video_set
    video = truth["videos"][0]
    video_path = out / Path(video["file"]).name
    media = tmp_path / "var" / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
    }
    settings.MEDIA_ROOT = media
    worker_env = {
        "LFR_VAR_DIR": str(tmp_path / "var"),
        "LFR_OPENCV_THREADS": "1",
        # The strictest case: images allowed in webhooks, so the matched crops go out.
        "LFR_WEBHOOK_INCLUDE_IMAGES": "1",
    }
    settings.LFR_WEBHOOK_INCLUDE_IMAGES = True
    WebhookSubscription.objects.create(
        name="Command and control",
        url="https://cad.example.test/hook",
        secret="no-trace-test",
        events=list(WebhookEvent.values),
        created_by=operator,
    )

    with celery_worker(tmp_path, queues="recognition", **worker_env) as worker:
        deployment, labels = builders.live_with_real_watchlist(
            operator, str(video_path), watchlist_references(truth)
        )
        booking = DeploymentCamera.objects.get(deployment=deployment)
        stopped = wait_for(
            lambda: DeploymentCamera.objects.filter(
                pk=booking.pk, state=CameraState.STOPPED
            ).exists(),
            timeout=240,
            interval=0.5,
        )
    assert stopped, worker.log_text

    # Exactly the expected alerts: one per watchlisted person who walked past.
    expected = sorted(item["identity"] for item in truth["watchlist"] if item["in_video"])
    alerts = list(Alert.objects.filter(deployment=deployment))
    assert sorted(labels[a.entry_id] for a in alerts) == expected
    booking.refresh_from_db()
    assert booking.frames_processed + booking.frames_skipped == video["frames"]

    # What the worker computed and threw away.
    from lfr_portal.selectors.recognition import watchlist_matrix

    # Stored under the engine's embedding name ("opencv-sface@2"), as the job reads them.
    entry_ids, matrix = watchlist_matrix(deployment.pk, OpenCVSFaceEngine().embedding_name, 128)
    embeddings, crops, matched = worker_computations(
        video_path, entry_ids, matrix, float(deployment.threshold), monkeypatch
    )
    assert len(embeddings) > 30, "the video should show many passers-by"
    assert len(crops) > 200
    # The same analysis here raised the alerts the worker raised, with the same scores to
    # the last digit stored: it computed the same vectors the worker did.
    assert sorted(matched) == sorted(float(alert.score) for alert in alerts)
    patterns = needles(embeddings, crops)

    # An alert goes to the street: the phone and command-and-control receive it.
    grant_field_officer(field_officer, deployment)
    alert_send_for_engagement(actor=operator, alert=alerts[0])
    client.force_login(field_officer)
    phone = phone_contents(client, field_officer)
    webhooks = webhook_contents()
    raised = WebhookDelivery.objects.filter(event=WebhookEvent.ALERT_RAISED)
    assert raised.count() == len(alerts) and all(d.payload.get("crop") for d in raised)
    assert WebhookDelivery.objects.filter(event=WebhookEvent.ALERT_SENT).count() == 1

    dump = run_command(["pg_dump", "--data-only", database_url_for_children()]).stdout
    assert len(dump) > 10_000
    haystacks = {
        "database dump": [dump],
        "redis": redis_contents(),
        "worker log": [worker.log_text.encode()],
        "webhook deliveries": webhooks,
        "engagement officer's phone": phone,
    }
    roots = [ROOT, tempfile.gettempdir(), tmp_path]
    written = [
        p for p in files_written_since(started, roots) if p.resolve() != video_path.resolve()
    ]
    assert any(p.suffix == ".jpg" for p in written), "alert crops should have been written"
    haystacks["files"] = list(read_files(written))

    for where, blobs in haystacks.items():
        assert first_leak(blobs, patterns) is None, f"a discarded face's data is in the {where}"

    # The search does see a leak when there is one: plant each kind and look again.
    vector, jpeg = embeddings[0], crops[0]
    for planted in (
        vector.astype(np.float32).tobytes(),
        vector.astype(np.float64).tobytes(),
        vector.astype(np.float32).tobytes().hex().encode(),
        json.dumps([float(x) for x in vector]).encode(),
        jpeg,
        json.dumps({"crop": base64.b64encode(jpeg).decode()}).encode(),
    ):
        assert first_leak([dump[:5000] + planted + dump[5000:]], patterns) is not None


def read_files(paths):
    for path in paths:
        # Other processes' temporary files may vanish between listing and reading.
        try:
            if path.stat().st_size < 200_000_000:
                yield path.read_bytes()
        except (FileNotFoundError, PermissionError):
            continue


def first_leak(blobs, patterns):
    for index, blob in enumerate(blobs):
        for pattern in patterns:
            if pattern in blob:
                return index, pattern
    return None


def test_embeddings_are_identical_across_processes(video_set):
    """The leak search relies on the worker computing the same bytes as the test."""
    out, truth = video_set
    video_path = out / Path(truth["videos"][0]["file"]).name
    script = (
        "import cv2, sys; cv2.setNumThreads(1)\n"
        "from matcher.engines.opencv_sface import OpenCVSFaceEngine\n"
        "e = OpenCVSFaceEngine(); c = cv2.VideoCapture(sys.argv[1])\n"
        "c.set(cv2.CAP_PROP_POS_FRAMES, 60); ok, f = c.read()\n"
        "faces = e.detect(f); sys.stdout.buffer.write(e.embed_many(f, faces).tobytes())\n"
    )
    child = run_command(
        [sys.executable, "-c", script, str(video_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout
    cv2.setNumThreads(1)
    engine = OpenCVSFaceEngine()
    capture = cv2.VideoCapture(str(video_path))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 60)
    ok, frame = capture.read()
    faces = engine.detect(frame)
    assert faces, "frame 60 should show faces"
    assert engine.embed_many(frame, faces).tobytes() == child
