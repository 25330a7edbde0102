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
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from .. import audit_chain, merkle
from ..middleware import current_client_address
from ..models import AuditCheckpoint, AuditEvent, AuditPrunedLeaf, CheckpointKind

logger = logging.getLogger(__name__)

# With no new rows, beat still re-signs the head this often, so a reader can tell a
# quiet log from a stopped one.
HEAD_REFRESH = timezone.timedelta(hours=1)

# An arbitrary, fixed key for pg_advisory_xact_lock: "LFR audit".
AUDIT_LOCK_KEY = 0x4C465241554449


def _deployment_public_id(obj, deployment):
    if deployment is not None:
        return str(deployment.public_id)
    from ..models import Deployment

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


def _lock_chain():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])


def chain_head():
    """(seq, row_hash) of the newest row, or of the last row retention removed, or genesis."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "row_hash").first()
    if last:
        return last
    removed = AuditPrunedLeaf.objects.order_by("-seq").values_list("seq", "row_hash").first()
    return removed or (0, audit_chain.GENESIS_HASH)


def audit_record(*, actor, action, obj=None, reason="", changes=None, deployment=None):
    """Append one row to the audit trail. Must run inside the caller's transaction."""
    from ..permissions import role_label

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the service's transaction")
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
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


# --- signing --------------------------------------------------------------------


@lru_cache(maxsize=4)
def _load_private_key(path):
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
        # Created exclusively so two processes starting at once keep the same key.
        try:
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
        except FileExistsError:
            pass
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("LFR_AUDIT_SIGNING_KEY_FILE must hold an Ed25519 private key.")
    return key


def signing_key():
    return _load_private_key(settings.LFR_AUDIT_SIGNING_KEY_FILE)


def public_key_pem():
    return (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _sign(checkpoint):
    key = signing_key()
    checkpoint.key_id = audit_chain.key_id(key.public_key())
    checkpoint.signature = audit_chain.sign_tree_head(key, checkpoint.tree_head())


def _leaf_hashes_after(seq):
    """(seq, leaf hash) of every leaf after `seq`, pruned ones first: both ordered by seq."""
    pruned = AuditPrunedLeaf.objects.filter(seq__gt=seq).order_by("seq")
    yield from pruned.values_list("seq", "leaf_hash").iterator(chunk_size=10000)
    rows = AuditEvent.objects.filter(seq__gt=seq).order_by("seq")
    yield from rows.values_list("seq", "leaf_hash").iterator(chunk_size=10000)


def _latest_tree_head():
    return AuditCheckpoint.objects.exclude(root_hash="").order_by("-seq", "-id").first()


class AuditLogBroken(Exception):
    """The rows in the database do not form a log a head can be signed over."""


def _issue_tree_head(kind):
    """Sign a head over the whole log; caller holds the chain lock in a transaction."""
    size, row_hash = chain_head()
    last = _latest_tree_head()
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
    for seq, leaf in _leaf_hashes_after(start):
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
def audit_checkpoint_create(*, kind=CheckpointKind.PERIODIC):
    """Sign a tree head over the whole log now (exports and reports ask for one)."""
    _lock_chain()
    return _issue_tree_head(kind)


def audit_tree_head_tick():
    """Beat's minute: sign a new head if the log grew, or if the last is an hour old."""
    with transaction.atomic():
        _lock_chain()
        last = _latest_tree_head()
        size, _ = chain_head()
        if (
            last is not None
            and last.seq == size
            and timezone.now() - last.created_at < HEAD_REFRESH
        ):
            return None
        return _issue_tree_head(CheckpointKind.PERIODIC)


def audit_prune(*, before=None, batch_size=5000):
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


def _prune_in_python(before, batch_size):
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


def log_tree(size=None):
    """The Merkle tree over the log's leaves (rows and pruned rows), all or the first `size`."""
    leaves = [bytes.fromhex(leaf) for _, leaf in _leaf_hashes_after(0)]
    return merkle.MerkleTree(leaves if size is None else leaves[:size])


# The public consistency endpoint answers many keepers of different earlier heads from
# the same latest head: build that head's tree once per process (O(n)), then each proof
# costs O(log^2 n). Keyed by size and root, so a new head replaces it.
_head_tree: tuple[tuple[int, str], merkle.MerkleTree] | None = None


def _tree_for_head(head) -> merkle.MerkleTree:
    global _head_tree
    key = (head.seq, head.root_hash)
    cached = _head_tree
    if cached is not None and cached[0] == key:
        return cached[1]
    tree = log_tree(size=head.seq)
    _head_tree = (key, tree)
    return tree


def consistency_bundle(*, first_size, head=None):
    """What a keeper of an earlier head needs: the latest signed head and a proof to it.

    `proof` is None when the log is now shorter than `first_size` (the verifier then
    names the truncation).
    """
    head = head or _latest_tree_head()
    if head is None:
        return None
    bundle = {
        "format": CONSISTENCY_FORMAT,
        "first_size": first_size,
        "head": head.tree_head(),
        "proof": None,
    }
    tree = _tree_for_head(head)
    if 0 <= first_size <= head.seq == tree.size:
        bundle["proof"] = [p.hex() for p in tree.consistency_proof(first_size, head.seq)]
    return bundle


CONSISTENCY_FORMAT = "lfr-portal-consistency/1"


def audit_verify_database(*, chunk_size=5000, earlier_head=None):
    """Check the whole log in the database. Returns (ok, message) naming the first problem.

    `earlier_head` is a signed tree head someone kept (the published JSON): the log
    must still extend it, whatever the database now says about itself.
    """
    failed, message, _ = _verify_database(chunk_size=chunk_size, earlier_head=earlier_head)
    return failed is None, message


class _ContentChanged(audit_chain.ChainBreak):
    pass


def _verify_database(*, chunk_size: int, earlier_head: dict | None) -> tuple[str | None, str, dict]:
    """(the failed check's name or None, message, {tree_size, root_hash} when checked)."""
    public_key = signing_key().public_key()
    pruned = list(
        AuditPrunedLeaf.objects.order_by("seq").values_list("seq", "leaf_hash", "row_hash")
    )
    for position, (seq, _, _) in enumerate(pruned, 1):
        if seq != position:
            missing = f"row {position}: missing (not among the rows retention removed)"
            return "rows_present", missing, {}
    if pruned:
        anchor_seq, anchor_hash = pruned[-1][0], pruned[-1][2]
    else:
        anchor_seq, anchor_hash = 0, audit_chain.GENESIS_HASH
    first = AuditEvent.objects.order_by("seq").values_list("seq", flat=True).first()
    if first is not None and first != anchor_seq + 1:
        return (
            "rows_present",
            (
                f"row {anchor_seq + 1}: missing (the trail starts at row {first} and retention "
                "removed no rows up to there)"
            ),
            {},
        )

    leaves = [bytes.fromhex(leaf) for _, leaf, _ in pruned]

    def links():
        for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size):
            fields = event.hashed_fields()
            if (
                audit_chain.content_hash(fields) != event.content_hash
                or audit_chain.leaf_hash(fields) != event.leaf_hash
            ):
                raise _ContentChanged(event.seq, "its content was changed after it was written")
            leaves.append(bytes.fromhex(event.leaf_hash))
            yield event.seq, event.content_hash, event.row_hash

    try:
        last_seq, _ = audit_chain.verify_links(
            links(), anchor_seq=anchor_seq, anchor_hash=anchor_hash
        )
    except _ContentChanged as exc:
        return "row_content", str(exc), {}
    except audit_chain.ChainBreak as exc:
        return "chain_links", str(exc), {}

    tree = merkle.MerkleTree(leaves)
    size = {"tree_size": tree.size, "root_hash": tree.root().hex()}
    if earlier_head is not None:
        problem = _check_earlier_head(earlier_head, tree, public_key)
        if problem:
            return "earlier_head", problem, size

    checked = 0
    for head in AuditCheckpoint.objects.exclude(root_hash="").order_by("seq", "id"):
        published = head.tree_head()
        if not audit_chain.verify_tree_head(public_key, published):
            described = audit_chain.describe_head(published)
            return "tree_head_signature", f"{described} has a bad signature", size
        if head.seq > tree.size:
            return (
                "tree_head_size",
                (
                    f"{audit_chain.describe_head(published)} vouches for row {head.seq}, but the "
                    f"trail ends at row {tree.size}: rows were removed from the end"
                ),
                size,
            )
        if tree.root(head.seq).hex() != head.root_hash:
            described = audit_chain.describe_head(published)
            return (
                "tree_head_root",
                (
                    f"the first {head.seq} rows no longer match {described}: "
                    "rows were rewritten, reordered or removed"
                ),
                size,
            )
        checked += 1
    return (
        None,
        (
            f"OK: rows {anchor_seq + 1} to {last_seq} chain correctly; {checked} signed tree heads "
            f"agree; tree of {tree.size} rows has root {tree.root().hex()}."
        ),
        size,
    )


def _check_earlier_head(earlier, tree, public_key):
    try:
        size = int(earlier["tree_size"])
        root = earlier["root_hash"]
    except (KeyError, TypeError, ValueError):
        return "the head you kept is not a signed tree head of this log"
    if not audit_chain.verify_tree_head(public_key, earlier):
        return "the head you kept does not carry a valid signature of this log's key"
    if size > tree.size:
        return (
            f"the trail now holds {tree.size} rows, fewer than the {size} of "
            f"{audit_chain.describe_head(earlier)}: rows were removed (truncation or tail cut)"
        )
    proof = tree.consistency_proof(size, tree.size)
    if not merkle.verify_consistency(size, tree.size, bytes.fromhex(root), tree.root(), proof):
        return (
            f"the trail no longer extends {audit_chain.describe_head(earlier)}: its first "
            f"{size} rows were rewritten, reordered or removed since"
        )
    still_there = AuditCheckpoint.objects.filter(
        seq=size, root_hash=root, signature=earlier.get("signature")
    ).exists()
    if not still_there:
        return (
            f"{audit_chain.describe_head(earlier)} is no longer in the database: signed tree "
            "heads were removed"
        )
    return None


VERIFY_ACTION = "audit.verify"


def audit_verification_record(
    *, earlier_head: dict | None = None, chunk_size: int = 5000
) -> tuple[AuditEvent, str]:
    """Verify the whole log and record the outcome in it, so the next run covers this one.

    Returns the row and the message naming the first problem. The row holds check names,
    counts and hashes only, not the message.
    """
    failed, message, tree = _verify_database(chunk_size=chunk_size, earlier_head=earlier_head)
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


def _sized(head: dict | None) -> bool:
    try:
        int(head["tree_size"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return False
    return True
