"""Private Redis and PostgreSQL servers that a fault test owns, crashes and restarts.

The machine's shared servers are never touched: other test runs use them.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

from tests.processes import free_port, wait_for


class RedisServer:
    """`redis-server` on a free loopback port, with no persistence: a crash loses every key,
    queued and unacknowledged Celery messages included."""

    def __init__(self, log_dir: Path):
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(self.binary).exists():
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.proc = None
        self.starts = 0

    def url(self, db):
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self):
        self.starts += 1
        with open(self.log_dir / f"redis-{self.starts}.log", "wb") as log:
            self.proc = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.log_dir),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        assert wait_for(self.answers, timeout=20), "the private Redis did not start"

    def answers(self):
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=1).ping()
        except redis.RedisError:
            return False

    def crash(self):
        """SIGKILL: no shutdown, nothing saved."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.crash()


class PostgresCluster:
    """A PostgreSQL cluster of its own (initdb), on a free loopback port.

    initdb and the server refuse to run as root, so as root they run as `postgres`; the
    cluster lives in a folder under the system temporary folder that user can reach.
    """

    def __init__(self):
        self.bin = _postgres_bin()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="lfr-faults-pg-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        for folder in (self.data, self.socket_dir):
            folder.mkdir()
            if os.geteuid() == 0:
                shutil.chown(folder, "postgres")
        self.log = self.root / "server.log"
        if os.geteuid() == 0:
            self.log.touch()
            shutil.chown(self.log, "postgres")
        try:
            self._as_owner(
                "initdb",
                "-D",
                self.data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            )
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def url(self, name):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def start(self):
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._as_owner("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-o", options, "start")

    def stop(self, mode="immediate"):
        """`immediate` is a crash: no checkpoint, recovery at the next start."""
        self._as_owner("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def copy_database(self, source, name):
        """Copy the database `source` (a Django settings_dict) here as `name`."""
        dump = [
            self.bin / "pg_dump",
            "-h",
            source["HOST"] or "127.0.0.1",
            "-p",
            str(source["PORT"] or 5432),
            "-U",
            source["USER"] or "postgres",
            "-Fc",
            source["NAME"],
        ]
        self._run(self.bin / "createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", name)
        # The tests run as the owner and application roles (tests/db_roles.py): the copy
        # needs them too, for its grants and for the connections that follow.
        if settings.LFR_TEST_DB_ROLES:
            for role in (settings.LFR_DB_OWNER_ROLE, settings.LFR_DB_APP_ROLE):
                psql = [self.bin / "psql", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres"]
                self._run(*psql, "-d", name, "-c", f"CREATE ROLE {role} LOGIN")
        restore = [
            self.bin / "pg_restore",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "--no-owner",
            "-d",
            name,
        ]
        dumped = subprocess.run(dump, capture_output=True, check=True).stdout
        subprocess.run(restore, input=dumped, capture_output=True, check=True)

    def destroy(self):
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _as_owner(self, program, *args):
        command = [str(self.bin / program), *map(str, args)]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        self._run(*command)

    @staticmethod
    def _run(*command):
        result = subprocess.run(list(map(str, command)), capture_output=True, text=True)
        if result.returncode != 0:
            raise subprocess.CalledProcessError(
                result.returncode, command, result.stdout, result.stderr
            )
        return result


def _postgres_bin():
    """The newest installed server binaries (initdb, pg_ctl, pg_dump), or skip."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not candidates:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql")
    return candidates[-1].parent
