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

import cv2
import numpy as np

from .base import Engine, EngineError, Face, l2_normalise, verify_sha256
from .opencv_sface import MODEL_SHA256 as SFACE_MODEL_SHA256
from .opencv_sface import OpenCVSFaceEngine

SHAPE_FILE = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR_FILE = "dlib_face_recognition_resnet_model_v1.dat"
DLIB_MODEL_SHA256 = {
    SHAPE_FILE: "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    DESCRIPTOR_FILE: "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
}
# Every file the engine runs, which is what a recorded calibration names.
MODEL_SHA256 = {**SFACE_MODEL_SHA256, **DLIB_MODEL_SHA256}

# SFace's share of the fused score; chosen on calibration sets only (see the class).
SFACE_WEIGHT = 0.15
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


def _import_dlib():
    try:
        import dlib
    except ImportError as error:
        raise EngineError(
            "The sface-dlib engine needs dlib (pip install --no-deps dlib-bin==20.0.1.post1)."
        ) from error
    return dlib


class SFaceDlibEngine(Engine):
    name = "sface-dlib"
    label = "YuNet + SFace fused with dlib ResNet"
    dim = OpenCVSFaceEngine.dim + DLIB_DIM
    # Chosen as for opencv-sface (see there), with --engine sface-dlib:
    #   python manage.py evaluate_matcher --engine sface-dlib \
    #     --faces ../shared/faces/att_faces --faces ../shared/faces/deepface_celebs \
    #     --faces ../shared/faces/faceapi_bbt --target-fmr 0.0001 --cross-check --references 3
    #   default 0.857 (target 1e-4): 6 of 123,230 impostor pairs (bound 9.6e-5), FNMR 0.54%
    #   floor   0.852 (target 2e-4): 15 (bound 1.87e-4), FNMR 0.45%
    # Held out at target 1e-4 (calibrated on two sets, counted on the third):
    #   att_faces        at 0.862  FMR 2/78,000            FNMR 4/1,800 (0.22%)
    #   deepface_celebs  at 0.858  FMR 1/1,690 (0.059%)    FNMR 0/140
    #   faceapi_bbt      at 0.861  FMR 0/700               FNMR 10/80 (12.5%)
    #   every set once   FMR 3/80,390 (0.0037%)  FNMR 14/2,020 (0.69%)
    # Against SFace alone (FMR 10/80,390, FNMR 16/2,020 held out) that is no significant
    # gain on these sets, for about 6x the embedding time (106 against 18 ms a face, one
    # core). The weight 0.15 had the fewest misses at target 1e-4 over all three sets
    # (11, tied with 0.1; 0.2 gave 12, 0.5 gave 15, 1.0 (SFace alone) 16); a weight
    # chosen per fold (0.1 to 1.0) on the other two sets gave held-out FNMR 0.79% in all.
    default_threshold = 0.857
    floor = 0.852

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
        if not faces:
            return np.empty((0, self.dim), dtype=np.float32)
        return fuse(
            self._sface.embed_many(image_bgr, faces),
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
