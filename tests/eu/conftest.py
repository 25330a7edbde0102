import json

import pytest

from tests.matcher.conftest import ROOT, run_script


@pytest.fixture(scope="session")
def video_set(tmp_path_factory):
    """The test videos and their ground truth, as tests/matcher makes them."""
    out = tmp_path_factory.mktemp("videos")
    run_script(ROOT / "benchmarks" / "make_test_videos.py", str(out), "--sizes", "640x360")
    return out, json.loads((out / "ground_truth.json").read_text())
