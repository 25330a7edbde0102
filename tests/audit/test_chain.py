"""The audit log's hash chain, tree heads and retention, tried against the database itself."""

import subprocess
import sys
import textwrap

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from lfr_portal import audit_chain, merkle
from lfr_portal.models import AuditCheckpoint, AuditEvent, AuditPrunedLeaf
from lfr_portal.selectors.audit_log import log_tree
from lfr_portal.services import audit
from tests.audit import tamper
from tests.processes import ROOT, child_env


def write(n, actor=None, prefix="test"):
    rows = []
    for i in range(n):
        with transaction.atomic():
            rows.append(audit.audit_record(actor=actor, action=f"{prefix}.{i}", changes={"i": i}))
    return rows


@pytest.mark.django_db
def test_rows_chain_from_genesis_are_leaves_of_the_tree_and_verify(planner):
    rows = write(5, actor=planner)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == audit_chain.GENESIS_HASH
    assert all(rows[i].prev_hash == rows[i - 1].row_hash for i in range(1, 5))
    leaves = [merkle.leaf_hash(audit_chain.canonical_json(r.hashed_fields())).hex() for r in rows]
    assert [r.leaf_hash for r in AuditEvent.objects.order_by("seq")] == leaves
    head = audit.audit_checkpoint_create()
    expected = merkle.MerkleTree([bytes.fromhex(h) for h in leaves]).root().hex()
    assert (head.seq, head.root_hash) == (5, expected)
    ok, message = audit.audit_verify_database()
    assert ok, message


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE lfr_portal_auditevent SET reason = 'edited' WHERE seq = 2",
        "DELETE FROM lfr_portal_auditevent WHERE seq = 3",
        "TRUNCATE lfr_portal_auditevent",
        "UPDATE lfr_portal_auditcheckpoint SET root_hash = ''",
        "DELETE FROM lfr_portal_auditcheckpoint",
        "TRUNCATE lfr_portal_auditcheckpoint",
        "DELETE FROM lfr_portal_auditprunedleaf",
        "INSERT INTO lfr_portal_auditprunedleaf (seq, leaf_hash, row_hash, removed_at) "
        "VALUES (99, '', '', now())",
        "SET session_replication_role = replica",
        "ALTER TABLE lfr_portal_auditevent DISABLE TRIGGER USER",
    ],
)
def test_the_application_role_may_only_read_and_append_to_the_log(sql):
    write(3)
    audit.audit_checkpoint_create()
    with (
        pytest.raises(DatabaseError, match="permission denied|must be owner"),
        transaction.atomic(),
    ):
        _raw(sql)
    assert AuditEvent.objects.count() == 3 and AuditCheckpoint.objects.count() == 1


@pytest.mark.django_db
def test_the_old_session_setting_escape_is_gone():
    write(3)
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        _raw("SET LOCAL lfr.audit_pruning = 'on'")
        _raw("SET LOCAL lfr.audit_retention = 'on'")
        _raw("DELETE FROM lfr_portal_auditevent WHERE seq = 1")
    assert AuditEvent.objects.count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["owner", "superuser"])
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE lfr_portal_auditevent SET reason = 'edited' WHERE seq = 2",
        "DELETE FROM lfr_portal_auditevent WHERE seq = 3",
        "TRUNCATE lfr_portal_auditevent",
        "DELETE FROM lfr_portal_auditcheckpoint",
        "TRUNCATE lfr_portal_auditcheckpoint CASCADE",
    ],
)
def test_the_triggers_refuse_changes_even_to_the_owner_and_the_superuser(who, sql):
    write(3)
    audit.audit_checkpoint_create()
    connect = tamper.owner_role if who == "owner" else tamper.superuser
    with connect() as conn, pytest.raises(psycopg.Error, match="append-only"):
        conn.execute("SET lfr.audit_pruning = 'on'")
        conn.execute(sql)
    assert AuditEvent.objects.count() == 3 and AuditCheckpoint.objects.count() == 1


def _bypass_trigger(sql, params=()):
    """What a database superuser could do: run with ordinary triggers switched off."""
    with tamper.superuser(triggers=False) as conn:
        conn.execute(sql, params)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("tamper_sql", "first_broken"),
    [
        ("UPDATE lfr_portal_auditevent SET reason = 'edited' WHERE seq = 3", "row 3"),
        ("DELETE FROM lfr_portal_auditevent WHERE seq = 3", "row 3: missing"),
        ("UPDATE lfr_portal_auditevent SET seq = seq + 100 WHERE seq = 2", "row 2: missing"),
        (
            "UPDATE lfr_portal_auditevent SET occurred_at = occurred_at - interval '1 day' "
            "WHERE seq = 4",
            "row 4",
        ),
        ("UPDATE lfr_portal_auditevent SET leaf_hash = content_hash WHERE seq = 5", "row 5"),
    ],
)
def test_edits_deletions_and_reordering_are_detected(tamper_sql, first_broken):
    write(6)
    _bypass_trigger(tamper_sql)
    ok, message = audit.audit_verify_database()
    assert not ok
    assert message.startswith(first_broken), message


@pytest.mark.django_db
def test_an_inserted_row_is_detected():
    rows = write(4)
    forged = rows[1]
    _raw(
        "INSERT INTO lfr_portal_auditevent (seq, occurred_at, actor_username, actor_role, action,"
        " object_type, object_public_id, object_repr, deployment_public_id, reason, changes,"
        " content_hash, prev_hash, row_hash, leaf_hash) SELECT 5, occurred_at, 'intruder', '',"
        " 'forged', '', '', '', '', '', '{}', content_hash, prev_hash, row_hash, leaf_hash"
        " FROM lfr_portal_auditevent WHERE seq = %s",
        [forged.seq],
    )
    ok, message = audit.audit_verify_database()
    assert not ok and message.startswith("row 5"), message


@pytest.mark.django_db(transaction=True)
def test_removing_the_tail_after_a_signed_head_is_detected_and_never_signed_over():
    write(5)
    head = audit.audit_checkpoint_create()
    assert head.seq == 5
    _bypass_trigger("DELETE FROM lfr_portal_auditevent WHERE seq >= 4")
    ok, message = audit.audit_verify_database()
    assert not ok and "rows were removed from the end" in message, message
    with pytest.raises(audit.AuditLogBroken, match="vouches for 5 rows"):
        audit.audit_checkpoint_create()


@pytest.mark.django_db
def test_a_head_is_signed_every_n_rows_and_each_matches_the_full_tree(settings):
    settings.LFR_AUDIT_TREE_HEAD_EVERY_ROWS = 4
    rows = write(13)
    heads = list(AuditCheckpoint.objects.order_by("seq"))
    assert [(h.kind, h.seq) for h in heads] == [("rows", 4), ("rows", 8), ("rows", 12)]
    tree = merkle.MerkleTree([bytes.fromhex(r.leaf_hash) for r in rows])
    # Each head was built from the previous head's frontier, not by re-reading the log.
    assert [h.root_hash for h in heads] == [tree.root(n).hex() for n in (4, 8, 12)]
    key = audit.signing_key().public_key()
    assert all(audit_chain.verify_tree_head(key, h.tree_head()) for h in heads)


@pytest.mark.django_db
def test_the_minute_tick_signs_only_when_the_log_grew_or_the_last_head_is_old(settings):
    settings.LFR_AUDIT_TREE_HEAD_EVERY_ROWS = 0
    write(3)
    first = audit.audit_tree_head_tick()
    assert first is not None and first.seq == 3
    assert audit.audit_tree_head_tick() is None
    write(1)
    assert audit.audit_tree_head_tick().seq == 4
    later = timezone.now() + audit.HEAD_REFRESH
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(audit.timezone, "now", lambda: later)
        refreshed = audit.audit_tree_head_tick()
    assert refreshed is not None and refreshed.seq == 4


def _write_at(when, n, prefix):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(audit.timezone, "now", lambda: when)
        return write(n, prefix=prefix)


@pytest.mark.django_db
def test_retention_goes_through_the_database_function_and_is_recorded_on_the_log(settings):
    settings.LFR_AUDIT_TREE_HEAD_EVERY_ROWS = 0
    old = timezone.now() - timezone.timedelta(days=7 * 365)
    _write_at(old, 4, "old")
    write(6, prefix="new")
    # A row within retention keeps every later row, even one with an old timestamp.
    _write_at(old, 1, "late")
    head_before = audit.audit_checkpoint_create()
    removed = audit.audit_prune(batch_size=3)
    assert removed == 4
    assert list(AuditPrunedLeaf.objects.values_list("seq", flat=True)) == [1, 2, 3, 4]
    assert AuditEvent.objects.order_by("seq").first().seq == 5
    recorded = AuditEvent.objects.filter(action="audit.retention").order_by("seq")
    assert [(r.changes["from_seq"], r.changes["to_seq"]) for r in recorded] == [(1, 3), (4, 4)]
    assert AuditEvent.objects.filter(action="late.0").exists()
    # Asking for more changes nothing: the database, not the caller, decides what is old.
    assert audit.audit_prune(before=timezone.now()) == 0
    ok, message = audit.audit_verify_database(earlier_head=head_before.tree_head())
    assert ok, message
    # The tree still covers the removed rows, so heads kept before retention still check.
    assert log_tree().root(head_before.seq).hex() == head_before.root_hash


@pytest.mark.django_db(transaction=True)
def test_only_the_function_removes_rows_even_for_the_owner():
    old = timezone.now() - timezone.timedelta(days=7 * 365)
    _write_at(old, 2, "old")
    with tamper.owner_role() as conn, pytest.raises(psycopg.Error, match="append-only"):
        conn.execute("SET lfr.audit_pruning = 'on'")
        conn.execute("DELETE FROM lfr_portal_auditevent WHERE seq = 1")
    with tamper.app_role() as conn:
        assert conn.execute("SELECT removed FROM lfr_audit_prune(10)").fetchone() == (2,)
    assert AuditEvent.objects.count() == 0 and AuditPrunedLeaf.objects.count() == 2


WRITER = textwrap.dedent(
    """
    import django, sys
    django.setup()
    from django.db import transaction
    from lfr_portal.services.audit import audit_record
    for i in range(int(sys.argv[1])):
        with transaction.atomic():
            audit_record(actor=None, action=f"{sys.argv[2]}.{i}")
    """
)


@pytest.mark.django_db(transaction=True)
def test_two_processes_writing_at_once_make_one_valid_chain():
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, "150", name],
            cwd=ROOT,
            env=child_env(LFR_AUDIT_TREE_HEAD_EVERY_ROWS="25"),
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("first", "second")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert AuditEvent.objects.count() == 300
    assert AuditEvent.objects.filter(action__startswith="first.").count() == 150
    assert AuditCheckpoint.objects.filter(kind="rows").count() == 12
    ok, message = audit.audit_verify_database()
    assert ok, message


def test_beat_signs_a_tree_head_every_minute():
    from lfr_portal.celery import app

    entry = app.conf.beat_schedule["audit-tree-head"]
    assert (entry["task"], entry["schedule"]) == ("lfr_portal.audit_checkpoint", 60.0)
