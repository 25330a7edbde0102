"""benchmarks/live_bench.py runs end to end and its figures add up (speed is not asserted)."""

import json
import subprocess
import sys

import pytest

from tests.processes import ROOT

pytestmark = pytest.mark.models


def test_the_live_benchmark_quick_run_reports_consistent_figures(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "live_bench.py"),
            "--quick",
            "--keep",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "most cameras holding real time on one core" in done.stdout
    report = json.loads(done.stdout.split("JSON ", 1)[1])
    size = report["sizes"]["640x360"]
    assert 1 <= len(size["rows"]) <= 2
    truth = json.loads((tmp_path / "ground_truth.json").read_text())
    watchlisted = sum(1 for p in truth["videos"][0]["appearances"] if p["watchlist"])
    for row in size["rows"]:
        assert row["passes"] == watchlisted * row["cameras"]
        assert 0 <= row["found"] <= row["passes"]
        assert row["read"] == row["analysed"] + row["skipped"]
        # Every camera got the whole clip, paced.
        assert row["read"] == truth["videos"][0]["frames"] * row["cameras"]
        if row["found"]:
            assert 0 < row["latency_p50"] <= row["latency_p95"]
    design = size["design"]
    assert design["naive"] > design["old"] > 0
