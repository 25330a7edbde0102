"""Issue 15's audit attacks, as the database superuser and as the application role.

Each attack is either refused by the database or detected and named, by `verify_audit`
and by the offline verifier, given a tree head the public kept from the feed before it.
A superuser can switch triggers off and rewrite anything, and an insider who also holds
the signing key can re-sign heads over the rewrite: the kept head still catches it.
"""

import json
import shutil
import subprocess
import sys

import psycopg
import pytest
from django.core.management import CommandError, call_command

from lfr_portal import audit_chain
from lfr_portal.models import AuditEvent
from lfr_portal.services import audit
from tests.audit import tamper
from tests.audit.test_chain import write
from tests.processes import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


def _rewrite(conn, change):
    """Change rows, then recompute every hash after them as a forger with the code would."""
    events = list(AuditEvent.objects.order_by("seq"))
    change(events)
    events.sort(key=lambda e: e.seq)
    conn.execute("UPDATE lfr_portal_auditevent SET seq = -seq")
    prev = audit_chain.GENESIS_HASH
    for event in events:
        fields = event.hashed_fields()
        content = audit_chain.content_hash(fields)
        row = audit_chain.chain_hash(prev, content)
        conn.execute(
            "UPDATE lfr_portal_auditevent SET seq = %s, reason = %s, content_hash = %s,"
            " prev_hash = %s, row_hash = %s, leaf_hash = %s WHERE id = %s",
            [event.seq, event.reason, content, prev, row, audit_chain.leaf_hash(fields), event.id],
        )
        prev = row


def _forge(events):
    events[2].reason = "nothing happened here"


def _reorder(events):
    events[4].seq, events[5].seq = events[5].seq, events[4].seq


# name: (SQL as the plain attempt, the superuser's full attack, does the insider re-sign?)
ATTACKS = {
    "truncate": (
        "TRUNCATE lfr_portal_auditevent",
        lambda c: c.execute("TRUNCATE lfr_portal_auditevent, lfr_portal_auditcheckpoint"),
        True,
    ),
    "delete the tail": (
        "DELETE FROM lfr_portal_auditevent WHERE seq > 13",
        lambda c: (
            c.execute("DELETE FROM lfr_portal_auditevent WHERE seq > 13"),
            c.execute("DELETE FROM lfr_portal_auditcheckpoint WHERE seq > 13"),
        ),
        True,
    ),
    "forge a row and recompute": (
        "UPDATE lfr_portal_auditevent SET reason = 'nothing happened here' WHERE seq = 3",
        lambda c: (_rewrite(c, _forge), c.execute("DELETE FROM lfr_portal_auditcheckpoint")),
        True,
    ),
    "remove heads": (
        "DELETE FROM lfr_portal_auditcheckpoint",
        lambda c: c.execute("DELETE FROM lfr_portal_auditcheckpoint"),
        True,
    ),
    "reorder": (
        "UPDATE lfr_portal_auditevent SET seq = -seq WHERE seq IN (5, 6)",
        lambda c: (_rewrite(c, _reorder), c.execute("DELETE FROM lfr_portal_auditcheckpoint")),
        True,
    ),
}

# What verify_audit and the offline verifier name, given the kept head of 16 rows.
NAMED = {
    "truncate": ("fewer than the 16", "rows were removed"),
    "delete the tail": ("fewer than the 16", "rows were removed"),
    "forge a row and recompute": ("no longer extends", "no longer extends"),
    "remove heads": ("signed tree heads were removed", None),
    "reorder": ("no longer extends", "no longer extends"),
}


@pytest.fixture
def kept_head(client, settings, tmp_path):
    """A log of 16 rows with heads at 12 and 16; the public keeps the latest from the feed."""
    settings.LFR_TRANSPARENCY_CACHE_SECONDS = 0
    settings.LFR_AUDIT_TREE_HEAD_EVERY_ROWS = 0
    write(12)
    audit.audit_tree_head_tick()
    write(4, prefix="later")
    audit.audit_tree_head_tick()
    feed = client.get("/transparency/tree-heads.json").json()
    kept = feed["tree_heads"][0]
    assert kept["tree_size"] == 16
    path = tmp_path / "kept-head.json"
    path.write_text(json.dumps(kept))
    (tmp_path / "key.pem").write_text(feed["public_key"])
    return path


@pytest.fixture
def offline(tmp_path):
    """The offline verifier on its own: its three modules, no Django, no database."""
    package = tmp_path / "offline" / "lfr_portal"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name in ("audit_chain.py", "audit_verify.py", "merkle.py"):
        shutil.copy(ROOT / "lfr_portal" / name, package / name)

    def run(client, kept_path):
        size = json.loads(kept_path.read_text())["tree_size"]
        response = client.get(f"/transparency/tree-heads/consistency.json?first={size}")
        assert response.status_code == 200, response.content
        (tmp_path / "proof.json").write_text(response.content.decode())
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "lfr_portal.audit_verify",
                "--earlier-head",
                str(kept_path),
                "--consistency",
                str(tmp_path / "proof.json"),
                "--public-key",
                str(tmp_path / "key.pem"),
            ],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "offline")},
            capture_output=True,
            text=True,
        )

    return run


def _verify(kept_path):
    call_command("verify_audit", earlier_head=str(kept_path))


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_application_role_is_refused_every_attack(attack, kept_head):
    plain, _, _ = ATTACKS[attack]
    with tamper.app_role() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(plain)
    # Nor can it switch the triggers off, or use the old session escape.
    with tamper.app_role() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SET session_replication_role = replica")
    with tamper.app_role() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SET lfr.audit_retention = 'on'")
        conn.execute(plain)
    _verify(kept_head)


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_superuser_is_refused_by_the_triggers(attack, kept_head):
    plain, _, _ = ATTACKS[attack]
    with tamper.superuser() as conn, pytest.raises(psycopg.Error, match="append-only"):
        conn.execute(plain)
    _verify(kept_head)


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_superuser_without_triggers_is_caught_by_the_kept_head(
    attack, kept_head, client, offline
):
    _, full, resign = ATTACKS[attack]
    with tamper.superuser(triggers=False) as conn:
        full(conn)
    if resign:
        # The insider also holds the signing key and signs a head over what is left.
        audit.audit_checkpoint_create()
    command_names, offline_names = NAMED[attack]
    with pytest.raises(CommandError, match=command_names):
        _verify(kept_head)
    result = offline(client, kept_head)
    if offline_names is None:
        # Only heads went: every row the kept head vouches for is intact, and the
        # offline check says so; verify_audit (above) names the removal.
        assert result.returncode == 0, result.stderr
        assert "extends the head you kept" in result.stdout
    else:
        assert result.returncode == 1, result.stdout + result.stderr
        assert "TAMPERED:" in result.stderr and offline_names in result.stderr


def test_without_a_kept_head_a_re_signed_rewrite_is_not_visible_in_the_database(kept_head):
    """Why the public keeps heads: the database alone cannot catch a key-holding insider."""
    with tamper.superuser(triggers=False) as conn:
        _rewrite(conn, _forge)
        conn.execute("DELETE FROM lfr_portal_auditcheckpoint")
    audit.audit_checkpoint_create()
    ok, message = audit.audit_verify_database()
    assert ok, message
    ok, message = audit.audit_verify_database(earlier_head=json.loads(kept_head.read_text()))
    assert not ok and "no longer extends" in message
