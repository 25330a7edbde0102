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
        # OpenCV's published cosine threshold for SFace is 0.363 (LFW). Until the
        # project's own calibration replaces it, the floor sits at that figure and
        # the default a margin above it, to favour fewer false alerts.
        floor=Decimal("0.363"),
        default_threshold=Decimal("0.400"),
        calibration_note="OpenCV Zoo SFace LFW operating point (cosine 0.363)",
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
