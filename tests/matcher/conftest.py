from pathlib import Path

import cv2
import numpy as np
import pytest

FACES_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "faces"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "models: loads the real face models (YuNet, SFace) and reads ../shared/faces"
    )


@pytest.fixture(scope="session")
def faces_root():
    assert FACES_ROOT.is_dir(), f"the labelled test photographs are missing from {FACES_ROOT}"
    return FACES_ROOT


@pytest.fixture(scope="session")
def sface():
    from matcher.engines.opencv_sface import OpenCVSFaceEngine

    return OpenCVSFaceEngine()


def read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, f"cannot read {path}"
    return image
