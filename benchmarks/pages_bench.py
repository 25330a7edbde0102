"""Page times with realistic data: 100 deployments, a 10,000-entry watchlist, 1,000 alerts.

    .venv/bin/python benchmarks/pages_bench.py [--repeats 5]

Uses its own PostgreSQL database (lfr_pages_bench, dropped at the end). Each page is
fetched through Django's test client as the role that uses it; the script prints
the median and worst time and the number of queries of each. It asserts nothing.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "lfr_pages_bench"
SERVER = ["-h", "127.0.0.1", "-U", "postgres"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    subprocess.run(["dropdb", *SERVER, "--if-exists", BENCH_DB], check=True)
    subprocess.run(["createdb", *SERVER, BENCH_DB], check=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lfr_portal.settings.test"
    os.environ["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{BENCH_DB}"
    # One role for everything (the test settings' two roles are for the test suite).
    os.environ["LFR_TEST_DB_ROLES"] = "0"
    sys.path.insert(0, str(ROOT))
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        subprocess.run(["dropdb", *SERVER, "--if-exists", BENCH_DB], check=False)


def seed():
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from lfr_portal.models import (
        Alert,
        DeploymentCamera,
        DeploymentStatus,
        EntryStatus,
        Role,
        WatchlistEntry,
    )
    from lfr_portal.services.deployment_staff import deployment_operator_assign
    from tests.factories import BookingFactory, DeploymentFactory, user_with_role

    planner = user_with_role(Role.DEPLOYMENT_PLANNER)
    operator = user_with_role(Role.OPERATOR)
    now = timezone.now()
    deployments = [
        DeploymentFactory(
            created_by=planner,
            status=[DeploymentStatus.COMPLETED, DeploymentStatus.APPROVED, DeploymentStatus.DRAFT][
                i % 3
            ],
            starts_at=now + timedelta(days=i - 50),
        )
        for i in range(99)
    ]
    live = DeploymentFactory(created_by=planner, status=DeploymentStatus.LIVE)
    deployments.append(live)
    booking = BookingFactory(deployment=live)
    deployment_operator_assign(actor=planner, deployment=live, operator=operator)
    adder = user_with_role(Role.WATCHLIST_MANAGER)
    WatchlistEntry.objects.bulk_create(
        WatchlistEntry(
            watchlist=live.watchlist,
            display_name=f"Person {i}",
            category="wanted",
            reason="Warrant",
            legal_basis="PACE",
            reference_number=f"REF/{i:05d}",
            image_source="Custody",
            image_date=now.date(),
            added_by=adder,
            status=EntryStatus.APPROVED,
            enrolment_state="enrolled",
        )
        for i in range(10_000)
    )
    entries = list(live.watchlist.entries.values_list("pk", "reference_number")[:1000])
    Alert.objects.bulk_create(
        Alert(
            deployment=live,
            camera=booking,
            entry_id=pk,
            entry_reference=ref,
            score=Decimal("0.6"),
            captured_at=now - timedelta(seconds=i),
            dedup_key=f"bench-{i}",
        )
        for i, (pk, ref) in enumerate(entries)
    )
    assert DeploymentCamera.objects.count() == 1
    return live, {"planner": planner, "operator": operator, "manager": adder}


def run(args):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from lfr_portal.models import Role
    from tests.factories import user_with_role

    call_command("migrate", verbosity=0)
    live, users = seed()
    users["ao"] = user_with_role(Role.AUTHORISING_OFFICER)
    users["compliance"] = user_with_role(Role.COMPLIANCE_OFFICER)
    d = f"/deployments/{live.public_id}"
    pages = [
        ("planner", "/dashboard/"),
        ("planner", "/schedule/"),
        ("planner", f"{d}/"),
        ("ao", f"{d}/review/"),
        ("manager", f"{d}/watchlist/"),
        ("operator", f"{d}/operate/"),
        ("operator", f"{d}/operate/feed.json"),
        ("compliance", "/audit/"),
        ("planner", "/api/deployments/"),
        ("operator", "/api/alerts/"),
        ("manager", f"/api/watchlists/{live.watchlist.public_id}/entries/"),
        (None, "/transparency/"),
    ]
    print("100 deployments, a 10,000-entry watchlist, 1,000 alerts on PostgreSQL")
    print(f"{'page':58} {'median ms':>9} {'worst ms':>9} {'queries':>8}")
    for who, path in pages:
        client = Client(SERVER_NAME="localhost")
        if who:
            client.force_login(users[who])
        client.get(path)  # warm caches and the connection
        times = []
        for _ in range(args.repeats):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        label = f"{path} ({who or 'public'})"
        print(
            f"{label:58} {statistics.median(times):9.1f} {max(times):9.1f} "
            f"{len(queries.captured_queries):8d}"
        )


if __name__ == "__main__":
    main()
