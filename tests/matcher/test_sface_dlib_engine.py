"""The optional fused engine: SFace and dlib's ResNet, one vector whose dot product is
the weighted mean of the two cosine similarities."""

import shutil

import numpy as np
import pytest

from lfr_portal.engines import ENGINE_PROFILES
from matcher.engines import ENGINE_NAMES, ModelIntegrityError, engine_class
from matcher.engines.base import l2_normalise
from matcher.engines.sface_dlib import (
    DESCRIPTOR_FILE,
    DLIB_MODEL_SHA256,
    SHAPE_FILE,
    SFaceDlibEngine,
    bundled_dlib_model_path,
    fuse,
)
from tests.matcher.conftest import read_image

models = pytest.mark.models


@pytest.fixture(scope="module")
def fused(sface):
    return SFaceDlibEngine(sface=sface)


def largest(faces):
    return max(faces, key=lambda face: face.box[2] * face.box[3])


def test_the_fused_score_is_the_weighted_mean_of_the_two_scores():
    rng = np.random.default_rng(7)
    a_sface, b_sface = l2_normalise(rng.normal(size=(2, 128)))
    a_dlib, b_dlib = l2_normalise(rng.normal(size=(2, 128)))
    weight = 0.3
    left = fuse(a_sface[None], a_dlib[None], weight)[0]
    right = fuse(b_sface[None], b_dlib[None], weight)[0]
    assert left.shape == (256,) and np.linalg.norm(left) == pytest.approx(1.0, abs=1e-6)
    expected = weight * (a_sface @ b_sface) + (1 - weight) * (a_dlib @ b_dlib)
    assert float(left @ right) == pytest.approx(float(expected), abs=1e-6)


def test_the_engine_is_known_by_name_with_a_governance_profile():
    assert "sface-dlib" in ENGINE_NAMES
    engine = engine_class("sface-dlib")
    assert engine is SFaceDlibEngine and engine.dim == 256
    profile = ENGINE_PROFILES["sface-dlib"]
    assert float(profile.default_threshold) == engine.default_threshold
    assert float(profile.floor) == engine.floor
    assert 0 < engine.floor <= engine.default_threshold < 1


@models
def test_the_installed_dlib_models_match_the_pinned_digests():
    from matcher.engines.base import sha256_of

    for filename in (SHAPE_FILE, DESCRIPTOR_FILE):
        assert sha256_of(bundled_dlib_model_path(filename)) == DLIB_MODEL_SHA256[filename]


@models
def test_a_tampered_dlib_model_is_refused_before_loading(tmp_path, sface):
    copy = tmp_path / SHAPE_FILE
    shutil.copyfile(bundled_dlib_model_path(SHAPE_FILE), copy)
    SFaceDlibEngine(shape_path=copy, sface=sface)  # an exact copy is the same model

    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        SFaceDlibEngine(shape_path=copy, sface=sface)


@models
def test_same_person_scores_above_different_people_on_bundled_faces(fused, sface, faces_root):
    att = faces_root / "att_faces"
    photos = {
        "s31a": att / "s31/1.jpg",
        "s31b": att / "s31/6.jpg",
        "s9": att / "s9/6.jpg",
        "s19": att / "s19/4.jpg",
    }
    probes, references, sface_probes, sface_references, dlib_vectors = {}, {}, {}, {}, {}
    for key, path in photos.items():
        image = read_image(path)
        face = largest(fused.detect(image))
        probes[key] = fused.embed(image, face)
        references[key] = fused.embed_references(image, [face])[0]
        sface_probes[key] = sface.embed(image, face)
        sface_references[key] = sface.embed_references(image, [face])[0]
        dlib_vectors[key] = fused.dlib_descriptors(image, [face])[0]

    for vector in [*probes.values(), *references.values()]:
        assert vector.dtype == np.float32 and vector.shape == (256,)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    # As the matcher scores: a stored reference against a live probe.
    genuine = float(references["s31a"] @ probes["s31b"])
    impostors = [
        float(references[a] @ probes[b])
        for a, b in [("s31a", "s9"), ("s31b", "s19"), ("s9", "s19")]
    ]
    assert genuine > fused.default_threshold > max(impostors)
    w = fused.sface_weight
    expected = w * float(sface_references["s31a"] @ sface_probes["s31b"]) + (1 - w) * float(
        dlib_vectors["s31a"] @ dlib_vectors["s31b"]
    )
    assert genuine == pytest.approx(expected, abs=1e-4)
    # The probe's SFace half is plain SFace; the reference's is SFace's reference.
    np.testing.assert_allclose(probes["s9"][:128], np.sqrt(w) * sface_probes["s9"], atol=1e-5)
    np.testing.assert_allclose(
        references["s9"][:128], np.sqrt(w) * sface_references["s9"], atol=1e-5
    )


@models
def test_embed_many_equals_one_at_a_time(fused, faces_root):
    image = read_image(faces_root / "att_faces/s9/6.jpg")
    face = largest(fused.detect(image))
    batch = fused.embed_many(image, [face, face])
    assert batch.shape == (2, 256)
    np.testing.assert_allclose(batch[0], fused.embed(image, face), atol=1e-5)
    assert fused.embed_many(image, []).shape == (0, 256)
