"""The InsightFace engine: SCRFD finds faces, ArcFace embeds them, ONNX Runtime runs both.

No weights ship with the project. The operator supplies a model pack (for
example buffalo_l) under InsightFace's licence and points
LFR_INSIGHTFACE_MODEL_DIR at its directory. Every .onnx file there goes through
InsightFace's own model router, which classifies it by its input and output
shapes; the pack must yield exactly one detector that gives five landmarks and
exactly one recogniser. Other models of a pack (landmark, gender/age) are ignored.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .base import Engine, EngineError, Face, l2_normalise
from .config import setting
from .registry import INSIGHTFACE

SETTING = "LFR_INSIGHTFACE_MODEL_DIR"
DETECTION_SIZE = (640, 640)
DETECTION_SCORE = 0.5


def configured_model_dir() -> str | None:
    """The model pack directory the deployment configured, if any."""
    return setting(SETTING)


def onnx_providers() -> list[str]:
    import onnxruntime  # heavy and optional: only this engine needs it

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


class InsightFaceEngine(Engine):
    name = INSIGHTFACE.name
    label = INSIGHTFACE.label
    default_threshold = float(INSIGHTFACE.default_threshold)
    floor = float(INSIGHTFACE.floor)

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        providers: list[str] | None = None,
        detection_size: tuple[int, int] = DETECTION_SIZE,
        detection_score: float = DETECTION_SCORE,
    ):
        directory = _model_directory(model_dir)
        # Imported here so the default engine never pays for InsightFace's imports.
        from insightface.model_zoo import get_model

        self.providers = list(providers or onnx_providers())
        detectors, recognisers = [], []
        for path in sorted(directory.glob("*.onnx")):
            model = get_model(str(path), providers=self.providers)
            role = getattr(model, "taskname", None)
            if role == "detection":
                detectors.append(model)
            elif role == "recognition":
                recognisers.append(model)
        _require_one(detectors, "a detection model (SCRFD)", directory)
        _require_one(recognisers, "a recognition model (ArcFace, 112x112 input)", directory)
        self._detector, self._recogniser = detectors[0], recognisers[0]
        if not self._detector.use_kps:
            raise EngineError(
                f"{SETTING}={directory}: the detection model "
                f"{Path(self._detector.model_file).name} gives no facial landmarks, "
                "which alignment needs; use an SCRFD model with keypoints (e.g. *_bnkps, det_10g)."
            )
        self._detector.prepare(
            0, input_size=detection_size, det_thresh=detection_score, nms_thresh=0.4
        )
        self.model_dir = directory
        self.detector_file = Path(self._detector.model_file).name
        self.recogniser_file = Path(self._recogniser.model_file).name
        self.aligned_size = int(self._recogniser.input_size[0])
        self.dim = int(self._recogniser.output_shape[-1])

    def detect(self, image_bgr: np.ndarray) -> list[Face]:
        boxes, keypoints = self._detector.detect(image_bgr)
        faces = [
            Face(
                box=(
                    float(box[0]),
                    float(box[1]),
                    float(box[2] - box[0]),
                    float(box[3] - box[1]),
                ),
                landmarks=np.asarray(points, dtype=np.float32).reshape(5, 2),
                score=float(box[4]),
            )
            for box, points in zip(boxes, keypoints, strict=True)
        ]
        faces.sort(key=lambda face: face.score, reverse=True)
        return faces

    def embed(self, image_bgr: np.ndarray, face: Face) -> np.ndarray:
        return self.embed_many(image_bgr, [face])[0]

    def embed_many(self, image_bgr: np.ndarray, faces: list[Face]) -> np.ndarray:
        if not faces:
            return np.empty((0, self.dim), dtype=np.float32)
        from insightface.utils.face_align import norm_crop  # optional package, as above

        with warnings.catch_warnings():
            # scikit-image deprecates the estimate() call norm_crop makes; not ours to fix.
            warnings.filterwarnings("ignore", category=FutureWarning, module="insightface")
            aligned = [
                norm_crop(image_bgr, landmark=face.landmarks, image_size=self.aligned_size)
                for face in faces
            ]
        # get_feat applies the pack's own mean/std and the BGR->RGB swap.
        features = self._recogniser.get_feat(aligned)
        return l2_normalise(np.asarray(features).reshape(len(faces), -1))


def _model_directory(model_dir: str | Path | None) -> Path:
    value = model_dir if model_dir is not None else configured_model_dir()
    if not value:
        raise EngineError(
            f"The insightface engine needs {SETTING}: set it to the directory of an "
            "InsightFace model pack (one SCRFD detection .onnx and one ArcFace "
            "recognition .onnx) that the force holds under InsightFace's licence."
        )
    directory = Path(value).expanduser()
    if not directory.is_dir():
        raise EngineError(f"{SETTING}={directory} is not a directory.")
    if not any(directory.glob("*.onnx")):
        raise EngineError(
            f"{SETTING}={directory} holds no .onnx files; missing: a detection model "
            "(SCRFD) and a recognition model (ArcFace)."
        )
    return directory


def _require_one(models: list, role: str, directory: Path) -> None:
    if not models:
        found = sorted(path.name for path in directory.glob("*.onnx"))
        raise EngineError(
            f"{SETTING}={directory} is incomplete: missing {role}. Files found: {', '.join(found)}."
        )
    if len(models) > 1:
        names = ", ".join(sorted(Path(model.model_file).name for model in models))
        # Two candidates would leave the calibrated model ambiguous.
        raise EngineError(f"{SETTING}={directory} holds more than one {role}: {names}.")
