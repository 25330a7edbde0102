"""Load on the public transparency page: requests per second and latency percentiles of
/transparency/ under many concurrent clients, against the same server's static CSS file
as the ceiling, and the page with its cache switched off for comparison.

    .venv/bin/python benchmarks/transparency_bench.py [--deployments 200] [--connections 64]
        [--duration 10] [--workers 4] [--cache locmem|redis]

Runs gunicorn with the production settings on 127.0.0.1 only, on its own PostgreSQL
database (lfr_transparency_bench, created and dropped here), so it never touches real
data. Drives it with wrk (Debian's `wrk`) when installed, else with a bounded Python
client. Every run is bounded in time; the script stops the server by itself. Prints
its figures; asserts nothing about time. `--cache redis` shares one cache between the
gunicorn workers through Redis database 13 on 127.0.0.1, which it clears first.
"""

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "lfr_transparency_bench"
HOST = "127.0.0.1"  # loopback only, always
REDIS_CACHE_URL = "redis://127.0.0.1:6379/13"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=200)
    parser.add_argument("--connections", type=int, default=64, help="concurrent clients")
    parser.add_argument("--duration", type=int, default=10, help="seconds per target (max 60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--cache", choices=("locmem", "redis"), default="locmem")
    args = parser.parse_args()
    args.duration = max(1, min(args.duration, 60))
    args.connections = max(1, min(args.connections, 1000))

    subprocess.run(["dropdb", "-h", HOST, "-U", "postgres", "--if-exists", BENCH_DB], check=True)
    subprocess.run(["createdb", "-h", HOST, "-U", "postgres", BENCH_DB], check=True)
    with tempfile.TemporaryDirectory(prefix="lfr-tx-bench-") as tmp:
        env = production_env(Path(tmp), args)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        try:
            run(args, env)
        finally:
            from django.db import connections

            connections.close_all()
            subprocess.run(["dropdb", "-h", HOST, "-U", "postgres", "--if-exists", BENCH_DB])


def write_audit_key(path):
    """A throw-away Ed25519 key for the audit checkpoints the production settings require."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def production_env(tmp, args):
    from cryptography.fernet import Fernet

    key = write_audit_key(tmp / "audit-key.pem")
    env = {
        "DJANGO_SETTINGS_MODULE": "lfr_portal.settings.production",
        "DJANGO_SECRET_KEY": "transparency-bench-" + os.urandom(16).hex(),
        "DJANGO_ALLOWED_HOSTS": HOST,
        # Plain HTTP on loopback: no TLS terminator in front of it here.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgresql://postgres@{HOST}:5432/{BENCH_DB}",
        "DATABASE_CONN_MAX_AGE": "60",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/12",  # required; nothing is enqueued
        "LFR_AUDIT_SIGNING_KEY_FILE": str(key),
        "LFR_FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LFR_VAR_DIR": str(tmp / "var"),
        "LFR_LOG_LEVEL": "WARNING",
    }
    if args.cache == "redis":
        env["LFR_CACHE_URL"] = REDIS_CACHE_URL
    return env


def run(args, env):
    import django

    django.setup()
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    started = time.perf_counter()
    seed(args.deployments)
    print(f"seeded {args.deployments} deployments in {time.perf_counter() - started:.1f} s")
    if args.cache == "redis":
        cache.clear()  # a previous run's pages must not answer for this database
    css = "/" + staticfiles_storage.url("css/portal.css").lstrip("/")
    driver = "wrk" if shutil.which("wrk") else "python"
    print(
        f"driver: {driver}; {args.connections} connections, {args.duration} s per target; "
        f"gunicorn --workers {args.workers} on {HOST}; cache: {args.cache}"
    )

    targets = [("static CSS (ceiling)", css, {}), ("/transparency/ (cached)", "/transparency/", {})]
    targets.append(
        ("/transparency/ (cache off)", "/transparency/", {"LFR_TRANSPARENCY_CACHE_SECONDS": "0"})
    )
    results = []
    for label, path, extra in targets:
        with gunicorn({**env, **extra}, args.workers) as base:
            warm = urllib.request.urlopen(base + path, timeout=30)  # noqa: S310 (loopback)
            assert warm.status == 200, (path, warm.status)
            result = drive(driver, base + path, args)
        results.append((label, result))
        print(f"  {label}: {fmt(result)}")

    print()
    print(f"{'target':<28} {'req/s':>10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for label, r in results:
        print(
            f"{label:<28} {r['rps']:>10,.0f} {r['p50']:>8.1f} {r['p90']:>8.1f} "
            f"{r['p99']:>8.1f} {r['errors']:>7}"
        )


def fmt(r):
    return (
        f"{r['rps']:,.0f} req/s, p50 {r['p50']:.1f} ms, p90 {r['p90']:.1f} ms, "
        f"p99 {r['p99']:.1f} ms, {r['requests']:,} requests, {r['errors']} errors"
    )


def seed(count):
    """Public deployments with realistic figures, written in bulk."""
    import random
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.utils import timezone

    from lfr_portal.models import (
        Alert,
        Camera,
        Deployment,
        DeploymentCamera,
        DeploymentStatus,
        LeafletRecord,
        SignageRecord,
    )

    rng = random.Random(8)
    planner = User.objects.create(username="bench-planner")
    now = timezone.now()
    boroughs = ["Camden", "Westminster", "Hackney", "Croydon", "Islington", "Newham"]
    deployments = []
    for i in range(count):
        starts = now - timedelta(days=count - i - 10, hours=rng.randint(0, 12))
        status = (
            DeploymentStatus.APPROVED
            if starts > now
            else rng.choice([DeploymentStatus.COMPLETED] * 9 + [DeploymentStatus.CANCELLED])
        )
        deployments.append(
            Deployment(
                title=f"Bench {i}",
                status=status,
                use_case=rng.choice(["crime_hotspot", "event", "protective_security"]),
                purpose="bench",
                justification="bench",
                location_name=f"Bench street {i}",
                borough=rng.choice(boroughs),
                latitude=Decimal("51.45") + Decimal(rng.randint(0, 1500)) / 10000,
                longitude=Decimal("-0.25") + Decimal(rng.randint(0, 3000)) / 10000,
                radius_m=150,
                starts_at=starts,
                ends_at=starts + timedelta(hours=8),
                went_live_at=None if status == DeploymentStatus.APPROVED else starts,
                ended_at=None
                if status == DeploymentStatus.APPROVED
                else starts + timedelta(hours=8),
                decided_at=starts - timedelta(days=2),
                threshold=Decimal("0.500"),
                faces_processed=rng.randint(5_000, 40_000),
                authorised_snapshot={"watchlist_entries": rng.randint(50, 2000)},
                created_by=planner,
            )
        )
    deployments = Deployment.objects.bulk_create(deployments)
    cameras = Camera.objects.bulk_create(
        Camera(name=f"bench camera {d.pk}", source_url="file:///dev/null") for d in deployments
    )
    bookings = DeploymentCamera.objects.bulk_create(
        DeploymentCamera(deployment=d, camera=c) for d, c in zip(deployments, cameras, strict=True)
    )
    alerts, signs, leaflets = [], [], []
    outcomes = ["confirmed"] * 6 + ["false_alert", "unresolved", "pending"]
    for d, booking in zip(deployments, bookings, strict=True):
        if d.status == DeploymentStatus.APPROVED:
            continue
        for j in range(rng.randint(0, 15)):
            adjudication = rng.choice(outcomes)
            alerts.append(
                Alert(
                    deployment=d,
                    camera=booking,
                    entry_reference="bench",
                    score=Decimal("0.6000"),
                    captured_at=d.starts_at + timedelta(minutes=j),
                    dedup_key=f"bench-{d.pk}-{j}",
                    adjudication=adjudication,
                    outcome="arrest" if adjudication == "confirmed" and j % 2 else "",
                )
            )
        for k in range(rng.randint(1, 4)):
            signs.append(
                SignageRecord(
                    deployment=d,
                    description="bench",
                    location_name="bench",
                    placed_at=d.starts_at - timedelta(minutes=30 + k),
                    recorded_by=planner,
                )
            )
        leaflets.append(
            LeafletRecord(
                deployment=d,
                quantity=rng.randint(50, 500),
                location_name="bench",
                distributed_at=d.starts_at,
                recorded_by=planner,
            )
        )
    Alert.objects.bulk_create(alerts, batch_size=2000)
    SignageRecord.objects.bulk_create(signs, batch_size=2000)
    LeafletRecord.objects.bulk_create(leaflets, batch_size=2000)


class gunicorn:  # noqa: N801 (used as a context manager, like open)
    """gunicorn on a free loopback port; stopped, and its process group ended, on exit."""

    def __init__(self, env, workers):
        self.env, self.workers = env, workers

    def __enter__(self):
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "lfr_portal.wsgi",
                "--bind",
                f"{HOST}:{self.port}",
                "--workers",
                str(self.workers),
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://{HOST}:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(base + "/healthz/", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return base
            except OSError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        self.log.seek(0)
        raise RuntimeError("gunicorn did not start:\n" + self.log.read().decode(errors="replace"))

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return False


def drive(driver, url, args):
    if driver == "wrk":
        return drive_wrk(url, args)
    return drive_python(url, args)


def drive_wrk(url, args):
    threads = max(1, min(os.cpu_count() or 1, args.connections))
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "--timeout",
            "10s",
            "--latency",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=args.duration + 60,
        check=True,
    ).stdout

    def ms(label):
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms(50),
        "p90": ms(90),
        "p99": ms(99),
        "requests": requests,
        "errors": (int(errors.group(1)) if errors else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }


def drive_python(url, args):
    """Keep-alive clients on threads, each bounded by the deadline and a request cap."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    deadline = time.monotonic() + args.duration
    cap = 200_000 // args.connections + 1
    latencies, errors, lock = [], [0], threading.Lock()

    def client():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine, failed = [], 0
        for _ in range(cap):
            if time.monotonic() >= deadline:
                break
            started = time.perf_counter()
            try:
                conn.request("GET", parts.path)
                answer = conn.getresponse()
                answer.read()
                if answer.status != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                continue
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(args.connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=args.duration + 30)
    elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "rps": len(latencies) / elapsed,
        "p50": cuts[49],
        "p90": cuts[89],
        "p99": cuts[98],
        "requests": len(latencies),
        "errors": errors[0],
    }


if __name__ == "__main__":
    main()
