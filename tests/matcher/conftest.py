import json
import subprocess
import sys
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


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def video_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("videos")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "make_test_videos.py"),
            str(out),
            "--sizes",
            "640x360",
        ],
        check=True,
        capture_output=True,
    )
    truth = json.loads((out / "ground_truth.json").read_text())
    return out, truth


def watchlist_references(truth):
    """One reference photograph per watchlisted identity (never the one in the video)."""
    root = Path(truth["faces_root"])
    return [(item["identity"], root / item["reference_images"][0]) for item in truth["watchlist"]]
