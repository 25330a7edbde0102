"""benchmarks/load_bench.py runs end to end: gunicorn, a Celery worker and beat, and locust
users of every kind, briefly. Only that it finished cleanly is checked, never its times."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "load_bench.py"
ROW = re.compile(
    r"^(?P<label>.+?)\s+(?P<requests>[\d,]+)\s+(?P<rps>[\d.]+)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+"
    r"(?P<errors>\d+)$"
)


def load_bench_module():
    spec = importlib.util.spec_from_file_location("load_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_users_are_shared_out_by_weight_with_one_of_each_type_at_least():
    bench = load_bench_module()
    weights = bench.parse_weights("operator=2,planner=1,public=7")
    assert bench.user_counts(60, weights) == {"operator": 12, "planner": 6, "public": 42}
    assert bench.user_counts(3, weights) == {"operator": 1, "planner": 1, "public": 1}
    assert sum(bench.user_counts(7, weights).values()) == 7
    no_planners = bench.parse_weights("operator=1,public=1")
    assert bench.user_counts(5, no_planners)["planner"] == 0


@pytest.mark.worker
@pytest.mark.models
def test_a_short_run_serves_every_kind_of_user_without_errors():
    # The script sets its own settings, database and Redis databases; none of the
    # test run's may leak into it.
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "DATABASE_URL" and not k.startswith(("DJANGO_", "CELERY_", "LFR_"))
    }
    finished = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--duration",
            "5",
            # Short pauses (a planner's at most 2 s), so every kind of user acts within
            # the 5 s window however the pauses fall.
            "--think",
            "0.25",
            "--users",
            "6",
            "--workers",
            "2",
            "--live",
            "1",
            "--cameras",
            "1",
            "--past",
            "20",
            "--video-seconds",
            "6",
            "--database",
            "lfr_load_bench_test",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output
    header = r"^request\s+requests\s+req/s\s+p50 ms\s+p95 ms\s+p99 ms\s+errors$"
    assert re.search(header, finished.stdout, re.M), output
    rows = {
        match["label"]: match
        for match in (ROW.match(line) for line in finished.stdout.splitlines())
        if match
    }
    for label in ("operator (all)", "planner (all)", "public (all)", "total"):
        assert label in rows, output
        assert int(rows[label]["requests"].replace(",", "")) > 0, output
        assert rows[label]["errors"] == "0", output
    assert "errors: none" in finished.stdout, output
    assert "exception in a user" not in finished.stdout, output
    assert re.search(r"^recognition in the same [\d.]+ s: [\d,]+ frames", finished.stdout, re.M)
