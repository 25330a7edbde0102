"""Writing the audit trail: `audit_record` runs inside every service's transaction.

Rows are chained by hash (lfr_portal/audit_chain.py) and are the leaves of a
Merkle tree (lfr_portal/merkle.py, RFC 9162) whose signed heads are published.
Writers take a PostgreSQL advisory lock for the rest of their transaction, so two
processes can never both extend the log from the same head; the unique sequence
number backs that up. A write stores the row's leaf hash and nothing more: heads
are computed from the previous head's frontier and the rows since.
"""

import json
import logging
import os
import tempfile
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from .. import audit_chain, merkle
from ..middleware import current_client_address
from ..models import AuditCheckpoint, AuditEvent, AuditPrunedLeaf, CheckpointKind, Deployment
from ..permissions import role_label
from ..selectors.audit_log import (
    LogCheck,
    audit_log_check,
    chain_head,
    latest_tree_head,
    leaf_hashes_after,
    log_tree,
)

logger = logging.getLogger(__name__)

# With no new rows, beat still re-signs the head this often, so a reader can tell a
# quiet log from a stopped one.
HEAD_REFRESH = timedelta(hours=1)

# An arbitrary, fixed key for pg_advisory_xact_lock: "LFR audit".
AUDIT_LOCK_KEY = 0x4C465241554449


def _deployment_public_id(obj: models.Model | None, deployment: Deployment | None) -> str:
    if deployment is not None:
        return str(deployment.public_id)
    if isinstance(obj, Deployment):
        return str(obj.public_id)
    for attr in ("deployment", "watchlist"):
        related = getattr(obj, attr, None)
        if related is None:
            continue
        if isinstance(related, Deployment):
            return str(related.public_id)
        inner = getattr(related, "deployment", None)
        if inner is not None:
            return str(inner.public_id)
    return ""


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    obj: models.Model | None = None,
    reason: str = "",
    changes: dict[str, Any] | None = None,
    deployment: Deployment | None = None,
) -> AuditEvent:
    """Append one row to the audit trail. Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the service's transaction")
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    user = cast("User | None", actor if authenticated else None)
    _lock_chain()
    head_seq, head_hash = chain_head()
    event = AuditEvent(
        seq=head_seq + 1,
        occurred_at=timezone.now(),
        actor=user,
        actor_username=user.get_username() if user else "system",
        actor_role=role_label(user) if user else "system",
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_public_id=(
            str(getattr(obj, "public_id", "") or getattr(obj, "pk", "") or "")
            if obj is not None
            else ""
        ),
        object_repr=str(obj)[:300] if obj is not None else "",
        deployment_public_id=_deployment_public_id(obj, deployment),
        client_address=current_client_address(),
        reason=reason or "",
        changes=changes or {},
        prev_hash=head_hash,
    )
    # Hash exactly what the database will hand back: JSON round-tripped, the
    # address in the form the IP field stores.
    event.changes = json.loads(audit_chain.canonical_json(event.changes))
    if event.client_address and ":" in event.client_address:
        event.client_address = clean_ipv6_address(event.client_address)
    event.content_hash = audit_chain.content_hash(event.hashed_fields())
    event.leaf_hash = audit_chain.leaf_hash(event.hashed_fields())
    event.row_hash = audit_chain.chain_hash(head_hash, event.content_hash)
    event.save(force_insert=True)
    every = settings.LFR_AUDIT_TREE_HEAD_EVERY_ROWS
    if every and event.seq % every == 0:
        try:
            _issue_tree_head(CheckpointKind.ROWS)
        except AuditLogBroken as exc:
            # The action itself stands; the broken log is for verify_audit to name.
            logger.error("no tree head signed at row %s: %s", event.seq, exc)
    return event


@transaction.atomic
def audit_read_record(
    *,
    actor: AbstractBaseUser | AnonymousUser,
    changes: dict[str, Any],
    action: str = "audit.read",
) -> AuditEvent:
    """Reading the trail is itself on the trail, from the pages and the admin alike; so
    is any other read that must be (a subject access lookup names its own action)."""
    return audit_record(actor=actor, action=action, changes=changes)


# --- signing --------------------------------------------------------------------


@lru_cache(maxsize=4)
def _load_private_key(path: str | Path) -> Ed25519PrivateKey:
    key_path = Path(path)
    if not key_path.exists():
        if not settings.LFR_AUDIT_SIGNING_KEY_AUTOCREATE:
            raise ImproperlyConfigured(
                f"LFR_AUDIT_SIGNING_KEY_FILE names {key_path}, which does not exist."
            )
        key_path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Written whole under a private name, then linked into place: of two processes
        # starting at once one link wins and both read that key, never a half-written file.
        fd, partial = tempfile.mkstemp(dir=key_path.parent, prefix=".signing-key-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            os.link(partial, key_path)
        except FileExistsError:
            pass
        finally:
            os.unlink(partial)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("LFR_AUDIT_SIGNING_KEY_FILE must hold an Ed25519 private key.")
    return key


def signing_key() -> Ed25519PrivateKey:
    return _load_private_key(settings.LFR_AUDIT_SIGNING_KEY_FILE)


def public_key_pem() -> bytes:
    return (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _sign(checkpoint: AuditCheckpoint) -> None:
    key = signing_key()
    checkpoint.key_id = audit_chain.key_id(key.public_key())
    checkpoint.signature = audit_chain.sign_tree_head(key, checkpoint.tree_head())


class AuditLogBroken(Exception):
    """The rows in the database do not form a log a head can be signed over."""


def _issue_tree_head(kind: str) -> AuditCheckpoint:
    """Sign a head over the whole log; caller holds the chain lock in a transaction."""
    size, row_hash = chain_head()
    last = latest_tree_head()
    if last is not None and last.seq > size:
        # Never sign a shorter log than was signed before: rows were removed.
        raise AuditLogBroken(
            f"the log ends at row {size}, but a head signed at {last.created_at} vouches "
            f"for {last.seq} rows"
        )
    start, frontier = 0, []
    if last is not None and sum(s for s, _ in last.frontier) == last.seq:
        start = last.seq
        frontier = [(s, bytes.fromhex(h)) for s, h in last.frontier]
    expected = start + 1
    new = []
    for seq, leaf in leaf_hashes_after(start):
        if seq != expected or not leaf:
            raise AuditLogBroken(f"row {expected} is missing or has no leaf hash")
        new.append(bytes.fromhex(leaf))
        expected += 1
    frontier = merkle.extend_frontier(frontier, new)
    if sum(s for s, _ in frontier) != size:
        raise AuditLogBroken(f"the log ends at row {expected - 1}, not at row {size}")
    head = AuditCheckpoint(
        kind=kind,
        seq=size,
        row_hash=row_hash,
        root_hash=merkle.root_from_frontier([h for _, h in frontier]).hex(),
        frontier=[[s, h.hex()] for s, h in frontier],
        created_at=timezone.now(),
    )
    _sign(head)
    head.save(force_insert=True)
    return head


@transaction.atomic
def audit_checkpoint_create(*, kind: str = CheckpointKind.PERIODIC) -> AuditCheckpoint:
    """Sign a tree head over the whole log now (exports and reports ask for one)."""
    _lock_chain()
    return _issue_tree_head(kind)


def audit_tree_head_tick() -> AuditCheckpoint | None:
    """Beat's minute: sign a new head if the log grew, or if the last is an hour old."""
    with transaction.atomic():
        _lock_chain()
        last = latest_tree_head()
        size, _ = chain_head()
        if (
            last is not None
            and last.seq == size
            and timezone.now() - last.created_at < HEAD_REFRESH
        ):
            return None
        return _issue_tree_head(CheckpointKind.PERIODIC)


def audit_prune(*, before: datetime | None = None, batch_size: int = 5000) -> int:
    """Remove rows past their retention period from the start of the log, in batches.

    On PostgreSQL the database decides what is past retention: the SECURITY DEFINER
    function `lfr_audit_prune` (lfr_portal/audit_db.py) removes only those rows and
    keeps their leaf and chain hashes; `before` is ignored there. Each batch is
    recorded on the log itself. On SQLite (development) the same happens in Python.
    """
    removed_total = 0
    while True:
        with transaction.atomic():
            _lock_chain()
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT * FROM lfr_audit_prune(%s)", [batch_size])
                    first_seq, last_seq, removed = cursor.fetchone()
            else:
                first_seq, last_seq, removed = _prune_in_python(before, batch_size)
            if not removed:
                return removed_total
            audit_record(
                actor=None,
                action="audit.retention",
                reason="rows past their retention period removed; their hashes are kept",
                changes={"from_seq": first_seq, "to_seq": last_seq, "removed": removed},
            )
            removed_total += removed


def _prune_in_python(
    before: datetime | None, batch_size: int
) -> tuple[int | None, int | None, int]:
    if before is None:
        before = timezone.now() - settings.LFR_AUDIT_RETENTION
    before = max(before, timezone.now() - settings.LFR_AUDIT_RETENTION)
    kept = AuditEvent.objects.filter(occurred_at__gte=before).order_by("seq")
    oldest_kept = kept.values_list("seq", flat=True).first()
    victims = AuditEvent.objects.filter(occurred_at__lt=before)
    if oldest_kept is not None:
        victims = victims.filter(seq__lt=oldest_kept)
    batch = list(victims.order_by("seq").values_list("seq", "leaf_hash", "row_hash")[:batch_size])
    if not batch:
        return None, None, 0
    now = timezone.now()
    AuditPrunedLeaf.objects.bulk_create(
        AuditPrunedLeaf(seq=seq, leaf_hash=leaf, row_hash=row, removed_at=now)
        for seq, leaf, row in batch
    )
    AuditEvent.objects.filter(seq__gte=batch[0][0], seq__lte=batch[-1][0]).delete()
    return batch[0][0], batch[-1][0], len(batch)


# --- verification ---------------------------------------------------------------


# The public consistency endpoint answers many keepers of different earlier heads from
# the same latest head: build that head's tree once per process (O(n)), then each proof
# costs O(log^2 n). Keyed by size and root, so a new head replaces it.
_head_tree: tuple[tuple[int, str], merkle.MerkleTree] | None = None


def _tree_for_head(head: AuditCheckpoint) -> merkle.MerkleTree:
    global _head_tree
    key = (head.seq, head.root_hash)
    cached = _head_tree
    if cached is not None and cached[0] == key:
        return cached[1]
    tree = log_tree(size=head.seq)
    _head_tree = (key, tree)
    return tree


def consistency_bundle(
    *, first_size: int, head: AuditCheckpoint | None = None
) -> dict[str, Any] | None:
    """What a keeper of an earlier head needs: the latest signed head and a proof to it.

    `proof` is None when the log is now shorter than `first_size` (the verifier then
    names the truncation).
    """
    head = head or latest_tree_head()
    if head is None:
        return None
    bundle: dict[str, Any] = {
        "format": audit_chain.CONSISTENCY_FORMAT,
        "first_size": first_size,
        "head": head.tree_head(),
        "proof": None,
    }
    tree = _tree_for_head(head)
    if 0 <= first_size <= head.seq == tree.size:
        bundle["proof"] = [p.hex() for p in tree.consistency_proof(first_size, head.seq)]
    return bundle


def audit_verify_database(
    *, chunk_size: int = 5000, earlier_head: dict[str, Any] | None = None
) -> tuple[bool, str]:
    """Check the whole log in the database. Returns (ok, message) naming the first problem.

    `earlier_head` is a signed tree head someone kept (the published JSON): the log
    must still extend it, whatever the database now says about itself.
    """
    check = _verify_database(chunk_size=chunk_size, earlier_head=earlier_head)
    return check.failed is None, check.message


def _verify_database(*, chunk_size: int, earlier_head: dict[str, Any] | None) -> LogCheck:
    public_key = signing_key().public_key()
    return audit_log_check(public_key=public_key, chunk_size=chunk_size, earlier_head=earlier_head)


VERIFY_ACTION = "audit.verify"


def audit_verification_record(
    *, earlier_head: dict[str, Any] | None = None, chunk_size: int = 5000
) -> tuple[AuditEvent, str]:
    """Verify the whole log and record the outcome in it, so the next run covers this one.

    Returns the row and the message naming the first problem. The row holds check names,
    counts and hashes only, not the message.
    """
    check = _verify_database(chunk_size=chunk_size, earlier_head=earlier_head)
    failed, message, tree = check.failed, check.message, check.tree
    changes = {
        "ok": failed is None,
        "tree_size": tree.get("tree_size"),
        "root_hash": tree.get("root_hash", ""),
        "failed_checks": [failed] if failed else [],
        "earlier_head_size": (
            int(earlier_head["tree_size"])
            if earlier_head is not None and _sized(earlier_head)
            else None
        ),
    }
    with transaction.atomic():
        return audit_record(actor=None, action=VERIFY_ACTION, changes=changes), message


def _sized(head: dict[str, Any]) -> bool:
    try:
        int(head["tree_size"])
    except (KeyError, TypeError, ValueError):
        return False
    return True
