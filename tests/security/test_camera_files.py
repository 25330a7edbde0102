"""Camera files are just files: one video in an allowed container, opened by the worker
through FFmpeg's file protocol and single-file demuxers only. The probe's sequence was
an HLS playlist inside a camera folder naming a video outside it."""

import os

import cv2
import numpy as np
import pytest

from lfr_portal.camera_sources import CheckedSource, video_container
from lfr_portal.errors import RuleViolation
from lfr_portal.models import Camera
from lfr_portal.services.cameras import camera_create
from matcher import sources as matcher_sources
from matcher.sources import (
    FFMPEG_OPTIONS_VARIABLE,
    FrameSource,
    SourceRefused,
    open_video_file,
    parse_source,
)


def _write_video(path, frames=12):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for n in range(frames):
        writer.write(np.full((48, 64, 3), n * 15, dtype=np.uint8))
    writer.release()
    assert path.stat().st_size > 0


def _frames(capture):
    count = 0
    while capture.isOpened() and count < 100:
        ok, frame = capture.read()
        if not ok or frame is None:
            break
        count += 1
    capture.release()
    return count


def _playlist(target):
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n"
        f"#EXTINF:2.0,\n{target}\n#EXT-X-ENDLIST\n"
    )


@pytest.fixture
def folders(settings, tmp_path):
    """A camera folder, and a secret video outside every camera folder."""
    root, outside = tmp_path / "cameras", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    settings.LFR_CAMERA_FILE_ROOTS = [str(root)]
    secret = outside / "secret.avi"
    _write_video(secret)
    return root, secret


# Lists that make FFmpeg open other inputs, each under a name the probe might choose.
def _inputs_that_open_others(secret):
    return {
        "cam.m3u8": _playlist(secret),
        "cam.m3u": _playlist(secret),
        "cam.avi": _playlist(secret),  # a playlist disguised as a video
        "cam.mp4": f"ffconcat version 1.0\nfile '{secret}'\n",
        "cam.ts": "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nm=video 5004 RTP/AVP 96\n",
        "cam.sdp": "v=0\ns=x\n",
        "cam.txt": f"file '{secret}'\n",
    }


@pytest.mark.django_db
def test_playlists_and_lists_of_other_inputs_are_refused_at_save(planner, folders):
    root, secret = folders
    for name, text in _inputs_that_open_others(secret).items():
        (root / name).write_text(text)
        with pytest.raises(RuleViolation) as refused:
            camera_create(actor=planner, name=f"Mast {name}", source_url=f"file://{root / name}")
        assert refused.value.code == "camera_file_format", name
        assert refused.value.field == "source_url"
    assert not Camera.objects.exists()


@pytest.mark.django_db
def test_a_real_video_in_the_folder_is_accepted_and_plays(planner, folders):
    root, _ = folders
    video = root / "clip.avi"
    _write_video(video)
    camera_create(actor=planner, name="Mast 1", source_url=f"file://{video}?loop=1")
    source = FrameSource(parse_source(str(video)))
    try:
        assert source.read() is not None
    finally:
        source.close()


def test_the_probes_playlist_is_refused_by_the_worker(folders):
    root, secret = folders
    for name, text in _inputs_that_open_others(secret).items():
        (root / name).write_text(text)
        with pytest.raises(SourceRefused):
            FrameSource(parse_source(str(root / name)))


def test_a_missing_file_is_refused_by_the_worker(folders):
    root, _ = folders
    with pytest.raises(SourceRefused):
        FrameSource(parse_source(str(root / "not-there.avi")))


def test_the_worker_reads_no_frames_from_a_playlist_that_passes_the_check(folders, monkeypatch):
    # Belt and braces: suppose the check were passed (a bug, or a file swapped between
    # the check and the open). FFmpeg's protocol and demuxer lists must still stop it.
    root, secret = folders
    playlist = root / "cam.m3u8"
    playlist.write_text(_playlist(secret))
    passed = CheckedSource(kind="file", path=str(playlist))
    monkeypatch.setattr(matcher_sources, "check_source_url", lambda *a, **k: passed)

    with pytest.raises(matcher_sources.SourceError):
        FrameSource(parse_source(str(playlist)))
    assert _frames(open_video_file(str(playlist))) == 0
    assert FFMPEG_OPTIONS_VARIABLE not in os.environ  # put back as it was
    # Opened without the options, the same playlist reads the outside video: the options
    # are what stop it (if this fails, OpenCV no longer reads the variable).
    assert _frames(cv2.VideoCapture(str(playlist), cv2.CAP_FFMPEG)) > 0


@pytest.mark.parametrize(
    ("head", "container"),
    [
        (b"RIFF\x00\x00\x00\x00AVI LIST", "avi"),
        (b"\x1aE\xdf\xa3\x9fB\x86\x81", "matroska"),
        (b"\x00\x00\x00\x18ftypmp42", "mp4"),
        (bytes([0x47] + [0] * 187) * 3, "mpegts"),
        (b"#EXTM3U\n", None),
        (b"ffconcat version 1.0\n", None),
        (b"v=0\r\n", None),
        (b"", None),
    ],
)
def test_containers_are_known_by_their_first_bytes(head, container):
    assert video_container(head) == container
