"""Matcher figures on one core: speed against real time, recall, false alerts, time to
alert, matching cost against large watchlists, and tracking against a naive pipeline.

    .venv/bin/python benchmarks/matcher_bench.py [--seconds 12] [--fps 12]
        [--sizes 1280x720,1920x1080] [--keep DIR] [--threshold T] [--passes 1]

Builds the test clips with benchmarks/make_test_videos.py (into a temporary
directory, or into --keep DIR, which is left in place), enrols the ground truth's
watchlist photographs, then runs every clip through the recognition job's
per-frame steps of the previous design (full-frame detection on every frame, the
FaceTracker's embedding policy; benchmarks/live_bench.py measures the live design
against it) and through a naive pipeline that embeds every face in every frame.
Needs no database and no network. Prints figures; asserts nothing.
"""

from __future__ import annotations

import os

# BLAS and OpenMP size their thread pools when numpy and cv2 are first imported,
# so the one-core limit has to be in the environment before those imports.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.make_test_videos import build_video_set, parse_sizes  # noqa: E402
from matcher import pipeline  # noqa: E402
from matcher.engines import create_engine  # noqa: E402
from matcher.reference_check import enrol_reference  # noqa: E402
from matcher.tracking import FaceTracker, iou_matrix  # noqa: E402

DEFAULT_SIZES = [(1280, 720), (1920, 1080)]
WATCHLIST_SIZES = (1_000, 10_000, 100_000, 1_000_000)
# A detection is taken to be a ground-truth face when their boxes overlap this much.
MIN_IOU = 0.3
# The job stores alerts with its chunk's commit; LFR_RECOGNITION_CHUNK_FRAMES defaults to 25.
CHUNK_FRAMES = 25
STAGES = ("decode", "detect", "track", "embed", "match", "alert")


def clock() -> np.ndarray:
    """(wall seconds, CPU seconds of this process). Other processes on a shared
    machine stretch the first far more than the second, so both are reported."""
    return np.array([time.perf_counter(), time.process_time()])


@dataclass
class Alert:
    frame: int
    box: tuple[float, float, float, float]
    entry: int
    score: float
    produced_at: np.ndarray  # clock()


@dataclass
class Run:
    label: str
    frames: int = 0
    detections: int = 0
    new_tracks: int = 0
    embeddings: int = 0
    elapsed: np.ndarray = field(default_factory=lambda: np.zeros(2))  # wall, CPU
    stages: dict[str, np.ndarray] = field(
        default_factory=lambda: {stage: np.zeros(2) for stage in STAGES}
    )
    frame_started: list[np.ndarray] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return float(self.elapsed[0])

    @property
    def cpu(self) -> float:
        return float(self.elapsed[1])


class Laps:
    """Charges the time since the previous lap to a stage of the run."""

    def __init__(self, run: Run):
        self.run = run
        self.last = clock()

    def lap(self, stage: str) -> np.ndarray:
        now = clock()
        self.run.stages[stage] += now - self.last
        self.last = now
        return now


def encode_alert_crop(frame: np.ndarray, face) -> bytes:
    # The JPEG an alert keeps, encoded as the job does, so its cost is counted.
    crop = pipeline.crop_face(frame, face)
    ok, jpeg = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 90])
    pipeline.wipe(crop)
    return jpeg.tobytes() if ok else b""


def run_tracked(engine, path: Path, matrix: np.ndarray, threshold: float) -> Run:
    """The previous job's per-frame step (detect every full frame, track, embed, match),
    with the alert drafts kept in memory: the "old design" of benchmarks/live_bench.py."""
    run = Run("tracked")
    tracker = FaceTracker()
    capture = cv2.VideoCapture(str(path))
    position = 0
    started = clock()
    while True:
        laps = Laps(run)
        frame_started = laps.last
        ok, frame = capture.read()
        laps.lap("decode")
        if not ok:
            break
        run.frame_started.append(frame_started)
        faces = pipeline.detect_faces(engine, frame, min_size=pipeline.MIN_FACE_SIZE)
        laps.lap("detect")
        tracked = tracker.update(position, faces)
        run.new_tracks += sum(1 for t in tracked if t.track.first_frame == position)
        due = [t for t in tracked if t.embed]
        laps.lap("track")
        if due and len(matrix):
            embeddings = pipeline.embed_faces(engine, frame, [t.face for t in due])
            laps.lap("embed")
            matches = pipeline.match(embeddings, matrix, threshold)
            pipeline.wipe(embeddings)
            laps.lap("match")
            for found in matches:
                tracked_face = due[found.face_index]
                if not tracker.record_match(tracked_face.track):
                    continue
                encode_alert_crop(frame, tracked_face.face)
                run.alerts.append(
                    Alert(
                        position,
                        tracked_face.face.box,
                        found.entry_index,
                        found.score,
                        clock(),
                    )
                )
            run.embeddings += len(due)
        pipeline.wipe(frame)
        laps.lap("alert")
        run.detections += len(faces)
        run.frames += 1
        position += 1
    run.elapsed = clock() - started
    capture.release()
    return run


def run_naive(engine, path: Path, matrix: np.ndarray, threshold: float) -> Run:
    """Every face of every frame embedded and matched; every match is an alert."""
    run = Run("naive")
    capture = cv2.VideoCapture(str(path))
    position = 0
    started = clock()
    while True:
        laps = Laps(run)
        frame_started = laps.last
        ok, frame = capture.read()
        laps.lap("decode")
        if not ok:
            break
        run.frame_started.append(frame_started)
        faces = pipeline.detect_faces(engine, frame, min_size=pipeline.MIN_FACE_SIZE)
        laps.lap("detect")
        if faces and len(matrix):
            embeddings = pipeline.embed_faces(engine, frame, faces)
            laps.lap("embed")
            matches = pipeline.match(embeddings, matrix, threshold)
            pipeline.wipe(embeddings)
            laps.lap("match")
            for found in matches:
                face = faces[found.face_index]
                encode_alert_crop(frame, face)
                run.alerts.append(
                    Alert(position, face.box, found.entry_index, found.score, clock())
                )
            run.embeddings += len(faces)
        pipeline.wipe(frame)
        laps.lap("alert")
        run.detections += len(faces)
        run.frames += 1
        position += 1
    run.elapsed = clock() - started
    capture.release()
    return run


# --- ground truth ----------------------------------------------------------------------


def boxes_by_frame(video: dict) -> dict[int, list[tuple[int, list[float]]]]:
    frames: dict[int, list[tuple[int, list[float]]]] = {}
    for index, appearance in enumerate(video["appearances"]):
        for frame, *box in appearance["boxes"]:
            frames.setdefault(frame, []).append((index, box))
    return frames


def who_is(truth_frames: dict, frame: int, box) -> int | None:
    """The appearance whose ground-truth box overlaps this detection best, if any does."""
    candidates = truth_frames.get(frame, [])
    if not candidates:
        return None
    overlap = iou_matrix(np.array([box]), np.array([b for _, b in candidates]))[0]
    best = int(np.argmax(overlap))
    return candidates[best][0] if overlap[best] >= MIN_IOU else None


@dataclass
class Verdict:
    watchlisted: int
    recalled: set[int]
    correct: int
    duplicates: int
    false_alerts: list[str]
    first_alert: dict[int, Alert]


def judge(run: Run, video: dict, entry_identities: list[str]) -> Verdict:
    truth_frames = boxes_by_frame(video)
    appearances = video["appearances"]
    first_alert: dict[int, Alert] = {}
    correct = duplicates = 0
    false_alerts = []
    for alert in run.alerts:
        claimed = entry_identities[alert.entry]
        index = who_is(truth_frames, alert.frame, alert.box)
        actual = appearances[index] if index is not None else None
        if actual is not None and actual["watchlist"] and actual["identity"] == claimed:
            correct += 1
            if index in first_alert:
                duplicates += 1
            else:
                first_alert[index] = alert
            continue
        seen = "no ground-truth face" if actual is None else actual["identity"]
        role = "" if actual is None or actual["watchlist"] else " (passer-by)"
        false_alerts.append(
            f"frame {alert.frame}: {seen}{role} matched as {claimed} ({alert.score:.3f})"
        )
    watchlisted = sum(1 for a in appearances if a["watchlist"])
    return Verdict(watchlisted, set(first_alert), correct, duplicates, false_alerts, first_alert)


# --- watchlists ------------------------------------------------------------------------


def enrol_watchlist(engine, truth: dict) -> tuple[np.ndarray, list[str], list[str]]:
    """One entry per usable reference photograph, labelled with its identity."""
    faces_root = Path(truth["faces_root"])
    vectors, identities, rejected = [], [], []
    for person in truth["watchlist"]:
        for relative in person["reference_images"]:
            result = enrol_reference(engine, (faces_root / relative).read_bytes())
            if result.accepted:
                vectors.append(result.embedding)
                identities.append(person["identity"])
            else:
                rejected.append(f"{relative}: {result.message}")
    matrix = np.stack(vectors).astype(np.float32) if vectors else np.empty((0, engine.dim))
    return np.ascontiguousarray(matrix, dtype=np.float32), identities, rejected


def random_unit_rows(rows: int, dim: int, seed: int, chunk: int = 100_000) -> np.ndarray:
    # Filled a chunk at a time, so the temporaries stay small beside the 512 MB matrix.
    rng = np.random.default_rng(seed)
    matrix = np.empty((rows, dim), dtype=np.float32)
    for start in range(0, rows, chunk):
        block = rng.standard_normal((min(chunk, rows - start), dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        matrix[start : start + len(block)] = block
    return matrix


def median_call(queries: np.ndarray, watchlist: np.ndarray, threshold: float) -> tuple:
    """Median seconds of one pipeline.match call, and how many calls were timed."""
    pipeline.match(queries, watchlist, threshold)  # warm caches and BLAS
    timings: list[float] = []
    # At least 20 repeats, and about a second's worth for the cheap sizes.
    while len(timings) < 20 or (sum(timings) < 1.0 and len(timings) < 2000):
        started = time.perf_counter()
        pipeline.match(queries, watchlist, threshold)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), len(timings)


def bench_matching(dim: int, threshold: float, batch: int, sizes=WATCHLIST_SIZES) -> list[tuple]:
    matrix = random_unit_rows(max(sizes), dim, seed=11)
    queries = random_unit_rows(batch, dim, seed=12)
    rows = []
    for size in sizes:
        # A prefix of a C-contiguous array is itself contiguous: no copy, same layout.
        watchlist = matrix[:size]
        per_batch, repeats = median_call(queries, watchlist, threshold)
        # A tracked frame usually has one face due, so a lone face's call matters too.
        single, _ = median_call(queries[:1], watchlist, threshold)
        rows.append((size, watchlist.nbytes, repeats, per_batch, per_batch / batch, single))
    return rows


# --- reporting -------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fastest(best: Run | None, run: Run) -> Run:
    return run if best is None or run.cpu < best.cpu else best


def print_speed(run: Run, fps: float) -> None:
    video_seconds = run.frames / fps
    decode_cpu = run.stages["decode"][1]
    print(
        f"  {run.label:<8} {video_seconds:.1f} s of video in {run.wall:.2f} s wall, "
        f"{run.cpu:.2f} s CPU: {video_seconds / run.wall:.2f}x real time by wall, "
        f"{video_seconds / run.cpu:.2f}x by CPU ({video_seconds / (run.cpu - decode_cpu):.2f}x "
        f"by CPU without decoding); {run.cpu / run.frames * 1e3:.1f} ms CPU per frame"
    )
    parts = ", ".join(f"{stage} {run.stages[stage][1]:.2f}" for stage in STAGES)
    print(f"           CPU seconds by stage: {parts}")
    print(
        f"           faces detected {run.detections}, embeddings {run.embeddings}, "
        f"alerts {len(run.alerts)}"
        + (f", tracks started {run.new_tracks}" if run.label == "tracked" else "")
    )
    if run.wall > run.cpu * 1.1:
        print(
            f"           (wall exceeds CPU by {run.wall / run.cpu - 1:.0%}: other processes "
            "took turns on the core; compare the CPU figures)"
        )


def print_quality(run: Run, verdict: Verdict) -> None:
    recall = len(verdict.recalled) / verdict.watchlisted if verdict.watchlisted else float("nan")
    print(
        f"  {run.label:<8} recall {len(verdict.recalled)}/{verdict.watchlisted} "
        f"watchlisted people ({recall:.0%}); correct alerts {verdict.correct} "
        f"(repeat alerts for an already alerted person {verdict.duplicates}); "
        f"false alerts {len(verdict.false_alerts)}"
    )
    for line in verdict.false_alerts[:10]:
        print(f"           false: {line}")
    if len(verdict.false_alerts) > 10:
        print(f"           ... and {len(verdict.false_alerts) - 10} more")


def print_latency(run: Run, verdict: Verdict, video: dict, fps: float) -> None:
    print(
        f"  {run.label}: person, enters at frame, alert at frame, delay in frames / video s / "
        f"processing s wall / CPU, score, alert stored with chunk at frame (+frames)"
    )
    frames, walls, cpus = [], [], []
    last_frame = video["frames"] - 1
    for index, appearance in enumerate(video["appearances"]):
        if not appearance["watchlist"]:
            continue
        entered = appearance["first_frame"]
        alert = verdict.first_alert.get(index)
        if alert is None:
            print(f"    {appearance['identity']:<36} {entered:4d}  no alert")
            continue
        delay = alert.frame - entered
        # From starting to read the entry frame to the alert's JPEG being ready.
        wall, cpu = alert.produced_at - run.frame_started[entered]
        committed = min((alert.frame // CHUNK_FRAMES + 1) * CHUNK_FRAMES - 1, last_frame)
        frames.append(delay)
        walls.append(wall)
        cpus.append(cpu)
        print(
            f"    {appearance['identity']:<36} {entered:4d} {alert.frame:5d}   "
            f"{delay:3d} fr / {delay / fps:5.2f} s / {wall:5.2f} / {cpu:5.2f} s   "
            f"{alert.score:.3f}   "
            f"{committed:4d} (+{committed - alert.frame})"
        )
    if frames:
        print(
            f"    median delay {statistics.median(frames):.1f} frames = "
            f"{statistics.median(frames) / fps:.2f} s of video, "
            f"{statistics.median(walls):.2f} s wall / {statistics.median(cpus):.2f} s CPU "
            f"of processing; worst {max(frames)} frames = {max(frames) / fps:.2f} s, "
            f"{max(walls):.2f} s wall / {max(cpus):.2f} s CPU"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=12.0, help="clip length (default 12)")
    parser.add_argument("--fps", type=float, default=12.0, help="clip frame rate (default 12)")
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=DEFAULT_SIZES,
        help="frame sizes, WxH comma-separated (default 1280x720,1920x1080)",
    )
    parser.add_argument("--keep", type=Path, help="write the clips here and leave them")
    parser.add_argument("--threshold", type=float, help="default: the engine's calibrated one")
    parser.add_argument("--match-batch", type=int, default=8, help="faces per match call")
    parser.add_argument(
        "--passes", type=int, default=1, help="runs of each clip; the fastest is reported"
    )
    args = parser.parse_args(argv)

    run_started = time.perf_counter()
    args.load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    cv2.setNumThreads(1)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        with_clips(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="lfr-matcher-bench-") as scratch:
            with_clips(args, Path(scratch))
    print(f"\nBenchmark wall time: {time.perf_counter() - run_started:.1f} s")
    return 0


def with_clips(args, out_dir: Path) -> None:
    built = time.perf_counter()
    truth_path = build_video_set(out_dir, seconds=args.seconds, fps=args.fps, sizes=args.sizes)
    built = time.perf_counter() - built
    truth = json.loads(truth_path.read_text())
    engine = create_engine("opencv-sface")
    threshold = engine.default_threshold if args.threshold is None else args.threshold
    matrix, identities, rejected = enrol_watchlist(engine, truth)

    print("LFR matcher benchmark")
    print(
        f"  machine: {cpu_model()}, {os.cpu_count()} cores, load average {args.load} "
        "at start; this process runs on 1 thread"
    )
    print(
        f"  python {platform.python_version()}, OpenCV {cv2.__version__} "
        f"(cv2 threads {cv2.getNumThreads()}), numpy {np.__version__}"
    )
    print(
        f"  engine: {engine.name} ({engine.label}), {engine.dim} dimensions, threshold "
        f"{threshold:.3f} (calibrated default {engine.default_threshold:.3f}, "
        f"floor {engine.floor:.3f}); min face {pipeline.MIN_FACE_SIZE} px"
    )
    print(
        f"  clips: {args.seconds:g} s at {args.fps:g} fps, built in {built:.1f} s "
        f"in {out_dir}{'' if args.keep else ' (temporary)'}"
    )
    people = len(set(identities))
    print(
        f"  watchlist: {len(identities)} reference photographs of {people} people enrolled"
        + (f", {len(rejected)} rejected" if rejected else "")
    )
    for line in rejected:
        print(f"    rejected {line}")

    for video in truth["videos"]:
        path = out_dir / video["file"]
        fps = float(video["fps"])
        watchlisted = sum(1 for a in video["appearances"] if a["watchlist"])
        print(
            f"\n== {video['width']}x{video['height']}: {video['frames']} frames "
            f"({video['frames'] / fps:.1f} s), {len(video['appearances'])} people "
            f"of whom {watchlisted} watchlisted"
        )
        # The first call at a new input size builds YuNet's anchors and dnn buffers;
        # a running camera job has paid that long before, so it is left out.
        capture = cv2.VideoCapture(str(path))
        ok, first = capture.read()
        capture.release()
        if ok:
            pipeline.detect_and_embed(engine, first)
        # Interleaved passes, fastest kept: on a shared machine the slow ones measure
        # the neighbours. Every pass gives the same faces and alerts.
        tracked = naive = None
        for _ in range(args.passes):
            tracked = fastest(tracked, run_tracked(engine, path, matrix, threshold))
            naive = fastest(naive, run_naive(engine, path, matrix, threshold))

        passes = f", fastest of {args.passes} passes by CPU" if args.passes > 1 else ""
        print(f"1. Speed on one core (decoding included, and its share shown{passes})")
        print_speed(tracked, fps)
        print_speed(naive, fps)
        print(f"2. Recall and false alerts (a face is the true face it overlaps, IoU >= {MIN_IOU})")
        tracked_verdict = judge(tracked, video, identities)
        naive_verdict = judge(naive, video, identities)
        print_quality(tracked, tracked_verdict)
        print_quality(naive, naive_verdict)
        print("3. Time from entering the frame to the alert")
        print_latency(tracked, tracked_verdict, video, fps)
        print("5. Naive (embed every face, every frame) against tracked")
        print(
            f"  time naive/tracked {naive.cpu / tracked.cpu:.2f}x by CPU "
            f"({naive.cpu:.2f} s / {tracked.cpu:.2f} s), {naive.wall / tracked.wall:.2f}x "
            f"by wall ({naive.wall:.2f} s / {tracked.wall:.2f} s)"
        )
        print(
            f"  embeddings "
            f"{naive.embeddings} naive, {tracked.embeddings} tracked "
            f"({naive.embeddings / max(tracked.embeddings, 1):.1f}x); alerts "
            f"{len(naive.alerts)} naive, {len(tracked.alerts)} tracked"
        )

    print("\n4. Matching time (pipeline.match on one thread, median of repeats)")
    print(f"  random unit float32 entries of {engine.dim} dimensions")
    batch = args.match_batch
    print(
        f"  {'entries':>10} {'matrix':>9} {'repeats':>8} {f'{batch} faces':>11} "
        f"{'per face':>11} {'1 face alone':>13}"
    )
    for size, nbytes, repeats, per_batch, per_face, single in bench_matching(
        engine.dim, threshold, batch
    ):
        print(
            f"  {size:>10,} {nbytes / 2**20:>6.0f} MB {repeats:>8} "
            f"{duration(per_batch):>11} {duration(per_face):>11} {duration(single):>13}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
