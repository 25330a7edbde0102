import time

import cv2
import numpy as np
import pytest

from matcher.engines.base import Face, l2_normalise
from matcher.pipeline import (
    Match,
    crop_face,
    detect_and_embed,
    detect_faces,
    match,
    wipe,
)
from tests.matcher.conftest import read_image


def unit_rows(rng, rows, dim=128):
    return l2_normalise(rng.normal(size=(rows, dim)))


def brute_force(embeddings, watchlist, threshold):
    """The rule spelt out face by face, entry by entry, to check the vectorised one."""
    result = []
    for face_index, vector in enumerate(embeddings):
        scores = [float(np.dot(vector, entry)) for entry in watchlist]
        best = int(np.argmax(scores))
        if scores[best] >= threshold:
            result.append((face_index, best, scores[best]))
    return result


def test_match_returns_each_faces_best_entry_at_or_above_threshold():
    rng = np.random.default_rng(1)
    watchlist = unit_rows(rng, 50)
    faces = unit_rows(rng, 30)
    # Faces 3 and 17 are noisy views of entries 8 and 42.
    faces[3] = l2_normalise(watchlist[8] + 0.3 * rng.normal(size=128) / np.sqrt(128))
    faces[17] = l2_normalise(watchlist[42] + 0.5 * rng.normal(size=128) / np.sqrt(128))

    result = match(faces, watchlist, 0.5)

    assert [(m.face_index, m.entry_index) for m in result] == [(3, 8), (17, 42)]
    expected = brute_force(faces, watchlist, 0.5)
    assert [(m.face_index, m.entry_index) for m in result] == [(f, e) for f, e, _ in expected]
    for got, (_, _, score) in zip(result, expected, strict=True):
        assert got.score == pytest.approx(score, abs=1e-5)
        assert isinstance(got.face_index, int) and isinstance(got.score, float)


def test_match_agrees_with_brute_force_on_random_data():
    rng = np.random.default_rng(2)
    watchlist = unit_rows(rng, 200, dim=16)
    faces = unit_rows(rng, 100, dim=16)
    threshold = 0.6  # low-dimensional random vectors: some pass, most do not

    result = match(faces, watchlist, threshold)
    expected = brute_force(faces, watchlist, threshold)
    assert 0 < len(result) < len(faces)
    assert [tuple(m)[:2] for m in result] == [e[:2] for e in expected]


def test_a_score_equal_to_the_threshold_matches():
    watchlist = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    faces = np.array([[0.6, 0.8], [0.8, 0.6]], np.float32)
    assert match(faces, watchlist, 0.8) == [
        Match(0, 1, pytest.approx(0.8)),
        Match(1, 0, pytest.approx(0.8)),
    ]
    assert match(faces, watchlist, 0.8001) == []


def test_nothing_to_compare_gives_no_matches():
    rng = np.random.default_rng(3)
    assert match(np.empty((0, 128), np.float32), unit_rows(rng, 5), 0.5) == []
    assert match(unit_rows(rng, 5), np.empty((0, 128), np.float32), 0.5) == []


def test_match_refuses_mismatched_or_loosely_typed_input():
    rng = np.random.default_rng(4)
    with pytest.raises(ValueError, match="different engines"):
        match(unit_rows(rng, 2, 128), unit_rows(rng, 2, 512), 0.5)
    with pytest.raises(ValueError, match="float32"):
        match(unit_rows(rng, 2).astype(np.float64), unit_rows(rng, 2), 0.5)
    with pytest.raises(ValueError, match="2-D"):
        match(unit_rows(rng, 1)[0], unit_rows(rng, 2), 0.5)


def test_match_is_one_matrix_product_not_a_loop():
    rng = np.random.default_rng(5)
    watchlist = unit_rows(rng, 100_000)
    faces = unit_rows(rng, 64)
    match(faces[:1], watchlist[:10], 0.5)  # warm up BLAS

    started = time.perf_counter()
    result = match(faces, watchlist, 0.9)
    elapsed = time.perf_counter() - started
    assert result == []
    # 6.4 million comparisons: a Python loop over pairs takes minutes, a
    # matrix product well under a second even on a busy two-core machine.
    assert elapsed < 3.0


def test_match_keeps_no_reference_to_its_inputs():
    rng = np.random.default_rng(6)
    watchlist = unit_rows(rng, 4)
    faces = np.vstack([watchlist[2], unit_rows(rng, 3)]).astype(np.float32)
    result = match(faces, watchlist, 0.9)
    assert result == [Match(0, 2, pytest.approx(1.0))]
    # Plain ints and floats: nothing in the result views or copies a face's vector.
    assert all(type(value) in (int, float) for value in result[0])


def test_wipe_overwrites_in_place():
    embeddings = np.ones((3, 4), np.float32)
    crop = np.full((5, 5, 3), 200, np.uint8)
    wipe(embeddings, crop)
    assert not embeddings.any() and not crop.any()


def test_crop_face_keeps_a_margin_and_stays_inside_the_frame():
    frame = np.arange(100 * 200 * 3, dtype=np.uint32).reshape(100, 200, 3).astype(np.uint8)
    face = Face(box=(180.0, 10.0, 40.0, 40.0), landmarks=np.zeros((5, 2), np.float32), score=0.9)
    crop = crop_face(frame, face, margin=0.25)
    assert crop.shape == (60, 30, 3)  # rows 0..60, columns 170..200
    np.testing.assert_array_equal(crop, frame[0:60, 170:200])
    crop[:] = 0
    assert frame[0:60, 170:200].any()  # a copy, so wiping it leaves the frame alone


@pytest.mark.models
def test_detect_and_embed_on_a_frame_with_two_people(sface, faces_root):
    att = faces_root / "att_faces"
    # Two people enlarged from 92x112 to 276x336, a grey gap between them.
    left = cv2.resize(read_image(att / "s19/4.jpg"), (276, 336), interpolation=cv2.INTER_CUBIC)
    right = cv2.resize(read_image(att / "s31/6.jpg"), (276, 336), interpolation=cv2.INTER_CUBIC)
    frame = np.hstack([left, np.full((336, 148, 3), 90, np.uint8), right])

    faces, embeddings = detect_and_embed(sface, frame)
    assert len(faces) == 2
    assert embeddings.shape == (2, sface.dim) and embeddings.dtype == np.float32
    assert sorted(face.centre[0] < 350 for face in faces) == [False, True]
    # Cut the minimum size above both faces and nothing is left to embed.
    big = max(face.size for face in faces) + 1
    assert detect_faces(sface, frame, min_size=big) == []
    faces, embeddings = detect_and_embed(sface, frame, min_size=big)
    assert faces == [] and embeddings.shape == (0, sface.dim)
