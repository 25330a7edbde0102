"""Live recognition on one core: how many cameras hold real time, and what they find.

    .venv/bin/python benchmarks/live_bench.py [--sizes 1280x720,1920x1080] [--seconds 20]
        [--max-cameras 8] [--keep DIR] [--engine opencv-sface] [--quick]

Builds 25 fps ground-truth clips with benchmarks/make_test_videos.py (--returns: ten
passes by people walking at three depths, five of them by watchlisted people, two of
whom come back for a second pass). Then, for each size, it feeds N cameras paced as
live (a `?realtime=1` file delivers its frames at 25 fps whatever the reader does,
exactly like a camera) to ONE process pinned to ONE core: per camera a
matcher.sources.FrameReader and a matcher.live.CameraAnalyser on their own threads,
each alert committed at once to a SQLite database (WAL, one transaction per alert),
standing for the job's commit. N goes up from 1 until the cameras stop holding real
time (95th percentile of lag behind live over 1 s) or stop finding every pass.

It prints, per size and N: lag, frames read, analysed and skipped, recall per pass,
false and duplicate alerts, and latency from the first frame of a person's pass to
the committed alert (p50, p95); then, measured in the same run on the same core over
the same clip, the CPU per second of video of the old design (YuNet on the full frame
of every frame, the previous tracker's embedding policy) and of the naive design
(every face of every frame embedded) as ratios to the live design's. Needs no
database server and no network. Prints figures; asserts nothing.
"""

from __future__ import annotations

import os

# BLAS and OpenMP size their thread pools on import: one core means one thread.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.make_test_videos import build_video_set, parse_sizes  # noqa: E402

LAG_LIMIT = 1.0  # seconds behind live that still counts as real time
MIN_IOU = 0.3
MIN_PASS_SECONDS = 1.0


# --- the watchlist ----------------------------------------------------------------------


def enrol(engine, truth: dict) -> tuple[list[int], np.ndarray, list[str]]:
    """One entry per watchlisted identity, one matrix row per usable reference photograph
    (as the job loads them): (row entry ids, matrix, entry identities)."""
    from matcher.enrolment import enrol_reference

    root = Path(truth["faces_root"])
    entry_ids, rows, identities = [], [], []
    for person in truth["watchlist"]:
        identities.append(person["identity"])
        for relative in person["reference_images"]:
            result = enrol_reference(engine, (root / relative).read_bytes())
            if result.accepted:
                entry_ids.append(len(identities) - 1)
                rows.append(result.embedding)
    return entry_ids, np.stack(rows).astype(np.float32), identities


# --- one process, one core, N paced cameras ----------------------------------------------


def run_cameras(clip: Path, truth_path: Path, cameras: int, engine_name: str) -> dict:
    """The child: N cameras paced as live in this process, on one core. Returns figures."""
    from django.conf import settings

    if not settings.configured:
        # The source rules read two settings; the clip's folder is the camera folder.
        settings.configure(
            LFR_CAMERA_FILE_ROOTS=[str(clip.parent)],
            LFR_CAMERA_NETWORKS=[],
            LFR_CAMERA_ALLOW_LOOPBACK=False,
        )
    from matcher.engines import create_engine
    from matcher.live import CameraAnalyser
    from matcher.sources import FrameReader, FrameSource, SourceEnded, parse_source

    cv2.setNumThreads(1)
    truth = json.loads(truth_path.read_text())
    database = sqlite3.connect(
        Path(tempfile.mkdtemp(prefix="lfr-live-bench-db-")) / "alerts.db", check_same_thread=False
    )
    database.execute("PRAGMA journal_mode=WAL")
    database.execute("CREATE TABLE alert (camera INT, entry INT, score REAL, crop BLOB)")
    database.commit()
    database_lock = threading.Lock()
    engines = [create_engine(engine_name) for _ in range(cameras)]
    entry_ids, matrix, identities = enrol(engines[0], truth)
    threshold = float(engines[0].default_threshold)
    results: list[dict] = [{} for _ in range(cameras)]
    ready = threading.Barrier(cameras + 1)

    def camera(index: int) -> None:
        analyser = CameraAnalyser(
            engines[index], entry_ids=entry_ids, matrix=matrix, threshold=threshold
        )
        reader = FrameReader(FrameSource(parse_source(f"{clip}?realtime=1")), live=True)
        lags, alerts, analysed, clock_start = [], [], 0, None
        ready.wait()
        reader.start()
        while True:
            try:
                frame = reader.next_frame(timeout=1.0)
            except SourceEnded:
                break
            if frame is None:
                continue
            if clock_start is None:
                clock_start = frame.captured_at - frame.stream_time
            result = analyser.analyse(frame)
            if result is None:
                continue
            analysed += 1
            lags.append(time.time() - frame.captured_at)
            for alert in result.alerts:
                with database_lock:
                    database.execute(
                        "INSERT INTO alert VALUES (?, ?, ?, ?)",
                        (index, alert.entry_id, alert.score, alert.crop_jpeg),
                    )
                    database.commit()
                track = analyser._tracks.get(alert.track_id)
                alerts.append(
                    {
                        "identity": identities[alert.entry_id],
                        "score": round(alert.score, 4),
                        "stream_time": alert.stream_time,
                        "box": list(track.box) if track else None,
                        "committed_at": time.time(),
                    }
                )
        results[index] = {
            "frames_read": reader.frames_read,
            "frames_skipped": reader.frames_skipped,
            "frames_analysed": analysed,
            "lag_p95": float(np.percentile(lags, 95)) if lags else None,
            "lag_max": max(lags) if lags else None,
            "clock_start": clock_start,
            "alerts": alerts,
            "fps": reader.fps,
        }
        reader.close()
        analyser.close()

    threads = [threading.Thread(target=camera, args=(i,)) for i in range(cameras)]
    for thread in threads:
        thread.start()
    ready.wait()
    cpu_before = time.process_time()
    for thread in threads:
        thread.join()
    if not all(results):
        raise SystemExit("a camera thread failed (its traceback is above)")
    return {"cameras": results, "cpu_seconds": time.process_time() - cpu_before}


def child(args) -> int:
    os.sched_setaffinity(0, {args.core})
    figures = run_cameras(args.clip, args.truth, args.cameras, args.engine)
    print(json.dumps(figures))
    return 0


def spawn(clip: Path, truth: Path, cameras: int, engine: str, core: int) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--clip",
        str(clip),
        "--truth",
        str(truth),
        "--cameras",
        str(cameras),
        "--engine",
        engine,
        "--core",
        str(core),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the camera process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- judging against the ground truth ----------------------------------------------------


def judge(camera: dict, video: dict) -> dict:
    """Each alert against the passes on screen when it was raised."""
    from matcher.tracking import iou_matrix

    fps = float(video["fps"])
    passes = video["appearances"]
    watchlisted = [
        i
        for i, p in enumerate(passes)
        if p["watchlist"] and (p["last_frame"] - p["first_frame"] + 1) / fps >= MIN_PASS_SECONDS
    ]
    boxes = {i: {b[0]: b[1:] for b in p["boxes"]} for i, p in enumerate(passes)}
    found: dict[int, float] = {}
    false_alerts, duplicates = [], 0
    for alert in camera["alerts"]:
        frame = int(round(alert["stream_time"] * fps))
        match = None
        for i in range(len(passes)):
            truth_box = boxes[i].get(frame)
            if truth_box is None or alert["box"] is None:
                continue
            if iou_matrix(np.array([alert["box"]]), np.array([truth_box]))[0, 0] >= MIN_IOU:
                match = i
                break
        if match is None or not passes[match]["watchlist"]:
            who = "nobody" if match is None else passes[match]["identity"] + " (passer-by)"
            false_alerts.append(f"{who} taken for {alert['identity']} at {frame}")
        elif passes[match]["identity"] != alert["identity"]:
            false_alerts.append(f"{passes[match]['identity']} taken for {alert['identity']}")
        elif match in found:
            duplicates += 1
        else:
            first_frame_at = camera["clock_start"] + passes[match]["first_frame"] / fps
            found[match] = alert["committed_at"] - first_frame_at
    return {
        "passes": len(watchlisted),
        "found": sum(1 for i in watchlisted if i in found),
        "latencies": [found[i] for i in watchlisted if i in found],
        "false": false_alerts,
        "duplicates": duplicates,
    }


# --- the old and naive designs, on the same core -----------------------------------------


def design_costs(clip: Path, truth: dict, engine_name: str) -> dict[str, float]:
    """CPU seconds per second of video, unpaced, for the old and the naive design."""
    from benchmarks.matcher_bench import run_naive, run_tracked
    from matcher.engines import create_engine

    engine = create_engine(engine_name)
    _, matrix, _ = enrol(engine, truth)
    threshold = float(engine.default_threshold)
    capture = cv2.VideoCapture(str(clip))
    seconds = capture.get(cv2.CAP_PROP_FRAME_COUNT) / capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    return {
        "old": run_tracked(engine, clip, matrix, threshold).cpu / seconds,
        "naive": run_naive(engine, clip, matrix, threshold).cpu / seconds,
    }


def design_child(args) -> int:
    os.sched_setaffinity(0, {args.core})
    cv2.setNumThreads(1)
    truth = json.loads(args.truth.read_text())
    print(json.dumps(design_costs(args.clip, truth, args.engine)))
    return 0


# --- the report ---------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms"


def summarise(run: dict, video: dict) -> dict:
    verdicts = [judge(camera, video) for camera in run["cameras"]]
    lags = [c["lag_p95"] for c in run["cameras"] if c["lag_p95"] is not None]
    latencies = [v for verdict in verdicts for v in verdict["latencies"]]
    read = sum(c["frames_read"] for c in run["cameras"])
    analysed = sum(c["frames_analysed"] for c in run["cameras"])
    # Replaced before the analyser took them, or passed over by the analysis rate.
    skipped = read - analysed
    passes = sum(v["passes"] for v in verdicts)
    found = sum(v["found"] for v in verdicts)
    seconds = video["frames"] / video["fps"]
    return {
        "lag_p95": max(lags) if lags else None,
        "lag_max": max((c["lag_max"] or 0) for c in run["cameras"]),
        "read": read,
        "analysed": analysed,
        "skipped": skipped,
        "passes": passes,
        "found": found,
        "false": [f for v in verdicts for f in v["false"]],
        "duplicates": sum(v["duplicates"] for v in verdicts),
        "latency_p50": percentile(latencies, 50),
        "latency_p95": percentile(latencies, 95),
        "cpu_per_camera": run["cpu_seconds"] / len(run["cameras"]) / seconds,
        "holds": bool(lags) and max(lags) < LAG_LIMIT,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[(1280, 720), (1920, 1080)])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-cameras", type=int, default=8)
    parser.add_argument("--engine", default="opencv-sface")
    parser.add_argument("--keep", type=Path, help="build the clips here and leave them")
    parser.add_argument("--quick", action="store_true", help="a short run: 8 s, 640x360, N <= 2")
    parser.add_argument("--core", type=int, default=os.cpu_count() - 1 if os.cpu_count() else 0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--design-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clip", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--truth", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cameras", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    if args.design_child:
        return design_child(args)
    if args.quick:
        args.sizes, args.seconds, args.max_cameras = [(640, 360)], 8.0, 2

    out = args.keep or Path(tempfile.mkdtemp(prefix="lfr-live-bench-"))
    truth_path = out / "ground_truth.json"
    if not truth_path.exists():
        build_video_set(
            out, seconds=args.seconds, fps=25.0, sizes=args.sizes, returns=not args.quick
        )
    truth = json.loads(truth_path.read_text())
    print(f"Live benchmark: one process pinned to core {args.core}, engine {args.engine}")
    print(f"clips: {out} ({args.seconds:g} s at 25 fps; alerts committed to SQLite)")
    report: dict = {"sizes": {}}
    for video in truth["videos"]:
        clip = out / video["file"]
        size = f"{video['width']}x{video['height']}"
        print(f"\n== {size}")
        print(
            f"{'cams':>4} {'lag p95':>8} {'lag max':>8} {'analysed':>9} {'skipped':>8} "
            f"{'passes':>7} {'false':>5} {'dup':>4} {'lat p50':>8} {'lat p95':>8} "
            f"{'CPU/cam':>8}  real time"
        )
        best = 0
        rows = []
        for cameras in range(1, args.max_cameras + 1):
            run = spawn(clip, truth_path, cameras, args.engine, args.core)
            row = summarise(run, video)
            row["cameras"] = cameras
            rows.append(row)
            print(
                f"{cameras:>4} {ms(row['lag_p95']):>8} {ms(row['lag_max']):>8} "
                f"{row['analysed']:>9} {row['skipped']:>8} "
                f"{row['found']:>3}/{row['passes']:<3} {len(row['false']):>5} "
                f"{row['duplicates']:>4} {ms(row['latency_p50']):>8} "
                f"{ms(row['latency_p95']):>8} {row['cpu_per_camera']:>8.3f}  "
                f"{'yes' if row['holds'] else 'NO'}"
            )
            for line in row["false"][:5]:
                print(f"       false alert: {line}")
            if not row["holds"] or row["found"] < row["passes"]:
                break
            best = cameras
        design = json.loads(
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--design-child",
                    "--clip",
                    str(clip),
                    "--truth",
                    str(truth_path),
                    "--engine",
                    args.engine,
                    "--core",
                    str(args.core),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        live_cost = rows[0]["cpu_per_camera"]
        print(f"most cameras holding real time on one core: {best}")
        print(
            f"CPU per second of video: live design {live_cost:.3f} s (one camera, paced); "
            f"old design {design['old']:.3f} s ({design['old'] / live_cost:.1f}x the live "
            f"design); naive design {design['naive']:.3f} s "
            f"({design['naive'] / live_cost:.1f}x)"
        )
        print(
            f"cameras per core by CPU alone: live {1 / live_cost:.1f}, old "
            f"{1 / design['old']:.2f}, naive {1 / design['naive']:.2f}"
        )
        report["sizes"][size] = {"rows": rows, "most_cameras": best, "design": design}
    print("\nJSON " + json.dumps(report, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
