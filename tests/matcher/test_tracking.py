import numpy as np
import pytest

from matcher.engines.base import Face
from matcher.tracking import FaceTracker, iou_matrix


def face_at(x, y, size=60.0):
    return Face(box=(float(x), float(y), size, size), landmarks=np.zeros((5, 2)), score=0.9)


def walk(tracker, frames, *, start_x=0, step=6, y=100, size=60.0, growth=0.0):
    """One face walking right; returns the frames at which the tracker asked for a vector."""
    embedded, track_ids = [], set()
    for frame in range(frames):
        (tracked,) = tracker.update(
            frame, [face_at(start_x + step * frame, y, size + growth * frame)]
        )
        track_ids.add(tracked.track.track_id)
        if tracked.embed:
            embedded.append(frame)
    return embedded, track_ids


def test_a_person_walking_past_is_one_track_embedded_a_few_times():
    tracker = FaceTracker(reembed_every=10, max_embeddings=5)
    embedded, track_ids = walk(tracker, 60)
    assert len(track_ids) == 1
    assert embedded == [0, 10, 20, 30, 40]  # first sight, then every 10 frames, at most 5


def test_a_face_that_grows_is_embedded_again_sooner():
    tracker = FaceTracker(reembed_every=100, growth_to_reembed=1.3, max_embeddings=10)
    embedded, _ = walk(tracker, 30, size=40.0, growth=2.0)
    # 40 px at frame 0, then each time it is 1.3x the last embedded size:
    # 52 px at frame 6, 68 px (>= 67.6) at frame 14, 90 px (>= 88.4) at frame 25.
    assert embedded == [0, 6, 14, 25]


def test_a_face_too_small_to_embed_waits_until_it_is_big_enough():
    tracker = FaceTracker(min_embed_size=24, reembed_every=100)
    embedded, track_ids = walk(tracker, 12, size=16.0, growth=1.0)
    assert len(track_ids) == 1
    assert embedded == [8]  # 16 + 8 = 24 px


def test_a_matched_track_alerts_once_and_is_not_embedded_again():
    tracker = FaceTracker(reembed_every=5)
    alerts = 0
    embedded = []
    for frame in range(40):
        (tracked,) = tracker.update(frame, [face_at(5 * frame, 50)])
        if tracked.embed:
            embedded.append(frame)
            # This person is on the watchlist: every embedding matches.
            alerts += tracker.record_match(tracked.track)
    assert alerts == 1
    assert embedded == [0]


def test_two_people_crossing_keep_their_own_tracks():
    tracker = FaceTracker()
    ids_left_walker, ids_right_walker = set(), set()
    for frame in range(50):
        left_walker = face_at(10 + 8 * frame, 100)  # walking right, higher in the frame
        right_walker = face_at(410 - 8 * frame, 180)  # walking left, lower
        tracked = tracker.update(frame, [left_walker, right_walker])
        ids_left_walker.add(tracked[0].track.track_id)
        ids_right_walker.add(tracked[1].track.track_id)
    assert len(ids_left_walker) == 1 and len(ids_right_walker) == 1
    assert ids_left_walker != ids_right_walker


def test_a_fast_face_at_a_low_frame_rate_is_followed_by_centre_distance():
    tracker = FaceTracker()
    # 50 px per frame for a 60 px face: boxes barely overlap (IoU < 0.3).
    assert iou_matrix(np.array([[0, 0, 60, 60]]), np.array([[50, 0, 60, 60]]))[0, 0] < 0.3
    _, track_ids = walk(tracker, 10, step=50)
    assert len(track_ids) == 1


def test_a_face_gone_too_long_comes_back_as_a_new_track():
    tracker = FaceTracker(max_missed_frames=5)
    (first,) = tracker.update(0, [face_at(100, 100)])
    (after_short_gap,) = tracker.update(4, [face_at(100, 100)])
    assert after_short_gap.track is first.track
    (after_long_gap,) = tracker.update(20, [face_at(100, 100)])
    assert after_long_gap.track is not first.track
    assert after_long_gap.embed
    assert [track.track_id for track in tracker.active_tracks] == [after_long_gap.track.track_id]


def test_a_jump_to_a_far_place_or_size_is_a_different_person():
    tracker = FaceTracker()
    (first,) = tracker.update(0, [face_at(0, 0, size=60)])
    (far,) = tracker.update(1, [face_at(400, 300, size=60)])
    (resized,) = tracker.update(2, [face_at(400, 300, size=200)])
    assert len({first.track.track_id, far.track.track_id, resized.track.track_id}) == 3


def test_iou_matrix():
    boxes = np.array([[0, 0, 10, 10], [5, 0, 10, 10], [100, 100, 5, 5]])
    overlaps = iou_matrix(boxes, boxes)
    assert overlaps[0, 0] == pytest.approx(1.0)
    assert overlaps[0, 1] == pytest.approx(50 / 150)
    assert overlaps[0, 2] == 0.0
    assert overlaps.shape == (3, 3)
