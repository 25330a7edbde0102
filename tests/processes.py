"""Real processes for tests: a Celery worker reading Redis and the test database."""

import os
import signal
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
def celery_worker(tmp_path, queues="default,recognition", concurrency=1, **env):
    """Start `celery worker` as its own process; stop it and hand back its log on exit."""
    import redis

    for url in (settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND):
        redis.Redis.from_url(url).flushdb()
    tmp_path.mkdir(parents=True, exist_ok=True)
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                str(VENV_BIN / "celery"),
                "-A",
                "lfr_portal",
                "worker",
                "-Q",
                queues,
                f"--concurrency={concurrency}",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=child_env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    proc.log_text_so_far = lambda: log_path.read_text(errors="replace")
    try:
        _wait_ready(proc, log_path)
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


def _wait_ready(proc, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited early:\n{log_path.read_text(errors='replace')}")
        if b" ready." in log_path.read_bytes():
            return
        time.sleep(0.2)
    raise RuntimeError(f"worker not ready in {timeout}s:\n{log_path.read_text(errors='replace')}")


def wait_for(predicate, timeout=30, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()
