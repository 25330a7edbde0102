"""Audit trail throughput: rows written per second, and export and verify speed on a
million-row trail.

    .venv/bin/python benchmarks/audit_bench.py [--rows 1000000] [--writes 5000]

Uses its own PostgreSQL database (lfr_audit_bench on 127.0.0.1, dropped at the end),
so it never touches real data. Prints its figures; asserts nothing about time.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "lfr_audit_bench"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="size of the trail to export")
    parser.add_argument("--writes", type=int, default=5000, help="rows written through the service")
    args = parser.parse_args()

    subprocess.run(
        ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", BENCH_DB], check=True
    )
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", BENCH_DB], check=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lfr_portal.settings.test"
    os.environ["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{BENCH_DB}"
    # One role for everything: the bench measures speed, not the two roles' rights.
    os.environ["LFR_TEST_DB_ROLES"] = "0"
    sys.path.insert(0, str(ROOT))
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", BENCH_DB])


def run(args):
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from lfr_portal import audit_chain
    from lfr_portal.models import AuditEvent
    from lfr_portal.services.audit import audit_record, audit_verify_database
    from lfr_portal.services.audit_export import AuditExport

    call_command("migrate", verbosity=0)
    officer = User.objects.create(username="bench")

    started = time.perf_counter()
    for i in range(args.writes):
        with transaction.atomic():
            audit_record(actor=officer, action="bench.write", changes={"i": i})
    elapsed = time.perf_counter() - started
    rate = args.writes / elapsed
    print(f"service writes, one transaction each: {args.writes} rows, {rate:,.0f} rows/s")
    started = time.perf_counter()
    with transaction.atomic():
        for i in range(args.writes):
            audit_record(actor=officer, action="bench.batch", changes={"i": i})
    rate = args.writes / (time.perf_counter() - started)
    print(f"service writes, all in one transaction: {args.writes} rows, {rate:,.0f} rows/s")

    # Fill the rest of the trail quickly with correctly chained rows (COPY), so the
    # export and verification run on a realistic size.
    head_seq, prev = AuditEvent.objects.order_by("-seq").values_list("seq", "row_hash").first()
    now = timezone.now()
    started = time.perf_counter()
    columns = (
        "seq, occurred_at, actor_username, actor_role, action, object_type, object_public_id, "
        "object_repr, deployment_public_id, client_address, reason, changes, content_hash, "
        "prev_hash, row_hash, leaf_hash"
    )
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY lfr_portal_auditevent ({columns}) FROM STDIN") as copy,
    ):
        for seq in range(head_seq + 1, args.rows + 1):
            row = {
                "seq": seq,
                "occurred_at": now.isoformat(),
                "actor_username": "bench",
                "actor_role": "operator",
                "action": "alert.adjudicate",
                "object_type": "lfr_portal.Alert",
                "object_public_id": f"{seq:032x}",
                "object_repr": f"Alert {seq}",
                "deployment_public_id": "",
                "client_address": "10.0.0.1",
                "reason": "",
                "changes": {"adjudication": ["pending", "confirmed"]},
            }
            content = audit_chain.content_hash(row)
            row_hash = audit_chain.chain_hash(prev, content)
            copy.write_row(
                [*row.values()][:11]
                + [audit_chain.canonical_json(row["changes"]).decode(), content, prev, row_hash]
                + [audit_chain.leaf_hash(row)]
            )
            prev = row_hash
    total = AuditEvent.objects.count()
    print(f"trail filled to {total:,} rows in {time.perf_counter() - started:.0f} s (COPY)")

    started = time.perf_counter()
    ok, message = audit_verify_database()
    elapsed = time.perf_counter() - started
    print(
        f"verify_audit: {message} {total:,} rows in {elapsed:.1f} s = {total / elapsed:,.0f} rows/s"
    )

    for fmt in ("json", "csv"):
        export = AuditExport(actor=officer, queryset=AuditEvent.objects.all(), filters={})
        started = time.perf_counter()
        size = 0
        for chunk in getattr(export, f"iter_{fmt}")():
            size += len(chunk)
        elapsed = time.perf_counter() - started
        rows = export.count()
        print(
            f"export {fmt}: {rows:,} rows, {size / 1e6:,.0f} MB in {elapsed:.1f} s = "
            f"{rows / elapsed:,.0f} rows/s"
        )
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
