"""An optional fused engine: YuNet finds faces, SFace and dlib's ResNet both embed them.

dlib's face descriptor (a ResNet-29 trained by Davis King, released under CC0 in the
`face_recognition_models` sdist; dlib itself from the `dlib-bin` wheel, Boost Software
Licence) makes different mistakes from SFace, so a weighted sum of the two cosine
similarities separates people better than either alone. The fusion stays inside the
Engine interface: the vector is sqrt(w)*unit(sface) followed by sqrt(1-w)*unit(dlib), so
one dot product of two such vectors is w*s_sface + (1-w)*s_dlib and the result is still a
unit vector.

dlib wants its own alignment (its 5-point shape predictor, run inside the YuNet box), so
each face is aligned twice: ArcFace template for SFace, dlib's chip for the ResNet.
Only the 5-point predictor and the ResNet are loaded; the package's 68-point predictor
carries iBUG 300-W's non-commercial terms and is never used.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np

from .base import Engine, EngineError, Face, l2_normalise, verify_sha256
from .opencv_sface import MODEL_SHA256 as SFACE_MODEL_SHA256
from .opencv_sface import OpenCVSFaceEngine
from .registry import SFACE_DLIB

SHAPE_FILE = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR_FILE = "dlib_face_recognition_resnet_model_v1.dat"
DLIB_MODEL_SHA256 = {
    SHAPE_FILE: "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    DESCRIPTOR_FILE: "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
}
# Every file the engine runs, which is what a recorded calibration names.
MODEL_SHA256 = {**SFACE_MODEL_SHA256, **DLIB_MODEL_SHA256}

# SFace's share of the fused score; chosen on calibration sets only (see the registry).
SFACE_WEIGHT = 0.5
DLIB_DIM = 128


def bundled_dlib_model_path(filename: str) -> Path:
    """The file inside the installed face_recognition_models package.

    Found with find_spec rather than importing the package: its __init__ imports
    pkg_resources, which a --no-deps install need not have.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise EngineError(
            "The sface-dlib engine needs the face_recognition_models package "
            "(pip install --no-deps face_recognition_models==0.3.0)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models" / filename


def _import_dlib() -> ModuleType:
    try:
        import dlib  # optional and heavy: loaded only when this engine is built
    except ImportError as error:
        raise EngineError(
            "The sface-dlib engine needs dlib (pip install --no-deps dlib-bin==20.0.1.post1)."
        ) from error
    return dlib


class SFaceDlibEngine(Engine):
    name = SFACE_DLIB.name
    label = SFACE_DLIB.label
    dim = OpenCVSFaceEngine.dim + DLIB_DIM
    # The operating point, the fusion weight's choice and their calibration are declared
    # in matcher.engines.registry.
    default_threshold = float(SFACE_DLIB.default_threshold)
    floor = float(SFACE_DLIB.floor)
    # 2: the SFace half of a reference vector is OpenCVSFaceEngine's version 2 reference
    # (mirror-averaged); probe vectors use plain SFace.
    embedding_version = 2
    reference_view = "SFace half mirror-averaged"

    def __init__(
        self,
        shape_path: Path | None = None,
        descriptor_path: Path | None = None,
        *,
        sface_weight: float = SFACE_WEIGHT,
        sface: OpenCVSFaceEngine | None = None,
    ):
        if not 0.0 <= sface_weight <= 1.0:
            raise EngineError(f"sface_weight must be between 0 and 1, not {sface_weight}.")
        shape_path = Path(shape_path or bundled_dlib_model_path(SHAPE_FILE))
        descriptor_path = Path(descriptor_path or bundled_dlib_model_path(DESCRIPTOR_FILE))
        # Checked before dlib reads them: another file would invalidate the calibration.
        verify_sha256(shape_path, DLIB_MODEL_SHA256[SHAPE_FILE])
        verify_sha256(descriptor_path, DLIB_MODEL_SHA256[DESCRIPTOR_FILE])
        dlib = _import_dlib()
        self._dlib = dlib
        self._shape = dlib.shape_predictor(str(shape_path))
        self._descriptor = dlib.face_recognition_model_v1(str(descriptor_path))
        self._sface = sface or OpenCVSFaceEngine()
        self.sface_weight = float(sface_weight)

    def detect(self, image_bgr: np.ndarray) -> list[Face]:
        return self._sface.detect(image_bgr)

    def embed(self, image_bgr: np.ndarray, face: Face) -> np.ndarray:
        return self.embed_many(image_bgr, [face])[0]

    def embed_many(self, image_bgr: np.ndarray, faces: list[Face]) -> np.ndarray:
        """Probe vectors: plain SFace fused with dlib."""
        if not faces:
            return np.empty((0, self.dim), dtype=np.float32)
        return fuse(
            self._sface.embed_many(image_bgr, faces),
            self.dlib_descriptors(image_bgr, faces),
            self.sface_weight,
        )

    def embed_references(self, image_bgr: np.ndarray, faces: list[Face]) -> np.ndarray:
        """Reference vectors: SFace's reference vectors (mirror-averaged) fused with dlib."""
        if not faces:
            return np.empty((0, self.dim), dtype=np.float32)
        return fuse(
            self._sface.embed_references(image_bgr, faces),
            self.dlib_descriptors(image_bgr, faces),
            self.sface_weight,
        )

    def dlib_descriptors(self, image_bgr: np.ndarray, faces: list[Face]) -> np.ndarray:
        """(n, 128) unit rows: dlib's 5-point alignment inside each YuNet box, then the ResNet."""
        image = np.ascontiguousarray(cv2.cvtColor(_as_bgr(image_bgr), cv2.COLOR_BGR2RGB))
        rows = []
        for face in faces:
            x, y, w, h = face.box
            box = self._dlib.rectangle(
                int(round(x)), int(round(y)), int(round(x + w)), int(round(y + h))
            )
            shape = self._shape(image, box)
            # num_jitters=0: one pass; jittering costs a pass per jitter.
            rows.append(np.asarray(self._descriptor.compute_face_descriptor(image, shape)))
        return l2_normalise(np.stack(rows))


def fuse(sface: np.ndarray, dlib: np.ndarray, sface_weight: float) -> np.ndarray:
    """Concatenated, weighted unit vectors whose dot product is the weighted mean score."""
    left = np.sqrt(sface_weight) * l2_normalise(sface)
    right = np.sqrt(1.0 - sface_weight) * l2_normalise(dlib)
    return np.hstack([left, right]).astype(np.float32)


def _as_bgr(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image
