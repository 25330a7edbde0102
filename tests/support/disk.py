"""A real, small, full disk for tests: a tmpfs mounted over a folder, then filled.

Mounting needs root or CAP_SYS_ADMIN (the CI machine and this project's development
machines have it); elsewhere the tests that need it are skipped with that reason.
"""

import errno
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def small_disk(path: Path, size_kib: int = 512):
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0777", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill ({mounted.stderr.strip()})")
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


class SmallDisk:
    def __init__(self, path: Path):
        self.path = path
        self.filler = path / ".filler"

    def fill(self):
        """Write until the disk refuses with ENOSPC; prove it is full."""
        with open(self.filler, "ab", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
        with pytest.raises(OSError) as refused:
            (self.path / ".probe").write_bytes(b"x" * 4096)
        assert refused.value.errno == errno.ENOSPC
        (self.path / ".probe").unlink(missing_ok=True)

    def free(self):
        self.filler.unlink()

    def files(self, folder="alerts"):
        return sorted(p for p in (self.path / folder).rglob("*") if p.is_file())
