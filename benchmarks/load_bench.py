"""Mixed load: operators polling their live view, planners editing drafts and the public
reading the transparency page, while a real Celery worker runs recognition on every
live camera. Prints requests, req/s, latency percentiles and errors per request and per
kind of user, and the frames, faces and alerts the worker handled meanwhile.

    .venv/bin/python benchmarks/load_bench.py [--duration 30] [--users 60] [--workers 4]
        [--weights operator=2,planner=1,public=7] [--think 1.0] [--live 2] [--cameras 2]
        [--past 200] [--alert-cooldown 15] [--database lfr_load_bench]

Runs gunicorn with the production settings on 127.0.0.1 only, on its own PostgreSQL
database (created and dropped here) and its own Redis databases (cache 7, broker 8,
results 9, flushed first and last), so it never touches real data or the tests' Redis
databases (10-15). It renders a test video from the bundled AT&T face set
(benchmarks/make_test_videos.py, matcher/sample_faces), builds live deployments whose
cameras play it in a loop at its own frame rate, as a camera would, with watchlists
enrolled by the real engine, and starts `celery worker -Q recognition,default` and
`celery beat`. The users are locust users (benchmarks/load_locustfile.py, in a process
of its own); each logs in once through the login form with the right password, so
django-axes locks nobody out. Operators and planners need no one-time password:
LFR_OTP_REQUIRED applies to authorising officers, watchlist managers, compliance
officers and superusers only.

Measuring starts once every user has logged in and lasts --duration seconds (at most
120). The script stops every process it started, on an error or Ctrl-C too. It prints
its figures and asserts nothing about time. One run at a time (a lock file says so).
"""

import argparse
import contextlib
import fcntl
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"  # loopback only, always
PG = ["-h", HOST, "-U", "postgres"]
REDIS = {"cache": 7, "broker": 8, "results": 9}
PASSWORD = "load-bench-" + os.urandom(6).hex()
ROLES = ("operator", "planner", "public")
DEFAULT_WEIGHTS = "operator=2,planner=1,public=7"
LOCK_FILE = Path(tempfile.gettempdir()) / "lfr-load-bench.lock"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds measured (max 120)")
    parser.add_argument("--users", type=int, default=60, help="simulated people at once")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--weights", type=parse_weights, default=DEFAULT_WEIGHTS, help="share of each user type"
    )
    parser.add_argument(
        "--think", type=float, default=1.0, help="scales pauses between actions; 0 = none"
    )
    parser.add_argument("--live", type=int, default=2, help="live deployments")
    parser.add_argument("--cameras", type=int, default=2, help="cameras per live deployment")
    parser.add_argument("--past", type=int, default=200, help="public deployments to list")
    parser.add_argument("--video-seconds", type=float, default=12.0, help="length of the loop")
    parser.add_argument(
        "--alert-cooldown",
        type=int,
        default=15,
        help="LFR_ALERT_COOLDOWN_SECONDS for the worker: the looped video shows the same "
        "people again every loop, and the default (60 s) would leave a short run few alerts",
    )
    parser.add_argument(
        "--database", default="lfr_load_bench", help="dropped and made anew; lfr_load_bench*"
    )
    parser.add_argument("--logs", type=Path, help="copy the processes' logs to this folder")
    args = parser.parse_args(argv)
    args.duration = max(1, min(args.duration, 120))
    args.users = max(1, min(args.users, 1000))
    args.workers = max(1, min(args.workers, 32))
    args.live = max(1, min(args.live, 10))
    args.cameras = max(1, min(args.cameras, 8))
    args.past = max(1, args.past)
    args.think = max(0.0, args.think)
    args.counts = user_counts(args.users, args.weights)
    if not args.database.startswith("lfr_load_bench"):
        parser.error("--database must start with lfr_load_bench: the script drops it")

    lock = open(LOCK_FILE, "w")  # noqa: SIM115 (held for the whole run)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(f"Another load_bench run holds {LOCK_FILE}; they would share Redis databases.")
    # SIGTERM unwinds like Ctrl-C, so the finally blocks stop what was started.
    signal.signal(signal.SIGTERM, _interrupted)
    subprocess.run(["dropdb", *PG, "--if-exists", "--force", args.database], check=True)
    subprocess.run(["createdb", *PG, args.database], check=True)
    try:
        with tempfile.TemporaryDirectory(prefix="lfr-load-bench-") as tmp:
            for path in (str(ROOT), str(BENCHMARKS)):
                if path not in sys.path:
                    sys.path.insert(0, path)
            os.environ.update(bench_env(Path(tmp), args))
            flush_redis()
            try:
                with contextlib.ExitStack() as stack:
                    run(args, Path(tmp), stack)
            finally:
                with contextlib.suppress(Exception):
                    from django.db import connections

                    connections.close_all()
    except KeyboardInterrupt:
        print("\ninterrupted; every process this run started is stopped", file=sys.stderr)
        return 130
    finally:
        subprocess.run(["dropdb", *PG, "--if-exists", "--force", args.database], check=False)
        flush_redis()
    return 0


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def parse_weights(text):
    weights = dict.fromkeys(ROLES, 0.0)
    for item in text.split(","):
        role, _, value = item.partition("=")
        role = role.strip()
        if role not in weights:
            raise argparse.ArgumentTypeError(f"unknown user type {role!r}; use {', '.join(ROLES)}")
        weights[role] = float(value)
    if sum(weights.values()) <= 0:
        raise argparse.ArgumentTypeError("at least one weight must be above zero")
    return weights


def user_counts(users, weights):
    """Users per type in proportion to the weights (largest remainder), at least one of
    each type with a weight when there are enough users."""
    total = sum(weights.values())
    shares = {role: users * weight / total for role, weight in weights.items()}
    counts = {role: math.floor(share) for role, share in shares.items()}
    for role in sorted(shares, key=lambda r: shares[r] - counts[r], reverse=True):
        if sum(counts.values()) >= users:
            break
        counts[role] += 1
    wanted = [role for role in ROLES if weights[role] > 0]
    if users >= len(wanted):
        for role in wanted:
            if counts[role] == 0:
                donor = max(counts, key=counts.get)
                counts[donor] -= 1
                counts[role] += 1
    return counts


def bench_env(tmp, args):
    from cryptography.fernet import Fernet
    from transparency_bench import write_audit_key

    key = write_audit_key(tmp / "audit-key.pem")
    (tmp / "videos").mkdir()
    return {
        "DJANGO_SETTINGS_MODULE": "lfr_portal.settings.production",
        "DJANGO_SECRET_KEY": "load-bench-" + os.urandom(16).hex(),
        "DJANGO_ALLOWED_HOSTS": HOST,
        # Plain HTTP on loopback: no TLS terminator in front of it here.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgresql://postgres@{HOST}:5432/{args.database}",
        "DATABASE_CONN_MAX_AGE": "60",
        "CELERY_BROKER_URL": f"redis://{HOST}:6379/{REDIS['broker']}",
        "CELERY_RESULT_BACKEND": f"redis://{HOST}:6379/{REDIS['results']}",
        "LFR_CACHE_URL": f"redis://{HOST}:6379/{REDIS['cache']}",
        "LFR_AUDIT_SIGNING_KEY_FILE": str(key),
        "LFR_FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LFR_VAR_DIR": str(tmp / "var"),
        "LFR_CAMERA_FILE_ROOTS": str(tmp / "videos"),
        "LFR_OPENCV_THREADS": "1",
        "LFR_ALERT_COOLDOWN_SECONDS": str(args.alert_cooldown),
        "LFR_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def flush_redis():
    import redis

    for db in REDIS.values():
        redis.Redis(host=HOST, port=6379, db=db).flushdb()


def run(args, tmp, stack):
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    from make_test_videos import build_video_set

    truth = json.loads(
        build_video_set(
            tmp / "videos", sizes=[(640, 360)], seconds=args.video_seconds, fps=12.0
        ).read_text()
    )
    world = seed(args, tmp / "videos", truth)
    counts = args.counts
    cameras = args.live * args.cameras
    print(
        f"seeded in {time.perf_counter() - started:.0f} s: {args.past} past and planned "
        "deployments for the public pages, "
        f"{args.live} live with {args.cameras} cameras each (a {args.video_seconds:.0f} s "
        f"640x360 video at 12 fps, looped and paced like a camera; watchlists of "
        f"{len(truth['watchlist'])} people enrolled by the real engine), "
        f"{counts['planner']} drafts"
    )

    concurrency = cameras + 1  # one slot per camera job, one for governance tasks
    worker = stack.enter_context(
        Service(
            "celery worker",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "lfr_portal",
                "worker",
                "-Q",
                "recognition,default",
                f"--concurrency={concurrency}",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"load-bench-{os.getpid()}@%h",
            ],
            tmp / "worker.log",
            ready=lambda s: b" ready." in s.log_bytes(),
        )
    )
    beat = stack.enter_context(
        Service(
            "celery beat",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "lfr_portal",
                "beat",
                "--loglevel=INFO",
                "--pidfile",
                str(tmp / "beat.pid"),
                "--schedule",
                str(tmp / "beat-schedule"),
            ],
            tmp / "beat.log",
            ready=lambda s: b"beat: Starting" in s.log_bytes(),
        )
    )
    server = stack.enter_context(
        Service(
            "gunicorn",
            [
                str(VENV_BIN / "gunicorn"),
                "lfr_portal.wsgi",
                "--bind",
                f"{HOST}:{free_port()}",
                "--workers",
                str(args.workers),
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            tmp / "gunicorn.log",
            ready=healthy,
        )
    )
    print(
        f"gunicorn --workers {args.workers} on {server.base} (production settings, "
        f"cache: Redis db {REDIS['cache']}); celery worker -Q recognition,default "
        f"--concurrency={concurrency} and celery beat (broker Redis db {REDIS['broker']}, "
        f"results db {REDIS['results']}); alert cool-off {args.alert_cooldown} s"
    )
    # Stopping the deployments first ends the camera jobs within half a second, so the
    # worker's warm shutdown does not wait for a job's time budget.
    stack.callback(stop_live, world)
    running = wait_for(lambda: recognition_running(world) >= cameras, timeout=120)
    if not running:
        raise RuntimeError(
            f"recognition did not start on every camera ({recognition_running(world)} of "
            f"{cameras}):\n{worker.log_tail()}"
        )
    print(f"recognition running on {cameras} cameras")

    plan = tmp / "plan.json"
    results = tmp / "results.json"
    plan.write_text(
        json.dumps(
            {
                "host": server.base,
                "password": PASSWORD,
                "counts": counts,
                "operators": world["operators"],
                "planners": world["planners"],
                "public_deployments": world["public_deployments"],
                "boroughs": world["boroughs"],
                "in_video": [w["identity"] for w in truth["watchlist"] if w["in_video"]],
                "think": args.think,
                "duration": args.duration,
                "results": str(results),
                "warmup_timeout": 180,
            }
        )
    )
    print(
        f"users: {sum(counts.values())} (operator {counts['operator']}, planner "
        f"{counts['planner']}, public {counts['public']}); think-time factor {args.think}"
    )
    before, after, load = drive(args, plan, tmp, stack)
    report = json.loads(results.read_text())
    stop_live(world)
    stack.close()  # every process stopped before the logs are read
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
        for log in tmp.glob("*.log"):
            shutil.copy(log, args.logs / log.name)
    print_report(args, report, before, after, load, cameras, server, worker, beat)


def drive(args, plan, tmp, stack):
    """Run the locust users in their own process; snapshot the worker's counters as the
    measured window opens and closes."""
    log = tmp / "locust.log"
    child = stack.enter_context(
        Service(
            "locust",
            [sys.executable, str(BENCHMARKS / "load_locustfile.py"), str(plan)],
            log,
            stdout=subprocess.PIPE,
        )
    )
    # A hung child cannot hold the run: it is ended after the longest it could need.
    limit = threading.Timer(180 + args.duration + 60, child.stop)
    limit.daemon = True
    limit.start()
    before = after = None
    load = {}
    try:
        for line in child.proc.stdout:
            if not line.startswith("{"):
                continue  # only the driver's events are JSON lines
            event = json.loads(line)
            if event["event"] == "logged_in":
                print(
                    f"{event['users']} operators and planners through the login form "
                    f"in {event['seconds']:.1f} s"
                )
            elif event["event"] == "measuring":
                before = recognition_counters()
                load["start"] = os.getloadavg()
                print(f"measuring for {args.duration} s ...", flush=True)
            elif event["event"] == "measured":
                after = recognition_counters()
                after["seconds"] = event["seconds"]
                load["end"] = os.getloadavg()
            elif event["event"] == "done":
                break
    finally:
        limit.cancel()
    child.proc.wait(timeout=60)
    if child.proc.returncode != 0 or after is None:
        raise RuntimeError(f"the locust process failed:\n{child.log_tail()}")
    return before, after, load


def seed(args, videos, truth):
    """Accounts, drafts, public history and live deployments, through the services."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User
    from django.utils import timezone
    from transparency_bench import seed as seed_public_history

    from lfr_portal.models import (
        Camera,
        Deployment,
        DeploymentStatus,
        DocumentKind,
        OfficerProfile,
        Rank,
        Role,
        WatchlistEntry,
    )
    from lfr_portal.services import deployment_lifecycle as lifecycle
    from lfr_portal.services import deployment_staff as staff
    from lfr_portal.services import deployments as dep
    from lfr_portal.services import field
    from lfr_portal.services import watchlists as wl
    from tests.builders import complete_draft, enrolled_entries
    from tests.factories import BookingFactory, DeploymentFactory, DocumentFactory

    seed_public_history(args.past)
    hashed = make_password(PASSWORD)  # once: the production hasher is slow on purpose
    groups = {role: Group.objects.get(name=role) for role in Role.values}

    def account(username, role, rank=Rank.CONSTABLE):
        user = User.objects.create(
            username=username, password=hashed, first_name="Load", last_name=username
        )
        OfficerProfile.objects.create(user=user, rank=rank)
        user.groups.add(groups[role])
        return user

    ao = account("load-ao-1", Role.AUTHORISING_OFFICER, Rank.SUPERINTENDENT)
    ao2 = account("load-ao-2", Role.AUTHORISING_OFFICER, Rank.CHIEF_SUPERINTENDENT)
    adder = account("load-watchlist-1", Role.WATCHLIST_MANAGER, Rank.SERGEANT)
    approver = account("load-watchlist-2", Role.WATCHLIST_MANAGER, Rank.SERGEANT)
    fo = account("load-field-1", Role.FIELD_OFFICER)
    counts = args.counts
    planners = [
        account(f"load-planner-{i + 1:02d}", Role.DEPLOYMENT_PLANNER, Rank.INSPECTOR)
        for i in range(max(1, counts["planner"]))
    ]
    operators = [
        account(f"load-operator-{i + 1:02d}", Role.OPERATOR)
        for i in range(max(args.live, counts["operator"]))
    ]
    drafts = [
        complete_draft(created_by=p, title=f"Load draft {i + 1}", borough="Camden")
        for i, p in enumerate(planners)
    ]

    video = videos / truth["videos"][0]["file"]
    root = Path(truth["faces_root"])
    # One reference photograph per watchlisted person, never the one in the video.
    references = [(w["identity"], root / w["reference_images"][0]) for w in truth["watchlist"]]
    live = []
    for i in range(args.live):
        deployment = DeploymentFactory(
            created_by=planners[0],
            title=f"Load live {i + 1}",
            borough="Westminster",
            starts_at=timezone.now() - timezone.timedelta(minutes=10),
        )
        for kind in (
            DocumentKind.DPIA,
            DocumentKind.APPROPRIATE_POLICY,
            DocumentKind.EQUALITY_IMPACT,
        ):
            DocumentFactory(deployment=deployment, kind=kind)
        for c in range(args.cameras):
            camera = Camera.objects.create(
                name=f"Load camera {i + 1}.{c + 1}", source_url=f"{video}?realtime=1&loop=1"
            )
            BookingFactory(deployment=deployment, camera=camera, position=f"Pole {c + 1}")
        entries = enrolled_entries(deployment.watchlist, references, adder=adder)
        for entry in WatchlistEntry.objects.filter(pk__in=list(entries)):
            wl.watchlist_entry_approve(actor=approver, entry=entry)
        wl.watchlist_approve(actor=ao, watchlist=deployment.watchlist)
        deployment = dep.deployment_submit(actor=planners[0], deployment=deployment)
        deployment = dep.deployment_approve(actor=ao2, deployment=deployment)
        field.signage_record(
            actor=fo,
            deployment=deployment,
            description="A1 sign at each approach",
            location_name="Station entrance",
            placed_at=timezone.now() - timezone.timedelta(minutes=5),
        )
        wl.watchlist_finalise(
            actor=adder, watchlist=deployment.watchlist, still_wanted_as_of=timezone.now()
        )
        mine = operators[i :: args.live]
        for operator in mine:
            staff.deployment_operator_assign(
                actor=planners[0], deployment=deployment, operator=operator
            )
        deployment.refresh_from_db()
        live.append(lifecycle.deployment_start(actor=mine[0], deployment=deployment))

    public_ids = Deployment.objects.filter(
        status__in=(DeploymentStatus.COMPLETED, DeploymentStatus.LIVE)
    ).values_list("public_id", flat=True)
    return {
        "live": [d.pk for d in live],
        "stopper": ao.pk,
        "operators": [
            {
                "username": operator.username,
                "deployment": str(live[i % args.live].public_id),
                # One operator per deployment adjudicates: two would race for each alert.
                "adjudicates": i < args.live,
            }
            for i, operator in enumerate(operators)
        ],
        "planners": [
            {"username": p.username, "draft": str(d.public_id)}
            for p, d in zip(planners, drafts, strict=True)
        ],
        "public_deployments": [str(pk) for pk in public_ids],
        "boroughs": ["Camden", "Westminster", "Hackney", "Croydon", "Islington", "Newham"],
    }


def recognition_running(world):
    from lfr_portal.models import DeploymentCamera

    return DeploymentCamera.objects.filter(
        deployment_id__in=world["live"], frames_processed__gt=0
    ).count()


def recognition_counters():
    from django.db.models import Count, Q, Sum

    from lfr_portal.models import Alert, DeploymentCamera, DeploymentStatus

    live = DeploymentCamera.objects.filter(deployment__title__startswith="Load live")
    counters = live.aggregate(frames=Sum("frames_processed"), faces=Sum("faces_processed"))
    counters.update(
        Alert.objects.filter(deployment__title__startswith="Load live").aggregate(
            alerts=Count("pk"), adjudicated=Count("pk", filter=~Q(adjudication="pending"))
        )
    )
    counters["states"] = dict(Counter(live.values_list("state", flat=True)))
    counters["live"] = (
        DeploymentCamera.objects.filter(
            deployment__title__startswith="Load live", deployment__status=DeploymentStatus.LIVE
        )
        .values("deployment")
        .distinct()
        .count()
    )
    return counters


def stop_live(world):
    """The kill switch at the end of the shift, pressed by an authorising officer."""
    from django.contrib.auth.models import User

    from lfr_portal.models import Deployment, DeploymentStatus
    from lfr_portal.services import deployment_lifecycle as lifecycle

    ao = User.objects.get(pk=world["stopper"])
    for deployment in Deployment.objects.filter(
        pk__in=world["live"], status__in=(DeploymentStatus.LIVE, DeploymentStatus.SUSPENDED)
    ):
        try:
            lifecycle.deployment_stop(actor=ao, deployment=deployment, reason="end of load run")
        except Exception as exc:  # the processes are stopped anyway; say why this was not
            print(f"could not stop {deployment.title}: {exc}", file=sys.stderr)


class Service:
    """A process of this run in a session of its own, logging to a file. Leaving the
    context stops it and everything it started (SIGTERM, then SIGKILL)."""

    def __init__(self, name, argv, log_path, ready=None, stdout=None, grace=20):
        self.name, self.argv, self.log_path = name, argv, Path(log_path)
        self.ready, self.stdout, self.grace = ready, stdout, grace
        self.proc = None
        self.base = None
        if "--bind" in argv:
            self.base = "http://" + argv[argv.index("--bind") + 1]

    def __enter__(self):
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=os.environ.copy(),
                stdout=self.stdout or log,
                stderr=log,
                start_new_session=True,
                text=self.stdout is not None,
            )
        if self.ready is not None:
            deadline = time.monotonic() + 90
            while not self.ready(self):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{self.name} did not start:\n{self.log_tail()}")
                time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        # The leader first: gunicorn's master and celery's main process shut their
        # children down in order (a signal to the whole group would kill a busy pool
        # child mid-task); the group is killed if that takes too long.
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=self.grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        # Anything of its group that outlived it goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def log_bytes(self):
        return self.log_path.read_bytes() if self.log_path.exists() else b""

    def log_tail(self, lines=40):
        return "\n".join(self.log_bytes().decode(errors="replace").splitlines()[-lines:])

    def log_problems(self):
        """Lines logged at ERROR or CRITICAL, and tracebacks however they were written."""
        lines = self.log_bytes().decode(errors="replace").splitlines()
        errors = [line for line in lines if re.search(r"\b(ERROR|CRITICAL)[]/ :]", line)]
        return errors, sum(1 for line in lines if line.startswith("Traceback"))


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def healthy(service):
    try:
        with urllib.request.urlopen(service.base + "/healthz/", timeout=2) as answer:  # noqa: S310
            return answer.status == 200
    except OSError:
        return False


def wait_for(predicate, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def percentile(ordered, p):
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summarise(samples, seconds):
    latencies = sorted(s[1] for s in samples)
    return {
        "requests": len(samples),
        "rps": len(samples) / seconds if seconds else 0.0,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "errors": sum(1 for s in samples if s[2]),
    }


def print_report(args, report, before, after, load, cameras, server, worker, beat):
    seconds = report["seconds"]
    samples = report["samples"]
    by_name, by_role = defaultdict(list), defaultdict(list)
    for sample in samples:
        by_name[sample[0]].append(sample)
        by_role[sample[0].split(":", 1)[0]].append(sample)

    logins = [s for s in report["warmup"] if s[0].endswith(": log in")]
    if logins:
        login = summarise(logins, 1)
        print(
            f"log-ins before measuring: {login['requests']}, p50 {login['p50']:.0f} ms, "
            f"p95 {login['p95']:.0f} ms, {login['errors']} refused"
        )

    print()
    print(f"HTTP, {seconds:.1f} s measured")
    header = f"{'request':<34} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
    print(header + f"{'p99 ms':>8} {'errors':>6}")

    def row(label, figures):
        print(
            f"{label:<34} {figures['requests']:>8,} {figures['rps']:>7.1f} "
            f"{figures['p50']:>8.1f} {figures['p95']:>8.1f} {figures['p99']:>8.1f} "
            f"{figures['errors']:>6}"
        )

    for role in ROLES:
        for name in sorted(n for n in by_name if n.startswith(role + ":")):
            row(name, summarise(by_name[name], seconds))
    print()
    for role in ROLES:
        row(f"{role} (all)", summarise(by_role.get(role, []), seconds))
    row("total", summarise(samples, seconds))

    kinds = Counter((s[0], s[2]) for s in samples + report["warmup"] if s[2])
    print()
    if kinds:
        print("errors:")
        for (name, kind), count in kinds.most_common():
            print(f"  {count:>5} x {name}: {kind}")
    else:
        print("errors: none")
    for exception in report["exceptions"]:
        print(f"  exception in a user ({exception['count']} x): {exception['message']}")
        print("    " + exception["traceback"].strip().replace("\n", "\n    "))

    frames = (after["frames"] or 0) - (before["frames"] or 0)
    faces = (after["faces"] or 0) - (before["faces"] or 0)
    print()
    print(
        f"recognition in the same {after['seconds']:.1f} s: {frames:,} frames "
        f"({frames / after['seconds']:.1f}/s over {cameras} cameras at 12 fps each, "
        f"{12 * cameras} fps offered), {faces:,} faces, "
        f"{after['alerts'] - before['alerts']} alerts raised, "
        f"{after['adjudicated'] - before['adjudicated']} adjudicated"
    )
    states = ", ".join(f"{n} {state}" for state, n in sorted(after["states"].items()))
    print(f"cameras at the end: {states}; deployments still live: {after['live']} of {args.live}")
    for service in (server, worker, beat):
        errors, tracebacks = service.log_problems()
        print(f"{service.name} log: {len(errors)} error lines, {tracebacks} tracebacks")
        for line in errors[:10]:
            print("    " + line[:200])
    print(
        f"load average (1 min) {load['start'][0]:.2f} at the start, "
        f"{load['end'][0]:.2f} at the end; {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    sys.exit(main())
