"""The README's run command, on a fresh copy of the tree: web, worker and beat come up."""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.processes import ROOT, wait_for


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fresh_copy(dest: Path):
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if not source.is_file():
            continue
        target = dest / name.decode()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
        target.chmod(source.stat().st_mode)
    # The virtual environment is shared so the test does not download the world again;
    # scripts/run still checks it against requirements.txt.
    (dest / ".venv").symlink_to(ROOT / ".venv")


@pytest.mark.worker
def test_run_command_brings_up_web_worker_and_beat(tmp_path):
    app_dir = tmp_path / "lfr-portal"
    _fresh_copy(app_dir)
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_"))
    }
    env.update({"LFR_PORT": str(port), "PYTHONUNBUFFERED": "1"})
    log_path = tmp_path / "run.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            ["bash", "scripts/run"],
            cwd=app_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def home_up():
            try:
                return requests.get(base + "/", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        assert wait_for(home_up, timeout=240, interval=1), log_path.read_text()
        output = log_path.read_text()
        assert f"open http://127.0.0.1:{port}/" in output
        password = re.search(r"password for all: (\S+)\)", output).group(1)

        session = _log_in(base, "ao", password)
        assert "awaiting your approval" in session.get(base + "/dashboard/", timeout=5).text

        def worker_pings():
            ping = subprocess.run(
                [str(app_dir / ".venv/bin/celery"), "-A", "lfr_portal", "inspect", "ping"],
                cwd=app_dir,
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
            )
            return ping.returncode == 0 and "pong" in ping.stdout

        assert wait_for(worker_pings, timeout=90, interval=2), log_path.read_text()
        assert wait_for(lambda: "beat: Starting" in log_path.read_text(), timeout=30)
        assert len(_processes_in(app_dir)) >= 4  # honcho, web, worker and beat at least

        # The copy has nothing beside it, so this is the demo a fresh clone gives: the
        # operator goes live on Oxford Circus and the bundled faces raise alerts.
        operator = _log_in(base, "operator", password)
        dashboard = operator.get(base + "/dashboard/", timeout=5).text
        deployment = re.search(
            r'href="(/deployments/[0-9a-f-]{36}/)">Oxford Circus shopping day<', dashboard
        ).group(1)
        detail = operator.get(base + deployment, timeout=5).text
        assert "Oxford Circus shopping day" in detail
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', detail).group(1)
        started = operator.post(
            base + deployment + "start/",
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": base + deployment},
            timeout=10,
            allow_redirects=False,
        )
        assert started.headers.get("Location") == deployment + "operate/", started.text[:2000]

        def alerts_shown():
            feed = operator.get(base + deployment + "operate/feed.json", timeout=5).json()
            return feed["live"] and feed["alerts"]

        assert wait_for(alerts_shown, timeout=120, interval=2), log_path.read_text()[-5000:]
    finally:
        # Ctrl-C in the terminal: SIGINT to the whole process group.
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    time.sleep(0.5)
    assert _processes_in(app_dir) == [], "processes left running after Ctrl-C"


def _log_in(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    login_page = session.get(base + "/accounts/login/", timeout=5)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    response = session.post(
        base + "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": base + "/accounts/login/"},
        timeout=5,
        allow_redirects=False,
    )
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/"
    return session


def _processes_in(directory: Path):
    """Processes whose working directory is inside the copy (web, worker, beat)."""
    found = []
    for proc_dir in Path("/proc").glob("[0-9]*"):
        try:
            cwd = os.readlink(proc_dir / "cwd")
        except OSError:
            continue
        if cwd.startswith(str(directory)):
            found.append(int(proc_dir.name))
    return found
