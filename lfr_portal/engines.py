"""What the governance rules need to know about each recognition engine.

Scores are cosine similarities between L2-normalised embeddings, so they are not
on the vendor scale of GOVERNANCE.md's 0.64 (NEC NeoFace); each engine has its own
floor. The matcher owns the models; this module only states their operating points.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class EngineProfile:
    name: str
    label: str
    floor: Decimal
    default_threshold: Decimal
    calibration_note: str


ENGINE_PROFILES = {
    "opencv-sface": EngineProfile(
        name="opencv-sface",
        label="OpenCV YuNet + SFace",
        # Calibrated with `python manage.py evaluate_matcher --faces ../shared/faces/...`
        # on all three labelled sets (501 images, 61 identities; 2,020 genuine and
        # 123,230 impostor pairs, every face detected):
        #   0.500 (default): FMR 0 of 123,230 (< 2.4e-5 at 95%), FNMR 2.48%
        #   0.475 (floor):   FMR 1 of 123,230 (0.0008%),          FNMR 1.44%
        # The highest impostor score seen was 0.475, so the floor sits there.
        floor=Decimal("0.475"),
        default_threshold=Decimal("0.500"),
        calibration_note=(
            "evaluate_matcher on ../shared/faces (501 images, 61 identities): 0.500 gives "
            "FMR 0/123,230 and FNMR 2.48%; 0.475 gives FMR 1/123,230 and FNMR 1.44%"
        ),
    ),
    "insightface": EngineProfile(
        name="insightface",
        label="InsightFace SCRFD + ArcFace",
        floor=Decimal("0.400"),
        default_threshold=Decimal("0.450"),
        calibration_note="not yet calibrated on this force's data",
    ),
}


def engine_profile(name):
    return ENGINE_PROFILES[name]
