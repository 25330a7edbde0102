import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from matcher.face_sets import BUNDLED_ROOT, FaceSet, extra_sets


@pytest.fixture(scope="session")
def faces_root() -> Path:
    """The folder holding the bundled AT&T set: "att_faces/s1/1.jpg" resolves against it."""
    assert (BUNDLED_ROOT / "att_faces").is_dir(), f"the bundled face set is missing: {BUNDLED_ROOT}"
    return BUNDLED_ROOT


@pytest.fixture(scope="session")
def wider_face_sets() -> dict[str, FaceSet]:
    """The extra labelled sets (LFR_FACE_SETS_EXTRA), for tests marked wider_faces; such a
    test is skipped where none are present, as on a fresh clone."""
    found = {face_set.name: face_set for face_set in extra_sets()}
    if not found:
        pytest.skip("no extra face sets here (LFR_FACE_SETS_EXTRA); the bundled set is tested")
    return found


@pytest.fixture(scope="session")
def sface():
    from matcher.engines.opencv_sface import OpenCVSFaceEngine

    return OpenCVSFaceEngine()


def read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, f"cannot read {path}"
    return image


ROOT = Path(__file__).resolve().parents[2]


def run_command(args: list, *, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """Run a helper program; when it fails, the failure shows what it printed, not only
    CalledProcessError and an exit status."""
    result = subprocess.run(args, capture_output=True, timeout=timeout, **kwargs)
    if result.returncode != 0:

        def tail(output) -> str:
            text = output.decode(errors="replace") if isinstance(output, bytes) else output
            return text[-4000:]

        pytest.fail(
            f"{' '.join(str(a) for a in args)} exited with {result.returncode}\n"
            f"--- stdout ---\n{tail(result.stdout)}\n--- stderr ---\n{tail(result.stderr)}",
            pytrace=False,
        )
    return result


def run_script(script: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run one of the repository's Python scripts with this interpreter."""
    return run_command([sys.executable, str(script), *args], timeout=timeout, text=True)


@pytest.fixture(scope="session")
def video_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("videos")
    run_script(ROOT / "benchmarks" / "make_test_videos.py", str(out), "--sizes", "640x360")
    truth = json.loads((out / "ground_truth.json").read_text())
    return out, truth


def watchlist_references(truth):
    """One reference photograph per watchlisted identity (never the one in the video)."""
    root = Path(truth["faces_root"])
    return [(item["identity"], root / item["reference_images"][0]) for item in truth["watchlist"]]
