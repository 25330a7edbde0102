"""Camera sources: only allowed schemes, camera networks and camera folders, checked when
saved and again by the worker just before it connects, names resolved and re-checked."""

import os
import socket

import pytest

from lfr_portal.camera_sources import check_source_url, mask_url
from lfr_portal.errors import RuleViolation
from lfr_portal.models import Camera, CameraState, DeploymentCamera
from lfr_portal.selectors.readiness import camera_reachable
from lfr_portal.services.cameras import camera_create
from matcher import jobs
from matcher import sources as matcher_sources
from matcher.sources import FrameSource, SourceLost, SourceRefused, parse_source
from tests.builders import live

REAL_GETADDRINFO = socket.getaddrinfo


def answers(mapping):
    """A getaddrinfo that answers for the test's names and leaves every other name alone."""

    def getaddrinfo(host, port, *args, **kwargs):
        if host in mapping:
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in mapping[host]
            ]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    return getaddrinfo


@pytest.fixture
def no_capture(monkeypatch):
    """Fail the test if the worker ever hands a URL to OpenCV; record what it was given."""
    opened = []

    class Capture:
        def __init__(self, url, *args):
            opened.append(url)

        def isOpened(self):  # noqa: N802 (OpenCV's name)
            return False

        def release(self):
            pass

    monkeypatch.setattr(matcher_sources.cv2, "VideoCapture", Capture)
    return opened


# --- when the URL is saved ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("ftp://10.0.0.5/cam", "camera_scheme"),
        ("gopher://10.0.0.5:70/", "camera_scheme"),
        ("javascript:alert(1)", "camera_scheme"),
        ("rtsp://10.0.0.5/a stream", "camera_scheme"),
        ("rtsp://192.168.1.20/stream", "camera_network"),
        ("rtsp://8.8.8.8/stream", "camera_network"),
        ("http://169.254.169.254/latest/meta-data/", "camera_network"),
        ("http://0.0.0.0:8000/", "camera_network"),
        ("rtsp://[::ffff:192.168.1.20]/stream", "camera_network"),
        ("rtsp://[fe80::1]/stream", "camera_network"),
        ("rtsp:///stream", "camera_host"),
        ("rtsp://10.0.0.5:99999/stream", "camera_host"),
        ("rtsp://cam..north/stream", "camera_host"),
        ("rtsp://-cam-.example/stream", "camera_host"),
        ("file:///etc/passwd", "camera_file_root"),
        ("/etc/passwd", "camera_file_root"),
        ("file:///tmp/../etc/passwd", "camera_file_root"),
        ("file://fileserver/share/clip.avi", "camera_file_root"),
        ("clip.avi", "camera_file_root"),
    ],
)
def test_a_source_outside_the_rules_is_refused_when_saved(planner, url, rule):
    with pytest.raises(RuleViolation) as refused:
        camera_create(actor=planner, name="Mast 9", source_url=url)

    assert refused.value.code == rule
    assert refused.value.field == "source_url"
    assert not Camera.objects.exists()


def test_a_file_that_links_out_of_the_camera_folder_is_refused(planner, tmp_path):
    link = tmp_path / "clip.avi"
    os.symlink("/etc/passwd", link)

    with pytest.raises(RuleViolation) as refused:
        camera_create(actor=planner, name="Mast 9", source_url=f"file://{link}?loop=1")

    assert refused.value.code == "camera_file_root"


@pytest.mark.parametrize(
    "url",
    [
        "rtsp://10.0.0.5/stream",
        "rtsps://officer:pw@10.1.2.3:8554/live",
        "http://127.0.0.1:8080/stream.mjpg",
        "rtsp://[::1]/stream",
        "file://{tmp}/clip.avi?loop=1&realtime=1",
        "{tmp}/clip.avi",
        # Unresolvable here but well formed: the worker resolves and checks it.
        "rtsp://camera-7.invalid/stream1",
    ],
)
def test_a_source_inside_the_rules_is_accepted(planner, tmp_path, url):
    camera = camera_create(actor=planner, name="Mast 1", source_url=url.format(tmp=tmp_path))

    assert Camera.objects.get(pk=camera.pk).source_url == url.format(tmp=tmp_path)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/stream.mjpg",
        "http://localhost:8080/stream.mjpg",
        "http://2130706433/stream.mjpg",  # 127.0.0.1 written as one number
        "http://0x7f.1/stream.mjpg",  # and in hexadecimal
        "rtsp://[::1]/stream",
    ],
)
def test_loopback_is_refused_where_it_is_not_allowed(planner, settings, url):
    settings.LFR_CAMERA_ALLOW_LOOPBACK = False

    with pytest.raises(RuleViolation) as refused:
        camera_create(actor=planner, name="Mast 1", source_url=url)

    assert refused.value.code in ("camera_network", "camera_host")


def test_a_name_is_checked_against_every_address_it_resolves_to(planner, monkeypatch):
    monkeypatch.setattr(
        socket, "getaddrinfo", answers({"cam-north.example.test": ["10.0.0.5", "192.168.7.7"]})
    )

    with pytest.raises(RuleViolation) as refused:
        camera_create(actor=planner, name="Mast 1", source_url="rtsp://cam-north.example.test/s")

    assert refused.value.code == "camera_network"
    assert "192.168.7.7" in refused.value.message


def test_the_api_names_the_rule(api, planner):
    api.force_authenticate(planner)

    response = api.post(
        "/api/cameras/create/",
        {"name": "Mast 1", "source_url": "http://169.254.169.254/latest/meta-data/"},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["rule"] == "camera_network" and body["field"] == "source_url"
    assert "outside the camera networks" in body["detail"] or "never a camera" in body["detail"]


# --- in the worker, just before it connects -------------------------------------------


def test_dns_rebinding_is_caught_by_the_worker(planner, monkeypatch, no_capture):
    name = "cam-north.example.test"
    monkeypatch.setattr(socket, "getaddrinfo", answers({name: ["10.0.0.5"]}))
    camera = camera_create(actor=planner, name="Mast 1", source_url=f"rtsp://{name}/stream")
    # Later the name answers with a private address outside the camera networks.
    monkeypatch.setattr(socket, "getaddrinfo", answers({name: ["192.168.50.10"]}))

    with pytest.raises(SourceRefused) as refused:
        FrameSource(parse_source(camera.source_url))

    assert "192.168.50.10" in str(refused.value) and "camera networks" in str(refused.value)
    assert no_capture == []


def test_the_worker_connects_to_the_address_it_checked(monkeypatch, no_capture):
    name = "cam-north.example.test"
    monkeypatch.setattr(socket, "getaddrinfo", answers({name: ["10.0.0.5"]}))

    with pytest.raises(SourceLost) as lost:
        FrameSource(parse_source(f"rtsp://officer:Pa55-w0rd@{name}:8554/stream#x"))

    # By address, so a second lookup by FFmpeg cannot be answered differently.
    assert no_capture == ["rtsp://officer:Pa55-w0rd@10.0.0.5:8554/stream"]
    assert "Pa55-w0rd" not in str(lost.value) and "officer" not in str(lost.value)


def test_an_unresolvable_name_is_never_connected_and_is_retried(no_capture):
    with pytest.raises(SourceLost):
        FrameSource(parse_source("rtsp://camera-1.invalid/stream1"))

    assert no_capture == []


def test_a_file_outside_the_camera_folders_is_refused_by_the_worker(settings, tmp_path):
    video = tmp_path / "clip.avi"
    video.write_bytes(b"not opened")
    settings.LFR_CAMERA_FILE_ROOTS = [str(tmp_path / "elsewhere")]

    with pytest.raises(SourceRefused):
        FrameSource(parse_source(str(video)))


def test_a_refused_source_fails_the_job_with_a_clear_state(operator, monkeypatch, no_capture):
    deployment = live(operator)
    booking = DeploymentCamera.objects.get(deployment=deployment)
    # A row written before these rules, or by hand: the worker is the last line.
    Camera.objects.filter(pk=booking.camera_id).update(
        source_url="rtsp://officer:Pa55-w0rd@192.168.50.10/stream"
    )
    monkeypatch.setattr(jobs, "get_engine", lambda name: object())

    outcome = jobs.run_camera_job(booking.pk, time_budget=1)

    booking.refresh_from_db()
    assert outcome == jobs.JobOutcome.FAILED
    assert booking.state == CameraState.FAILED
    assert "camera source rules" in booking.state_detail
    assert "192.168.50.10" in booking.state_detail
    assert "Pa55-w0rd" not in booking.state_detail
    assert no_capture == []


def test_the_go_live_probe_obeys_the_same_rules(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the probe must not connect")

    monkeypatch.setattr(socket, "create_connection", refuse)

    assert camera_reachable("http://192.168.1.1/") is False
    assert camera_reachable("http://169.254.169.254/") is False
    assert camera_reachable("file:///etc/passwd") is False


def test_the_checked_stream_keeps_port_and_credentials():
    checked = check_source_url("rtsp://u:p@10.0.0.5:8554/live?channel=1", resolve=True)

    assert checked.connect_url == "rtsp://u:p@10.0.0.5:8554/live?channel=1"
    assert (
        mask_url("rtsp://u:p@10.0.0.5:8554/live?pwd=p") == "rtsp://u:***@10.0.0.5:8554/live?pwd=***"
    )
