"""The per-frame step of recognition: detect, track, embed, match, crop. Pure: no ORM, no
file, network or logger of its own.

`process_frame` takes one camera's analysis state (matcher.camera_tracks), a frame and
the engine, and returns what happened: the people newly in view, the alerts raised with
their crops, and the timings. A face that does not match lives only in its track's
template, which is overwritten when the track ends; every vector and score computed
here about anyone else is overwritten before the step returns.

The array primitives (matcher.faces) are named here too, so callers have one module
for "detect, embed, compare".
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from matcher.camera_tracks import (
    AlertCandidate,
    Analysis,
    CameraTracks,
    FrameLike,
    Track,
)
from matcher.engines.base import Engine
from matcher.faces import (
    MIN_FACE_SIZE,
    Match,
    crop_face,
    detect_and_embed,
    detect_faces,
    embed_faces,
    match,
    view_quality,
    wipe,
)

__all__ = [
    "MIN_FACE_SIZE",
    "Match",
    "crop_face",
    "detect_and_embed",
    "detect_faces",
    "embed_faces",
    "match",
    "process_frame",
    "wipe",
]


def process_frame(state: CameraTracks, frame: FrameLike, engine: Engine) -> Analysis | None:
    """Analyse one frame, or return None when it is not due (the caller counts it skipped)."""
    now = float(frame.stream_time)
    if not state.due(now):
        return None
    state.last_analysed = now
    if state.handed_on is not None:
        state.take_on(now)
    image = frame.image
    if state.frame_size is None:
        state.frame_size = (int(image.shape[1]), int(image.shape[0]))
    full = state.analysed % max(1, state.settings.detect_every) == 0 or not state.tracks
    state.analysed += 1

    started = time.perf_counter()
    state.end_stale(now)
    new_people = 0
    if full:
        faces = state.detect_scaled(image, engine)
        new_people = state.update_tracks(faces, now, frame.captured_at)
    else:
        state.follow_tracks(image, now, engine)
    detect_ms = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    alerts, embedded = _embed_and_match(state, engine, image, now, frame.captured_at)
    embed_ms = (time.perf_counter() - started) * 1000
    # A face worth an embedding is a person, even if seen on one detection only.
    new_people += sum(state.count(track) for track in embedded)
    for track in state.tracks.values():
        track.face = None
    return Analysis(
        new_people=new_people,
        alerts=alerts,
        detected=full,
        detect_ms=detect_ms,
        embed_ms=embed_ms,
        people_in_view=state.people_in_view,
    )


def _embed_and_match(
    state: CameraTracks, engine: Engine, image: np.ndarray, now: float, captured_at: float
) -> tuple[list[AlertCandidate], list[Track]]:
    """Embed the tracks due for it, match; return (alerts, the tracks embedded)."""
    chosen, checks = _views_to_embed(state, image, now)
    if not (chosen or checks) or not len(state.entry_ids):
        return [], []
    tracks = chosen + checks
    row_of = {id(track): row for row, track in enumerate(tracks)}
    # Every face's vector, known people's checks included, in one call.
    embeddings = embed_faces(engine, image, [track.face for track in tracks])  # type: ignore[misc]
    for row, track in enumerate(checks, start=len(chosen)):
        if state.still_them(track, embeddings[row]):
            track.last_verified = now
            state.remember(track)
        else:
            # Someone else now: a new person from this view on.
            state.restart(track, now, captured_at)
            chosen.append(track)
    templates = _add_to_templates(chosen, embeddings, [row_of[id(t)] for t in chosen], now)
    wipe(embeddings)
    matches = match(templates, state.matrix, state.threshold)
    wipe(templates)
    return _alerts_for(state, matches, chosen, image, now, captured_at), chosen


def _views_to_embed(
    state: CameraTracks, image: np.ndarray, now: float
) -> tuple[list[Track], list[Track]]:
    """(new views worth an embedding, best first; known people due for a check)."""
    settings = state.settings
    candidates: list[tuple[float, Track]] = []
    checks: list[Track] = []
    for track in state.tracks.values():
        face = track.face
        if face is None:
            continue
        if face.size < MIN_FACE_SIZE:
            if track.entry_id is not None:
                state.remember(track)
            continue
        if track.entry_id is not None:
            if _due_for_check(state, track, image, now):
                checks.append(track)
            else:
                state.remember(track)
            continue
        if _worth_embedding(state, track, image, now):
            candidates.append((track.quality, track))
    candidates.sort(key=lambda item: item[0], reverse=True)
    chosen = [track for _, track in candidates[: settings.embeddings_per_frame]]
    return chosen, checks[: max(1, settings.embeddings_per_frame - len(chosen))]


def _due_for_check(state: CameraTracks, track: Track, image: np.ndarray, now: float) -> bool:
    """A known person is checked again now and then, so a track that slid onto someone
    else (two people crossing) cannot hide them."""
    if now - track.last_verified < state.settings.verify_seconds:
        return False
    track.quality = view_quality(image, track.face)  # type: ignore[arg-type]
    return track.quality >= state.settings.min_quality


def _worth_embedding(state: CameraTracks, track: Track, image: np.ndarray, now: float) -> bool:
    """Whether this view of an unknown face adds to its template: the first good view, a
    clearly better one, or after a while one nearly as good."""
    settings = state.settings
    if track.embeddings >= settings.max_embeddings:
        return False
    track.quality = view_quality(image, track.face)  # type: ignore[arg-type]
    if track.quality < settings.min_quality:
        return False
    better = track.quality >= track.best_quality * settings.better_view
    again = (
        now - track.last_embedded >= settings.min_embed_interval
        and track.quality >= track.best_quality / settings.better_view
    )
    return track.embeddings == 0 or better or again


def _add_to_templates(
    tracks: list[Track], embeddings: np.ndarray, rows: list[int], now: float
) -> np.ndarray:
    """Add each track's view (its row of embeddings), weighted by its quality, to its
    template; return the templates as unit rows, in the order of tracks."""
    templates = np.empty((len(tracks), embeddings.shape[1]), dtype=np.float32)
    for index, (track, row) in enumerate(zip(tracks, rows, strict=True)):
        weighted = embeddings[row] * np.float32(track.quality)
        if track.template is None:
            track.template = weighted.copy()
        else:
            track.template += weighted
        wipe(weighted)
        track.embeddings += 1
        track.best_quality = max(track.best_quality, track.quality)
        track.last_embedded = now
        norm = float(np.linalg.norm(track.template))
        templates[index] = track.template / norm if norm > 0 else track.template
    return templates


def _alerts_for(
    state: CameraTracks,
    matches: list[Match],
    tracks: list[Track],
    image: np.ndarray,
    now: float,
    captured_at: float,
) -> list[AlertCandidate]:
    """Mark matched tracks as their entries; an alert, with its crop, for each person
    not already matched on this camera within the rearm window."""
    alerts = []
    for found in matches:
        track = tracks[found.face_index]
        entry_id = state.entry_ids[found.entry_index]
        track.entry_id = entry_id
        track.last_verified = now
        # Known people need no more vectors: the template goes now.
        wipe(track.template)  # type: ignore[arg-type]
        track.template = None
        known = state.matched.get(entry_id)
        repeat = known is not None and now - known.last_seen <= state.settings.rearm_seconds
        state.remember(track)
        if repeat:
            continue
        alerts.append(
            AlertCandidate(
                entry_id=entry_id,
                score=found.score,
                stream_time=now,
                first_seen_stream_time=track.first_seen,
                captured_at=captured_at,
                first_seen_at=track.first_seen_at,
                track_id=track.track_id,
                crop_jpeg=_crop_jpeg(image, track),
            )
        )
    return alerts


def _crop_jpeg(image: np.ndarray, track: Track) -> bytes:
    """The alert's image: the matched face with a margin, as JPEG bytes."""
    crop = crop_face(image, track.face)  # type: ignore[arg-type]
    ok, jpeg = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 90])
    wipe(crop)
    return jpeg.tobytes() if ok else b""
