"""Build a small test video set with known ground truth from the bundled face set.

    .venv/bin/python benchmarks/make_test_videos.py [OUT_DIR] [--seconds 12] [--fps 12]
        [--sizes 640x360,1280x720] [--faces matcher/sample_faces] [--seed 7]
        [--returns] [--noise-frames N]

The cast comes from the AT&T Database of Faces bundled in matcher/sample_faces (credit:
AT&T Laboratories Cambridge); --faces names another folder that holds att_faces/.

Faces cut from the labelled photographs walk across a synthetic street scene
in three lanes at different depths (so at several sizes, growing as they come
nearer). Some people are on the watchlist, the rest are passers-by; the video
never shows a watchlisted person in one of their reference images, so a match
has to generalise as it would in the street.

Writes one MJPG .avi per size and ground_truth.json: the watchlist (identities
and reference images), and per video each appearance, that is each pass of one
person across the street: its identity, whether it is watchlisted, which of that
person's passes it is, its first and last frame and the face box in every frame.

--returns makes the clip a live benchmark wants (use 20 s at 25 fps): ten people,
two more passers-by among them, in twelve passes; two watchlisted people come back
for a second pass, so four passes by watchlisted people are never the first sight
of them. Passes on different lanes share the screen.
OUT_DIR defaults to a new temporary directory; nothing is written in the
repository, and the photographs are never copied, only rendered into frames.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from matcher.face_sets import BUNDLED_ROOT, images_of  # noqa: E402 - needs the path above

DEFAULT_FACES = BUNDLED_ROOT

# Who appears, and in which photograph, chosen by measurement: every photograph of the
# 40 AT&T people was pasted on the street at face heights of 36, 47, 62 and 90 px
# (the 640x360 lanes), JPEG-compressed, detected and embedded, and scored against the
# other nine photographs of each person enrolled as references. The three watchlisted
# people below are found once at every size and score at least 0.81 against their own
# references; every passer-by scores at most 0.35 against anyone else's references
# (the default threshold is 0.500), so the video tests the matcher, not one bad photo.
# In the default 12 s videos (seed 7) the three are matched to the right person in 194
# of their 195 frames at 640x360 and at 1280x720; no passer-by scores above 0.42.
WATCHLIST_IN_VIDEO = [
    ("att_faces/s31", "6.jpg"),
    ("att_faces/s9", "6.jpg"),
    ("att_faces/s7", "7.jpg"),
]
# On the watchlist but never in the video: an alert for them is a false alert.
WATCHLIST_ABSENT = [
    ("att_faces/s29", ["1.jpg", "2.jpg", "3.jpg"]),
    ("att_faces/s14", ["2.jpg", "3.jpg"]),
]
PASSERS_BY = [
    ("att_faces/s19", "4.jpg"),
    ("att_faces/s17", "4.jpg"),
    ("att_faces/s26", "8.jpg"),
    ("att_faces/s13", "5.jpg"),
    ("att_faces/s30", "9.jpg"),
]
# Two more passers-by for --returns, chosen the same way: pasted at face heights of
# 36, 47, 62 and 90 px on the 640x360 street and JPEG-compressed, each is detected at
# every height and scores at most 0.11 against every watchlist reference, the lowest
# two people outside the cast (the five above score 0.19 to 0.32 measured the same way).
PASSERS_BY_RETURNS = [
    ("att_faces/s15", "1.jpg"),
    ("att_faces/s25", "6.jpg"),
]

# (centre height as a fraction of the frame, face height at entry and exit as
# fractions of the frame, direction): far lane small, near lane large.
LANES = [
    (0.30, 0.10, 0.13, +1),
    (0.50, 0.13, 0.19, -1),
    (0.68, 0.17, 0.25, +1),
]
SPRITE_SIDE_PER_FACE = 2.0  # the cut-out spans twice the face, for hair and shoulders
LEAD_IN = 0.1  # share of the clip with an empty street first: detections there are false


@dataclass
class Sprite:
    image: np.ndarray  # square BGR cut-out
    alpha: np.ndarray  # float32 in [0, 1], same size
    face_box: tuple[float, float, float, float]  # inside the cut-out, pixels


@dataclass
class Actor:
    identity: str
    source_image: str
    watchlist: bool
    sprite: Sprite
    lane: int
    start: float  # seconds
    duration: float


def cut_out(image: np.ndarray, box: tuple[float, float, float, float]) -> Sprite:
    """A square around the face, padded by edge replication where it leaves the photo."""
    x, y, w, h = box
    side = int(round(SPRITE_SIDE_PER_FACE * max(w, h)))
    left = int(round(x + w / 2 - side / 2))
    top = int(round(y + h / 2 - side / 2))
    height, width = image.shape[:2]
    pad = max(0, -left, -top, left + side - width, top + side - height)
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    crop = padded[top + pad : top + pad + side, left + pad : left + pad + side].copy()
    alpha = np.zeros((side, side), np.float32)
    cv2.ellipse(
        alpha,
        (side // 2, side // 2),
        (int(side * 0.40), int(side * 0.48)),
        0,
        0,
        360,
        1.0,
        thickness=-1,
    )
    # A soft edge, so the detector sees a head on a street rather than a pasted rectangle.
    alpha = cv2.GaussianBlur(alpha, (0, 0), side * 0.04)
    return Sprite(image=crop, alpha=alpha, face_box=(x - left, y - top, w, h))


def load_sprite(engine, faces_root: Path, identity: str, filename: str) -> Sprite:
    path = faces_root / identity / filename
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"Cannot read {path}.")
    faces = engine.detect(image)
    if not faces:
        # Tight crops: the whole photograph is the face.
        height, width = image.shape[:2]
        return cut_out(image, (0.0, 0.0, float(width), float(height)))
    face = max(faces, key=lambda f: f.box[2] * f.box[3])
    return cut_out(image, face.box)


def street_background(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Sky, buildings, pavement: enough texture and edges to tempt a detector."""
    frame = np.zeros((height, width, 3), np.uint8)
    horizon = int(height * 0.45)
    sky = np.linspace(220, 160, horizon, dtype=np.float32)[:, None]
    frame[:horizon] = np.stack([sky + 20, sky + 5, sky - 10], axis=-1).clip(0, 255).astype(np.uint8)
    frame[horizon:] = (95, 100, 105)
    x = 0
    while x < width:
        building_width = int(rng.integers(width // 12, width // 5))
        top = int(rng.integers(int(height * 0.08), int(height * 0.35)))
        colour = tuple(int(c) for c in rng.integers(60, 200, size=3))
        cv2.rectangle(frame, (x, top), (x + building_width, horizon), colour, -1)
        for wy in range(top + 8, horizon - 10, max(12, height // 24)):
            for wx in range(x + 6, x + building_width - 10, max(14, width // 40)):
                cv2.rectangle(frame, (wx, wy), (wx + 6, wy + 8), (40, 40, 50), -1)
        x += building_width
    for stripe in range(horizon, height, max(8, height // 20)):
        cv2.line(frame, (0, stripe), (width, stripe), (80, 84, 88), 1)
    return frame


def paste(frame: np.ndarray, sprite_image: np.ndarray, alpha: np.ndarray, left: int, top: int):
    height, width = frame.shape[:2]
    side = sprite_image.shape[0]
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + side, width), min(top + side, height)
    if x0 >= x1 or y0 >= y1:
        return
    region = frame[y0:y1, x0:x1].astype(np.float32)
    part = sprite_image[y0 - top : y1 - top, x0 - left : x1 - left].astype(np.float32)
    weight = alpha[y0 - top : y1 - top, x0 - left : x1 - left, None]
    frame[y0:y1, x0:x1] = (part * weight + region * (1 - weight)).astype(np.uint8)


def cast(engine, faces_root: Path, seconds: float, *, returns: bool = False) -> list[Actor]:
    passers_by = PASSERS_BY + (PASSERS_BY_RETURNS if returns else [])
    people = [(identity, image, True) for identity, image in WATCHLIST_IN_VIDEO] + [
        (identity, image, False) for identity, image in passers_by
    ]
    # Interleave watchlisted people and passers-by so they share the screen.
    order = [0, 3, 1, 4, 2, 5, 6, 7][: len(people)]
    if returns:
        # Four turns of three lanes. The first two watchlisted people come back in the
        # last turn, on another lane, half a crossing after they left (3.6 s in a 20 s
        # clip, more than the 3 s an alert stays armed for someone gone): two passes
        # each, so two alerts each.
        order = [0, 3, 1, 4, 2, 5, 6, 7, 8, 1, 9, 0]
    per_lane = -(-len(order) // len(LANES))
    # Same lane, same direction and speed, starts half a crossing apart: no overlaps.
    lead_in = seconds * LEAD_IN
    duration = (seconds - lead_in) / (1 + (per_lane - 1) / 2)
    actors = []
    for slot, person_index in enumerate(order):
        identity, image, watchlisted = people[person_index]
        lane = slot % len(LANES)
        turn = slot // len(LANES)
        actors.append(
            Actor(
                identity=identity,
                source_image=f"{identity}/{image}",
                watchlist=watchlisted,
                sprite=load_sprite(engine, faces_root, identity, image),
                lane=lane,
                start=lead_in + turn * duration / 2,
                duration=duration,
            )
        )
    return actors


def render_video(
    actors: list[Actor],
    path: Path,
    *,
    width: int,
    height: int,
    fps: float,
    seconds: float,
    seed: int,
    noise_frames: int = 0,
) -> dict:
    rng = np.random.default_rng(seed)
    background = street_background(width, height, rng)
    # Fresh sensor noise on every frame costs more than the rest of a 1080p frame; a
    # bank of noise frames played in turn is enough for long clips (0: fresh each time).
    bank = [
        rng.normal(0, 3, background.shape).round().clip(-127, 127).astype(np.int8)
        for _ in range(noise_frames)
    ]
    frames = int(round(seconds * fps))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    if not writer.isOpened():
        raise SystemExit(f"OpenCV cannot write MJPG video to {path}.")
    appearances = {
        index: {
            "actor": index,
            "identity": actor.identity,
            "source_image": actor.source_image,
            "watchlist": actor.watchlist,
            "lane": actor.lane,
            "boxes": [],
        }
        for index, actor in enumerate(actors)
    }
    for frame_index in range(frames):
        now = frame_index / fps
        frame = background.copy()
        for index, actor in enumerate(actors):
            progress = (now - actor.start) / actor.duration
            if not 0 <= progress <= 1:
                continue
            box = place_actor(frame, actor, progress, now, width, height)
            appearances[index]["boxes"].append([frame_index, *[round(v, 1) for v in box]])
        if bank:
            noisy = np.add(frame, bank[frame_index % len(bank)], dtype=np.int16)
        else:
            noisy = frame.astype(np.int16) + rng.normal(0, 3, frame.shape).astype(np.int16)
        writer.write(noisy.clip(0, 255).astype(np.uint8))
    writer.release()
    records = []
    passes_so_far: dict[str, int] = {}
    for record in appearances.values():
        if not record["boxes"]:
            continue
        passes_so_far[record["identity"]] = passes_so_far.get(record["identity"], 0) + 1
        record["pass"] = passes_so_far[record["identity"]]
        record["first_frame"] = record["boxes"][0][0]
        record["last_frame"] = record["boxes"][-1][0]
        sizes = [box[4] for box in record["boxes"]]
        record["face_height_px"] = [min(sizes), max(sizes)]
        records.append(record)
    return {
        "file": path.name,
        "width": width,
        "height": height,
        "fps": fps,
        "frames": frames,
        "appearances": records,
    }


def place_actor(frame, actor: Actor, progress: float, now: float, width: int, height: int):
    """Draw the actor at this point of its walk; return the face box drawn, in pixels."""
    centre_y, first_size, last_size, direction = LANES[actor.lane]
    face_height = height * (first_size + (last_size - first_size) * progress)
    sprite = actor.sprite
    fx, fy, fw, fh = sprite.face_box
    scale = face_height / fh
    side = max(2, int(round(sprite.image.shape[0] * scale)))
    image = cv2.resize(sprite.image, (side, side), interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(sprite.alpha, (side, side), interpolation=cv2.INTER_LINEAR)
    face_w, face_h = fw * scale, fh * scale
    # The face stays wholly inside the frame from first to last frame.
    margin = face_w / 2 + 4
    travel = progress if direction > 0 else 1 - progress
    face_cx = margin + (width - 2 * margin) * travel
    face_cy = height * centre_y + 0.01 * height * np.sin(2 * np.pi * 1.6 * now + actor.lane)
    left = int(round(face_cx - (fx + fw / 2) * scale))
    top = int(round(face_cy - (fy + fh / 2) * scale))
    paste(frame, image, alpha, left, top)
    return (left + fx * scale, top + fy * scale, face_w, face_h)


def build_video_set(
    out_dir: Path,
    *,
    faces_root: Path = DEFAULT_FACES,
    seconds: float = 12.0,
    fps: float = 12.0,
    sizes: list[tuple[int, int]] | None = None,
    seed: int = 7,
    returns: bool = False,
    noise_frames: int = 0,
) -> Path:
    from matcher.engines import create_engine

    sizes = sizes or [(640, 360), (1280, 720)]
    out_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine("opencv-sface")
    actors = cast(engine, faces_root, seconds, returns=returns)
    videos = [
        render_video(
            actors,
            out_dir / f"clip_{width}x{height}.avi",
            width=width,
            height=height,
            fps=fps,
            seconds=seconds,
            seed=seed,
            noise_frames=noise_frames,
        )
        for width, height in sizes
    ]
    watchlist = [
        {
            "identity": identity,
            "in_video": True,
            "reference_images": [
                f"{identity}/{p.name}" for p in images_of(faces_root / identity) if p.name != shown
            ],
        }
        for identity, shown in WATCHLIST_IN_VIDEO
    ] + [
        {
            "identity": identity,
            "in_video": False,
            "reference_images": [f"{identity}/{name}" for name in names],
        }
        for identity, names in WATCHLIST_ABSENT
    ]
    truth = {
        "faces_root": str(faces_root.resolve()),
        "seconds": seconds,
        "fps": fps,
        "seed": seed,
        "returns": returns,
        "noise_frames": noise_frames,
        "box_format": "[frame, x, y, width, height] of the face, pixels",
        "watchlist": watchlist,
        "passers_by": [
            identity for identity, _ in PASSERS_BY + (PASSERS_BY_RETURNS if returns else [])
        ],
        "videos": videos,
    }
    path = out_dir / "ground_truth.json"
    path.write_text(json.dumps(truth))
    return path


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for item in text.split(","):
        width, _, height = item.strip().partition("x")
        sizes.append((int(width), int(height)))
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", type=Path, help="default: a new temporary directory")
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--fps", type=float, default=12.0)
    parser.add_argument("--sizes", type=parse_sizes, default=[(640, 360), (1280, 720)])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--returns",
        action="store_true",
        help="ten people; two watchlisted people make a second pass (use 20 s at 25 fps)",
    )
    parser.add_argument(
        "--noise-frames",
        type=int,
        default=0,
        help="play a bank of this many noise frames in turn (faster for long clips; 0: fresh)",
    )
    args = parser.parse_args(argv)
    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="lfr-test-videos-"))
    truth = build_video_set(
        out_dir,
        faces_root=args.faces,
        seconds=args.seconds,
        fps=args.fps,
        sizes=args.sizes,
        seed=args.seed,
        returns=args.returns,
        noise_frames=args.noise_frames,
    )
    print(truth)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
