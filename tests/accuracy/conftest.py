import pytest
from django.utils import timezone

from lfr_portal.models import CalibrationRecord
from lfr_portal.services.accuracy import calibration_record_create

# The labelled photographs and the generated test video, as the matcher's tests use them.
from tests.matcher.conftest import faces_root, video_set, wider_face_sets  # noqa: F401


def rate_row(threshold, false_matches, false_non_matches):
    return {
        "threshold": threshold,
        "fmr": 0,
        "false_matches": false_matches,
        "fnmr": 0,
        "false_non_matches": false_non_matches,
    }


@pytest.fixture
def small_calibration(db):
    """The only calibration of the default engine: 100,000 impostor and 1,000 genuine pairs
    measured at 0.40, 0.45 and 0.50."""
    CalibrationRecord.objects.all().delete()
    return calibration_record_create(
        actor=None,
        engine="opencv-sface",
        description="Test set: 50 identities of staff volunteers.",
        measured_at=timezone.now(),
        model_sha256={"detector.onnx": "a" * 64, "recogniser.onnx": "b" * 64},
        identities=50,
        images=460,
        genuine_pairs=1_000,
        impostor_pairs=100_000,
        rates=[
            rate_row("0.400", 50, 5),
            rate_row("0.450", 10, 10),
            rate_row("0.500", 2, 20),
        ],
        ran_by_name="tester",
    )
