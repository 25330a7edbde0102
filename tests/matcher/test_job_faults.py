"""The camera job through faults, in this process with real models: a hand-on to another
worker process, a database that stops answering for a while, and one that stays away."""

from pathlib import Path

import pytest
from django.db import OperationalError

from lfr_portal.models import Alert
from lfr_portal.services import recognition as svc
from matcher import jobs, recognition_store
from matcher.jobs import JobOutcome, run_camera_job
from tests import builders
from tests.matcher.conftest import watchlist_references

pytestmark = [pytest.mark.models, pytest.mark.django_db(transaction=True)]

LOST = OperationalError("server closed the connection unexpectedly")


@pytest.fixture
def camera(operator, video_set, settings):
    settings.LFR_RECOGNITION_CHUNK_FRAMES = 12
    out, truth = video_set
    video = truth["videos"][0]
    deployment, labels = builders.live_with_real_watchlist(
        operator, str(out / Path(video["file"]).name), watchlist_references(truth)
    )
    expected = sorted(item["identity"] for item in truth["watchlist"] if item["in_video"])
    yield deployment, deployment.cameras.get(), labels, video["frames"], expected
    for booking_id in list(jobs._sessions):
        jobs._close_session(booking_id)


def counted_once(deployment, booking, labels, frames, expected):
    booking.refresh_from_db()
    # A file read at leisure hands over every frame: each is analysed or passed over by
    # the analysis rate, and counted once.
    assert booking.frames_processed + booking.frames_skipped == frames
    assert booking.frames_read == frames
    alerts = Alert.objects.filter(deployment=deployment)
    assert sorted(labels[a.entry_id] for a in alerts) == expected


def test_a_camera_handed_on_runs_on_another_process_and_a_stale_stream_is_reopened(camera):
    deployment, booking, labels, frames, expected = camera
    assert run_camera_job(booking.pk, time_budget=0.2) == JobOutcome.CONTINUE
    first_process = jobs._sessions.pop(booking.pk)  # this process's memory, set aside
    # Another process, with no session of its own, takes the camera rather than
    # answering busy.
    assert run_camera_job(booking.pk, time_budget=0.2) == JobOutcome.CONTINUE
    second_process = jobs._sessions.pop(booking.pk)
    second_process.reader.close()
    # Back on the first process, whose stream is where it handed on, not at the checkpoint.
    jobs._sessions[booking.pk] = first_process
    while (outcome := run_camera_job(booking.pk, time_budget=0.2)) == JobOutcome.CONTINUE:
        pass
    assert outcome == JobOutcome.ENDED
    assert first_process.reader.closed  # closed, not read from
    counted_once(deployment, booking, labels, frames, expected)


def test_a_database_outage_holds_the_chunk_in_hand_and_loses_nothing(camera, monkeypatch):
    deployment, booking, labels, frames, expected = camera
    monkeypatch.setattr(recognition_store, "DATABASE_BACKOFF", (0.01,))
    failures = {"still_live": [3, 4, 5], "commit": [2, 3]}
    calls = {"still_live": 0, "commit": 0}

    def failing(name, real):
        def call(*args, **kwargs):
            calls[name] += 1
            if calls[name] in failures[name]:
                raise LOST
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(
        recognition_store,
        "deployment_still_live",
        failing("still_live", recognition_store.deployment_still_live),
    )
    monkeypatch.setattr(
        svc, "recognition_chunk_commit", failing("commit", svc.recognition_chunk_commit)
    )
    assert run_camera_job(booking.pk, time_budget=600) == JobOutcome.ENDED
    assert calls["still_live"] > 5 and calls["commit"] > 3
    counted_once(deployment, booking, labels, frames, expected)


def test_a_database_away_too_long_fails_the_task_and_the_next_resumes_at_the_checkpoint(
    camera, monkeypatch
):
    deployment, booking, labels, frames, expected = camera
    monkeypatch.setattr(recognition_store, "DATABASE_WAIT_SECONDS", 0)
    real_commit = svc.recognition_chunk_commit
    commits = {"n": 0}

    def third_commit_fails(**kwargs):
        commits["n"] += 1
        if commits["n"] == 3:
            raise LOST
        return real_commit(**kwargs)

    monkeypatch.setattr(svc, "recognition_chunk_commit", third_commit_fails)
    with pytest.raises(OperationalError):
        run_camera_job(booking.pk, time_budget=600)
    # The frames read since the last commit were not counted, so the stream is dropped.
    assert booking.pk not in jobs._sessions
    booking.refresh_from_db()
    assert booking.chunk_index == 2
    assert run_camera_job(booking.pk, time_budget=600) == JobOutcome.ENDED
    counted_once(deployment, booking, labels, frames, expected)


def test_a_database_outage_at_the_hand_on_still_hands_the_camera_on(camera, monkeypatch):
    deployment, booking, labels, frames, expected = camera
    monkeypatch.setattr(recognition_store, "DATABASE_BACKOFF", (0.01,))
    real_release = svc.camera_job_release
    failed = []

    def release_fails_once(**kwargs):
        if not failed:
            failed.append(kwargs)
            raise LOST
        return real_release(**kwargs)

    monkeypatch.setattr(svc, "camera_job_release", release_fails_once)
    assert run_camera_job(booking.pk, time_budget=0.2) == JobOutcome.CONTINUE
    booking.refresh_from_db()
    assert failed and booking.job_token == ""
    assert run_camera_job(booking.pk, time_budget=600) == JobOutcome.ENDED
    counted_once(deployment, booking, labels, frames, expected)
