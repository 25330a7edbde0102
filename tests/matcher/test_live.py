"""The per-frame step of live recognition (matcher.live), on frames built from bundled faces."""

import cv2
import numpy as np
import pytest

from matcher.frame_reader import Frame
from matcher.live import AnalysisSettings, CameraAnalyser, HealthWindow, detection_scale
from matcher.reference_check import enrol_reference
from tests.matcher.conftest import read_image

pytestmark = pytest.mark.models

FPS = 25.0
WIDTH, HEIGHT = 1280, 720


def street(faces_root, placements):
    """A 720p frame with each (identity/file, x, y, height) face pasted on a grey street."""
    frame = np.full((HEIGHT, WIDTH, 3), 90, dtype=np.uint8)
    cv2.rectangle(frame, (0, 500), (WIDTH, HEIGHT), (60, 70, 60), -1)
    for name, x, y, height in placements:
        face = read_image(faces_root / "att_faces" / name)
        width = int(face.shape[1] * height / face.shape[0])
        frame[y : y + height, x : x + width] = cv2.resize(face, (width, height))
    return frame


def watchlist(sface, faces_root, references):
    vectors = []
    for name in references:
        result = enrol_reference(sface, (faces_root / "att_faces" / name).read_bytes())
        assert result.accepted, result.message
        vectors.append(result.embedding)
    return np.stack(vectors).astype(np.float32)


def run(analyser, frames, *, start=0):
    """Feed frames as a 25 fps camera; return every analysis (None where not due)."""
    results = []
    for offset, image in enumerate(frames):
        position = start + offset
        results.append(
            analyser.analyse(Frame(position, position / FPS, 1e9 + position / FPS, image))
        )
    return results


def alerts_of(results):
    return [alert for result in results if result for alert in result.alerts]


@pytest.fixture
def matrix(sface, faces_root):
    # Entry 7 is s31 (two photographs: the best over them counts), entry 9 is s9.
    return [7, 7, 9], watchlist(sface, faces_root, ["s31/1.jpg", "s31/2.jpg", "s9/1.jpg"])


def walking(faces_root, name, seconds, *, x0=200, speed=120, y=200, height=170):
    """Frames of one person walking right at `speed` px/s."""
    return [
        street(faces_root, [(name, int(x0 + speed * i / FPS), y, height)])
        for i in range(int(seconds * FPS))
    ]


def test_one_alert_for_a_person_in_view_and_a_new_one_when_they_come_back(
    sface, faces_root, matrix
):
    entry_ids, vectors = matrix
    analyser = CameraAnalyser(sface, entry_ids=entry_ids, matrix=vectors, threshold=0.5)
    empty = street(faces_root, [])
    first_pass = walking(faces_root, "s31/6.jpg", 4)
    # Gone for longer than the rearm time, then back: a second pass.
    away = [empty] * int((analyser.settings.rearm_seconds + 1) * FPS)
    second_pass = walking(faces_root, "s31/6.jpg", 2, x0=600)
    results = run(analyser, first_pass + away + second_pass)
    alerts = alerts_of(results)
    assert [alert.entry_id for alert in alerts] == [7, 7]
    first, second = alerts
    # Found quickly: within half a second of the person's first frame.
    assert first.stream_time - first.first_seen_stream_time <= 0.5
    assert first.first_seen_stream_time < 0.2
    assert second.first_seen_stream_time >= len(first_pass + away) / FPS - 0.1
    assert first.crop_jpeg.startswith(b"\xff\xd8") and first.score >= 0.5


def test_a_short_absence_is_the_same_pass(sface, faces_root, matrix):
    entry_ids, vectors = matrix
    analyser = CameraAnalyser(sface, entry_ids=entry_ids, matrix=vectors, threshold=0.5)
    empty = street(faces_root, [])
    hidden = [empty] * int(1.5 * FPS)  # longer than a track lives, shorter than rearm
    frames = walking(faces_root, "s9/6.jpg", 2) + hidden + walking(faces_root, "s9/6.jpg", 2)
    assert [alert.entry_id for alert in alerts_of(run(analyser, frames))] == [9]


def test_the_matched_people_handed_on_raise_no_second_alert(sface, faces_root, matrix):
    entry_ids, vectors = matrix
    frames = walking(faces_root, "s31/6.jpg", 4, speed=60)
    before = CameraAnalyser(sface, entry_ids=entry_ids, matrix=vectors, threshold=0.5)
    assert len(alerts_of(run(before, frames[:50]))) == 1
    state = before.export_matched()
    assert state and set(state[0]) == {"entry_id", "box", "unseen_for"}
    assert state[0]["entry_id"] == 7
    before.close()

    after = CameraAnalyser(sface, entry_ids=entry_ids, matrix=vectors, threshold=0.5)
    after.restore_matched(state)
    assert alerts_of(run(after, frames[55:], start=55)) == []

    # Without the handed-on state the same frames would alert again.
    fresh = CameraAnalyser(sface, entry_ids=entry_ids, matrix=vectors, threshold=0.5)
    assert len(alerts_of(run(fresh, frames[55:], start=55))) == 1


def test_nothing_is_handed_on_about_people_who_did_not_match(sface, faces_root, matrix):
    entry_ids, vectors = matrix
    analyser = CameraAnalyser(sface, entry_ids=entry_ids, matrix=vectors, threshold=0.5)
    results = run(analyser, walking(faces_root, "s19/4.jpg", 2))
    assert alerts_of(results) == []
    assert sum(result.new_people for result in results if result) == 1
    assert analyser.export_matched() == []


def test_a_passer_by_s_template_is_overwritten_when_the_track_ends(sface, faces_root, matrix):
    entry_ids, vectors = matrix
    analyser = CameraAnalyser(sface, entry_ids=entry_ids, matrix=vectors, threshold=0.5)
    run(analyser, walking(faces_root, "s19/4.jpg", 1))
    templates = [t.template for t in analyser.tracks.values() if t.template is not None]
    assert templates and all(np.any(template) for template in templates)
    empty = street(faces_root, [])
    run(analyser, [empty] * int(2 * FPS), start=25)
    assert analyser.tracks == {}
    assert all(not np.any(template) for template in templates)


def test_the_analysis_rate_caps_frames_analysed(sface, faces_root, matrix):
    entry_ids, vectors = matrix
    settings = AnalysisSettings(analysis_fps=5.0)
    analyser = CameraAnalyser(
        sface, entry_ids=entry_ids, matrix=vectors, threshold=0.5, settings=settings
    )
    results = run(analyser, [street(faces_root, [])] * 50)
    assert sum(1 for result in results if result is not None) == 10


def test_detection_runs_on_a_scaled_frame_but_embeds_at_full_resolution(sface, faces_root, matrix):
    # 40 px faces scale 720p down by half; 80 px faces by a quarter; never up.
    assert detection_scale((WIDTH, HEIGHT), 40) == pytest.approx(0.5)
    assert detection_scale((WIDTH, HEIGHT), 80) == pytest.approx(0.25)
    assert detection_scale((WIDTH, HEIGHT), 10) == 1.0
    entry_ids, vectors = matrix
    analyser = CameraAnalyser(
        sface,
        entry_ids=entry_ids,
        matrix=vectors,
        threshold=0.5,
        settings=AnalysisSettings(min_face_px=80),
    )
    # Found and matched with detection at a quarter of the size.
    alerts = alerts_of(run(analyser, walking(faces_root, "s9/6.jpg", 1)))
    assert [alert.entry_id for alert in alerts] == [9]
    assert alerts[0].score > 0.7


def test_health_figures_are_counts_and_timings(sface, faces_root, matrix):
    entry_ids, vectors = matrix
    analyser = CameraAnalyser(sface, entry_ids=entry_ids, matrix=vectors, threshold=0.5)
    window = HealthWindow()
    for result in run(analyser, walking(faces_root, "s31/6.jpg", 1)):
        if result:
            window.add(result, lag=0.05)
    window.read, window.skipped = 25, 12
    figures = window.as_dict(source_fps=25.0, detect_scale=analyser.scale, people_in_view=1)
    assert figures["skipped_share"] == pytest.approx(0.48)
    assert (
        figures["detect_ms_mean"] > 0
        and figures["detect_ms_p95"] >= figures["detect_ms_mean"] * 0.5
    )
    assert figures["lag_s"] == 0.05 and figures["detect_scale"] == 0.5
    assert all(isinstance(value, int | float) for value in figures.values())
