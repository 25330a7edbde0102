"""matcher.frame_reader.FrameReader: never behind a live source; a file at leisure loses nothing."""

import threading
import time

import cv2
import numpy as np
import pytest

from matcher import frame_reader
from matcher.frame_reader import FrameReader
from matcher.pipeline import wipe
from matcher.sources import FrameSource, SourceEnded, SourceLost, parse_source
from tests.processes import wait_for
from tests.support.mjpeg import MJPEGCamera

FPS = 25


@pytest.fixture
def clip(tmp_path):
    """3 s at 25 fps; each frame shows its number as a grey level (ten per frame)."""
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (320, 180))
    for index in range(3 * FPS):
        frame = np.full((180, 320, 3), (index * 10) % 250, dtype=np.uint8)
        writer.write(frame)
    writer.release()
    return path


def reader_of(url, *, live):
    reader = FrameReader(FrameSource(parse_source(url)), live=live)
    reader.start()
    return reader


def drain(reader, *, pause=0.0):
    """Take frames until the file ends; return them."""
    frames = []
    while True:
        try:
            frame = reader.next_frame(timeout=2.0)
        except SourceEnded:
            return frames
        assert frame is not None, "a paced file must keep delivering"
        frames.append((frame, time.time()))
        time.sleep(pause)


def test_a_paced_file_behaves_like_a_camera_a_slow_analyser_skips_never_queues(clip):
    opened = time.time()
    reader = reader_of(f"{clip}?realtime=1", live=True)
    started = time.monotonic()
    frames = drain(reader, pause=0.2)  # an analyser five times slower than the camera
    elapsed = time.monotonic() - started
    reader.close()
    # The clip took its own length to play, not the analyser's pace: 75 frames in ~3 s.
    assert 2.8 <= elapsed <= 4.0
    assert reader.frames_read == 3 * FPS
    assert reader.frames_skipped == 3 * FPS - len(frames)
    assert 10 <= len(frames) <= 20
    positions = [frame.position for frame, _ in frames]
    assert positions == sorted(set(positions))
    for frame, taken_at in frames:
        # Always the newest frame: never more than a frame or two behind live.
        assert taken_at - frame.captured_at < 0.15
        assert frame.stream_time == pytest.approx(frame.position / FPS)
        # By the test's own clock too: the file's time when it was taken, less the frame's.
        assert (taken_at - opened) - frame.stream_time < 0.2


def test_a_file_at_leisure_hands_over_every_frame_in_order(clip):
    reader = reader_of(str(clip), live=False)
    frames = drain(reader, pause=0.0)
    reader.close()
    assert [frame.position for frame, _ in frames] == list(range(3 * FPS))
    assert reader.frames_skipped == 0 and reader.frames_read == 3 * FPS
    assert reader.position == 3 * FPS
    # The frames are the file's, in order.
    assert [round(int(frame.image[0, 0, 0]) / 10) for frame, _ in frames[:10]] == list(range(10))


def test_a_looping_paced_file_keeps_its_clock_running(clip):
    reader = reader_of(f"{clip}?realtime=1&loop=1", live=True)
    times = []
    deadline = time.monotonic() + 4.0
    while time.monotonic() < deadline:
        frame = reader.next_frame(timeout=1.0)
        if frame is not None:
            times.append(frame.stream_time)
    reader.close()
    assert reader.frames_read > 3 * FPS  # went round
    assert times == sorted(times) and times[-1] > 3.0


def test_close_stops_the_reader_thread(clip):
    before = threading.active_count()
    reader = reader_of(f"{clip}?realtime=1&loop=1", live=True)
    assert reader.next_frame(timeout=1.0) is not None
    assert threading.active_count() == before + 1
    reader.close()
    assert threading.active_count() == before
    assert reader.closed


def test_a_stream_that_drops_raises_source_lost_and_reopens(clip):
    camera = MJPEGCamera(clip, fps=FPS).start()
    try:
        reader = reader_of(camera.url, live=True)
        assert wait_for(lambda: reader.next_frame(timeout=1.0) is not None, timeout=10)
        first = reader.next_frame(timeout=1.0)
        assert first is not None and first.stream_time >= 0
        camera.stop()
        with pytest.raises(SourceLost):
            for _ in range(200):
                reader.next_frame(timeout=0.5)
        camera = MJPEGCamera(clip, fps=FPS, port=camera.port).start()
        reader.reopen()
        assert wait_for(lambda: reader.next_frame(timeout=1.0) is not None, timeout=10)
        reader.close()
    finally:
        camera.stop()


def test_a_paced_file_that_ends_keeps_saying_so_and_resumes_after_the_last_frame_taken(clip):
    reader = reader_of(f"{clip}?realtime=1", live=True)
    frames = drain(reader, pause=0.0)
    with pytest.raises(SourceEnded):
        reader.next_frame(timeout=0.5)
    reader.close()
    assert frames[-1][0].position == 3 * FPS - 1
    assert reader.position == 3 * FPS


def test_a_frame_replaced_before_it_was_taken_is_overwritten_never_kept(clip, monkeypatch):
    wiped = []

    def recording_wipe(*arrays):
        wiped.extend(arrays)
        wipe(*arrays)

    monkeypatch.setattr(frame_reader, "wipe", recording_wipe)
    reader = reader_of(f"{clip}?realtime=1", live=True)
    taken = [frame for frame, _ in drain(reader, pause=0.2)]
    reader.close()
    # Frames passed over while the reader caught up were never decoded; every decoded
    # frame the analyser did not take was overwritten in place.
    assert 0 < len(wiped) <= reader.frames_skipped
    assert all(not image.any() for image in wiped)
    assert not {id(frame.image) for frame in taken} & {id(image) for image in wiped}
    # What the analyser took is intact: each frame still shows its own number.
    assert [round(int(f.image[0, 0, 0]) / 10) for f in taken] == [f.position % 25 for f in taken]


def test_a_reader_thread_that_fails_reports_the_source_lost(clip):
    source = FrameSource(parse_source(f"{clip}?realtime=1"))
    real_read, reads = source.read, []

    def failing_read(**kwargs):
        reads.append(1)
        if len(reads) > 3:
            raise cv2.error("decoder gave up")
        return real_read(**kwargs)

    source.read = failing_read
    reader = FrameReader(source, live=True)
    reader.start()
    with pytest.raises(SourceLost) as lost:
        for _ in range(50):
            reader.next_frame(timeout=0.5)
    assert "error" in str(lost.value)
    reader.close()


def test_close_never_releases_a_capture_another_thread_is_still_reading(clip, monkeypatch):
    monkeypatch.setattr(FrameReader, "STOP_WAIT", 0.2)
    source = FrameSource(parse_source(f"{clip}?realtime=1"))
    release = threading.Event()
    real_read = source.read

    def stuck_read(**kwargs):
        release.wait(10)  # a stream read waiting on its own timeout
        return real_read(**kwargs)

    source.read = stuck_read
    before = threading.active_count()
    reader = FrameReader(source, live=True)
    reader.start()
    started = time.monotonic()
    reader.close()
    assert time.monotonic() - started < 2
    assert source._capture is not None  # still in use by the stuck read
    release.set()
    assert wait_for(lambda: threading.active_count() == before, timeout=5)
    assert source._capture is None  # the thread let go of it as it ended


def test_a_stream_is_read_live_and_a_reopen_while_it_is_down_says_so(clip):
    camera = MJPEGCamera(clip, fps=FPS).start()
    reader = FrameReader(FrameSource(parse_source(camera.url)), live=False)
    try:
        assert reader.live
        reader.start()
        assert wait_for(lambda: reader.next_frame(timeout=1.0) is not None, timeout=10)
        camera.stop()
        with pytest.raises(SourceLost):
            for _ in range(200):
                reader.next_frame(timeout=0.5)
        with pytest.raises(SourceLost):
            reader.reopen()
        with pytest.raises(SourceLost):
            reader.next_frame(timeout=0.1)
        camera = MJPEGCamera(clip, fps=FPS, port=camera.port).start()
        reader.reopen()
        assert wait_for(lambda: reader.next_frame(timeout=1.0) is not None, timeout=10)
        frame = reader.next_frame(timeout=1.0)
        assert frame is not None and frame.image.shape == (180, 320, 3)
    finally:
        reader.close()
        camera.stop()
