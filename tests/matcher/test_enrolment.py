"""Reference images are checked before they can be enrolled; the reasons are actionable."""

import cv2
import numpy as np
import pytest

from matcher.reference_check import enrol_reference

pytestmark = pytest.mark.models


def jpeg(image):
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return data.tobytes()


def enlarged(path, factor=3):
    """A bundled 92x112 photograph enlarged, as a custody photograph's face would be."""
    image = cv2.imread(str(path))
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


@pytest.fixture(scope="module")
def portrait(faces_root):
    return enlarged(faces_root / "att_faces" / "s9" / "6.jpg")


def test_a_good_photograph_enrols_with_a_unit_vector(sface, portrait):
    result = enrol_reference(sface, jpeg(portrait))
    assert result.accepted, result.message
    assert result.embedding.dtype == np.float32 and result.embedding.shape == (sface.dim,)
    assert abs(float(np.linalg.norm(result.embedding)) - 1.0) < 1e-4


def test_a_small_greyscale_photograph_enrols_as_it_is(sface, faces_root):
    data = (faces_root / "att_faces" / "s1" / "1.jpg").read_bytes()
    assert enrol_reference(sface, data).accepted


def test_not_an_image(sface):
    result = enrol_reference(sface, b"%PDF-1.7 not a photograph")
    assert not result.accepted and "not an image" in result.message


def test_no_face(sface):
    blank = np.full((400, 400, 3), 180, dtype=np.uint8)
    cv2.rectangle(blank, (50, 50), (350, 350), (40, 90, 160), -1)
    result = enrol_reference(sface, jpeg(blank))
    assert not result.accepted and "No face was found" in result.message


def test_two_faces(sface, portrait, faces_root):
    other = enlarged(faces_root / "att_faces" / "s19" / "4.jpg")
    height = 400
    left = cv2.resize(portrait, (int(portrait.shape[1] * height / portrait.shape[0]), height))
    right = cv2.resize(other, (int(other.shape[1] * height / other.shape[0]), height))
    result = enrol_reference(sface, jpeg(np.hstack([left, right])))
    assert not result.accepted and "shows 2 faces" in result.message


def test_too_small(sface, portrait):
    tiny = cv2.resize(portrait, (60, int(60 * portrait.shape[0] / portrait.shape[1])))
    result = enrol_reference(sface, jpeg(tiny))
    assert not result.accepted
    assert "too small" in result.message or "No face" in result.message


def test_too_blurred(sface, portrait):
    # The face is about 210 px wide; blur it to a fraction of its detail at 112 px.
    blurred = cv2.GaussianBlur(portrait, (0, 0), 10)
    result = enrol_reference(sface, jpeg(blurred))
    assert not result.accepted and "too blurred" in result.message
