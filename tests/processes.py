"""Real processes for tests: a Celery worker and beat reading Redis and the test database,
and the web app under gunicorn."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def database_url_for_children():
    db = connection.settings_dict
    user, host = db["USER"] or "postgres", db["HOST"] or "127.0.0.1"
    return f"postgresql://{user}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(**extra):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lfr_portal.settings.test",
        "DATABASE_URL": database_url_for_children(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


@contextmanager
def celery_worker(tmp_path, queues="default,recognition", concurrency=1, pool=None, **env):
    """Start `celery worker` as its own process; stop it and hand back its log on exit.

    It reads the test settings' Redis databases, emptied first, unless `env` names
    others (CELERY_BROKER_URL, CELERY_RESULT_BACKEND): those are used as they are.
    """
    import redis

    if "CELERY_BROKER_URL" not in env:
        for url in (settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND):
            redis.Redis.from_url(url).flushdb()
    command = [
        str(VENV_BIN / "celery"),
        "-A",
        "lfr_portal",
        "worker",
        "-Q",
        queues,
        f"--concurrency={concurrency}",
        *(["--pool", pool] if pool else []),
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"test-{os.getpid()}@%h",
    ]
    with _service(command, tmp_path / "worker.log", env, ready=b" ready.") as proc:
        yield proc


@contextmanager
def celery_beat(tmp_path, **env):
    """Start `celery beat` as its own process, its schedule file under tmp_path."""
    command = [
        str(VENV_BIN / "celery"),
        "-A",
        "lfr_portal",
        "beat",
        "--loglevel=INFO",
        "-s",
        str(tmp_path / "beat-schedule"),
    ]
    with _service(command, tmp_path / "beat.log", env, ready=b"beat: Starting...") as proc:
        yield proc


@contextmanager
def web_server(tmp_path, workers=2, **env):
    """Serve lfr_portal.wsgi with gunicorn on a free loopback port; `proc.url` is its address."""
    port = free_port()
    command = [
        str(VENV_BIN / "gunicorn"),
        "lfr_portal.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        f"--workers={workers}",
        "--timeout=60",
        "--graceful-timeout=5",
        "--no-control-socket",
    ]
    with _service(command, tmp_path / "web.log", env, ready=b"Booting worker") as proc:
        proc.url = f"http://127.0.0.1:{port}"
        yield proc


@contextmanager
def _service(command, log_path, env, *, ready, timeout=60):
    """Run `command` in its own process group until `ready` is in its log; stop it on exit
    and keep its log as `log_text`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=child_env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    proc.log_text_so_far = lambda: log_path.read_text(errors="replace")
    try:
        deadline = time.monotonic() + timeout
        while ready not in log_path.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start:\n{proc.log_text_so_far()}")
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        proc.log_text = log_path.read_text(errors="replace")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=30, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()
