"""The InsightFace engine's wiring, with tiny ONNX models built here.

The models compute nothing useful: the detector reports bright patches as
faces, the recogniser pools pixels through a random projection. They have the
shapes InsightFace's model router classifies (an SCRFD detector with nine
outputs: scores, boxes and keypoints at strides 8, 16 and 32; a recogniser with
one 112x112 input and one output), so the test proves that the engine loads a
pack through InsightFace's loader, gives each model its role, and runs detect
and embed end to end.
"""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from matcher.engines import EngineError, create_engine
from matcher.engines import insightface as insightface_engine
from matcher.engines.insightface import InsightFaceEngine

STRIDES = (8, 16, 32)
ANCHORS = 2
EMBEDDING_DIM = 64
# Keypoint offsets from an anchor centre, in strides: eyes, nose, mouth corners.
KEYPOINT_OFFSETS = [-0.6, -0.5, 0.6, -0.5, 0.0, 0.1, -0.45, 0.6, 0.45, 0.6]


def _const(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def _shape(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.int64), name)


def build_detector(path, *, with_keypoints=True):
    """SCRFD-shaped: per stride, a max-pooled brightness drives the score."""
    nodes, inits = [], []
    outputs = {"score": [], "bbox": [], "kps": []}
    for stride in STRIDES:
        pooled, bright = f"pool{stride}", f"bright{stride}"
        nodes.append(
            helper.make_node(
                "MaxPool", ["input.1"], [pooled], kernel_shape=[stride] * 2, strides=[stride] * 2
            )
        )
        nodes.append(helper.make_node("ReduceMean", [pooled], [bright], axes=[1], keepdims=1))
        # Blob pixels are (v - 127.5) / 128: white is ~1, black ~-1.
        heads = [("score", 1, [20.0], [-10.0]), ("bbox", 4, [0.0], [3.0] * 4)]
        if with_keypoints:
            heads.append(("kps", 10, [0.0], KEYPOINT_OFFSETS))
        for head, width, weight, bias in heads:
            channels = ANCHORS * width
            conv, nhwc, flat = f"{head}{stride}_conv", f"{head}{stride}_nhwc", f"{head}_{stride}"
            inits.append(_const(f"{conv}_w", np.full((channels, 1, 1, 1), weight[0])))
            inits.append(_const(f"{conv}_b", np.tile(bias, ANCHORS)))
            inits.append(_shape(f"{conv}_shape", [-1, width]))
            nodes.append(helper.make_node("Conv", [bright, f"{conv}_w", f"{conv}_b"], [conv]))
            source = conv
            if head == "score":
                nodes.append(helper.make_node("Sigmoid", [conv], [f"{conv}_sig"]))
                source = f"{conv}_sig"
            nodes.append(helper.make_node("Transpose", [source], [nhwc], perm=[0, 2, 3, 1]))
            nodes.append(helper.make_node("Reshape", [nhwc, f"{conv}_shape"], [flat]))
            outputs[head].append(
                helper.make_tensor_value_info(flat, TensorProto.FLOAT, [f"n{stride}", width])
            )
    graph = helper.make_graph(
        nodes,
        "tiny_scrfd",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "height", "width"])],
        outputs["score"] + outputs["bbox"] + outputs["kps"],
        initializer=inits,
    )
    _save(graph, path)


def build_recogniser(path, *, seed=0):
    """ArcFace-shaped: [N, 3, 112, 112] in, [N, 64] out."""
    rng = np.random.default_rng(seed)
    nodes = [
        helper.make_node(
            "AveragePool", ["data"], ["pooled"], kernel_shape=[28, 28], strides=[28, 28]
        ),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "projection"], ["fc1"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_arcface",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, ["batch", 3, 112, 112])],
        [helper.make_tensor_value_info("fc1", TensorProto.FLOAT, ["batch", EMBEDDING_DIM])],
        initializer=[_const("projection", rng.normal(size=(48, EMBEDDING_DIM)))],
    )
    _save(graph, path)


def _save(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


@pytest.fixture
def pack(tmp_path):
    build_detector(tmp_path / "det_tiny.onnx")
    build_recogniser(tmp_path / "w_tiny.onnx")
    return tmp_path


def test_a_pack_loads_through_insightfaces_router_and_runs_end_to_end(pack):
    engine = InsightFaceEngine(pack)

    assert engine.detector_file == "det_tiny.onnx"
    assert engine.recogniser_file == "w_tiny.onnx"
    assert engine.dim == EMBEDDING_DIM
    assert engine.providers == ["CPUExecutionProvider"]

    image = np.zeros((320, 320, 3), np.uint8)
    image[100:160, 120:180] = 255
    faces = engine.detect(image)
    assert faces
    for face in faces:
        centre_x, centre_y = face.centre
        assert 80 <= centre_x <= 220 and 60 <= centre_y <= 200
        assert face.landmarks.shape == (5, 2) and face.landmarks.dtype == np.float32
        assert 0.5 <= face.score <= 1.0

    vectors = engine.embed_many(image, faces)
    assert vectors.shape == (len(faces), EMBEDDING_DIM) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    single = engine.embed(image, faces[0])
    np.testing.assert_allclose(single, vectors[0], atol=1e-5)

    assert engine.detect(np.zeros((320, 320, 3), np.uint8)) == []


def test_the_pack_directory_comes_from_the_setting(pack, settings):
    settings.LFR_INSIGHTFACE_MODEL_DIR = str(pack)
    engine = create_engine("insightface")
    assert engine.model_dir == pack


def test_an_unset_directory_names_the_setting(settings, monkeypatch):
    settings.LFR_INSIGHTFACE_MODEL_DIR = None
    monkeypatch.delenv("LFR_INSIGHTFACE_MODEL_DIR", raising=False)
    with pytest.raises(EngineError, match="LFR_INSIGHTFACE_MODEL_DIR"):
        create_engine("insightface")


def test_a_missing_directory_names_the_setting(tmp_path):
    with pytest.raises(EngineError, match="LFR_INSIGHTFACE_MODEL_DIR=.*not a directory"):
        InsightFaceEngine(tmp_path / "absent")


def test_an_empty_directory_names_both_missing_models(tmp_path):
    with pytest.raises(EngineError) as raised:
        InsightFaceEngine(tmp_path)
    message = str(raised.value)
    assert "LFR_INSIGHTFACE_MODEL_DIR" in message
    assert "detection model" in message and "recognition model" in message


def test_a_pack_without_a_recogniser_says_so(tmp_path):
    build_detector(tmp_path / "det_tiny.onnx")
    with pytest.raises(EngineError, match="missing a recognition model.*det_tiny.onnx"):
        InsightFaceEngine(tmp_path)


def test_a_pack_without_a_detector_says_so(tmp_path):
    build_recogniser(tmp_path / "w_tiny.onnx")
    with pytest.raises(EngineError, match="missing a detection model.*w_tiny.onnx"):
        InsightFaceEngine(tmp_path)


def test_a_detector_without_landmarks_is_refused(tmp_path):
    build_detector(tmp_path / "det_nokps.onnx", with_keypoints=False)
    build_recogniser(tmp_path / "w_tiny.onnx")
    with pytest.raises(EngineError, match="det_nokps.onnx gives no facial landmarks"):
        InsightFaceEngine(tmp_path)


def test_two_recognisers_are_ambiguous(pack):
    build_recogniser(pack / "w_other.onnx", seed=1)
    with pytest.raises(EngineError, match="more than one .*w_other.onnx, w_tiny.onnx"):
        InsightFaceEngine(pack)


def test_cuda_is_used_first_when_onnx_runtime_offers_it(monkeypatch):
    import onnxruntime

    monkeypatch.setattr(
        onnxruntime,
        "get_available_providers",
        lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"],
    )
    assert insightface_engine.onnx_providers() == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    assert insightface_engine.onnx_providers() == ["CPUExecutionProvider"]
