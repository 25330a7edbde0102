"""Reads of the audit log as a hash chain and a Merkle tree, and the checks over them.

Everything here only reads: the services that write rows and sign heads
(lfr_portal/services/audit.py) and the verification they record build on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db.models import QuerySet

from .. import audit_chain, merkle
from ..models import AuditCheckpoint, AuditEvent, AuditPrunedLeaf

LEAF_CHUNK = 10000


def chain_head() -> tuple[int, str]:
    """(seq, row_hash) of the newest row, or of the last row retention removed, or genesis."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "row_hash").first()
    if last:
        return last
    removed = AuditPrunedLeaf.objects.order_by("-seq").values_list("seq", "row_hash").first()
    return removed or (0, audit_chain.GENESIS_HASH)


def leaf_hashes_after(seq: int) -> Iterator[tuple[int, str]]:
    """(seq, leaf hash) of every leaf after `seq`, pruned ones first: both ordered by seq."""
    pruned = AuditPrunedLeaf.objects.filter(seq__gt=seq).order_by("seq")
    yield from pruned.values_list("seq", "leaf_hash").iterator(chunk_size=LEAF_CHUNK)
    rows = AuditEvent.objects.filter(seq__gt=seq).order_by("seq")
    yield from rows.values_list("seq", "leaf_hash").iterator(chunk_size=LEAF_CHUNK)


def signed_heads() -> QuerySet[AuditCheckpoint]:
    # Checkpoints from before tree heads existed carry no root hash: they are not heads.
    return AuditCheckpoint.objects.exclude(root_hash="")


def latest_tree_head() -> AuditCheckpoint | None:
    return signed_heads().order_by("-seq", "-id").first()


def log_tree(size: int | None = None) -> merkle.MerkleTree:
    """The Merkle tree over the log's leaves (rows and pruned rows), all or the first `size`."""
    leaves = [bytes.fromhex(leaf) for _, leaf in leaf_hashes_after(0)]
    return merkle.MerkleTree(leaves if size is None else leaves[:size])


# --- checking the whole log ------------------------------------------------------


@dataclass
class LogCheck:
    """A check of the log: the failed check's name (None when all passed) and what it found."""

    failed: str | None
    message: str
    tree: dict[str, Any] = field(default_factory=dict)


class _ContentChanged(audit_chain.ChainBreak):
    pass


def _anchor(pruned: list[tuple[int, str, str]]) -> tuple[int, str] | LogCheck:
    """Where the kept rows must start: after the rows retention removed, which run from 1."""
    for position, (seq, _, _) in enumerate(pruned, 1):
        if seq != position:
            missing = f"row {position}: missing (not among the rows retention removed)"
            return LogCheck("rows_present", missing)
    anchor_seq, anchor_hash = (
        (pruned[-1][0], pruned[-1][2]) if pruned else (0, audit_chain.GENESIS_HASH)
    )
    first = AuditEvent.objects.order_by("seq").values_list("seq", flat=True).first()
    if first is not None and first != anchor_seq + 1:
        return LogCheck(
            "rows_present",
            f"row {anchor_seq + 1}: missing (the trail starts at row {first} and retention "
            "removed no rows up to there)",
        )
    return anchor_seq, anchor_hash


def _links(leaves: list[bytes], chunk_size: int) -> Iterator[tuple[int, str, str]]:
    """Each row's chain link, after checking its hashes still match its content."""
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size):
        fields = event.hashed_fields()
        if (
            audit_chain.content_hash(fields) != event.content_hash
            or audit_chain.leaf_hash(fields) != event.leaf_hash
        ):
            raise _ContentChanged(event.seq, "its content was changed after it was written")
        leaves.append(bytes.fromhex(event.leaf_hash))
        yield event.seq, event.content_hash, event.row_hash


def _stored_heads_problem(
    tree: merkle.MerkleTree, public_key: Ed25519PublicKey
) -> tuple[str, str] | int:
    """(check name, message) for the first stored head the tree contradicts, else how many agree."""
    checked = 0
    for head in signed_heads().order_by("seq", "id"):
        published = head.tree_head()
        described = audit_chain.describe_head(published)
        if not audit_chain.verify_tree_head(public_key, published):
            return "tree_head_signature", f"{described} has a bad signature"
        if head.seq > tree.size:
            return (
                "tree_head_size",
                f"{described} vouches for row {head.seq}, but the trail ends at row "
                f"{tree.size}: rows were removed from the end",
            )
        if tree.root(head.seq).hex() != head.root_hash:
            return (
                "tree_head_root",
                f"the first {head.seq} rows no longer match {described}: "
                "rows were rewritten, reordered or removed",
            )
        checked += 1
    return checked


def earlier_head_problem(
    earlier: dict[str, Any], tree: merkle.MerkleTree, public_key: Ed25519PublicKey
) -> str | None:
    """What is wrong with the log as seen from a head someone kept, or None."""
    try:
        size = int(earlier["tree_size"])
        root = earlier["root_hash"]
    except (KeyError, TypeError, ValueError):
        return "the head you kept is not a signed tree head of this log"
    if not audit_chain.verify_tree_head(public_key, earlier):
        return "the head you kept does not carry a valid signature of this log's key"
    described = audit_chain.describe_head(earlier)
    if size > tree.size:
        return (
            f"the trail now holds {tree.size} rows, fewer than the {size} of "
            f"{described}: rows were removed (truncation or tail cut)"
        )
    proof = tree.consistency_proof(size, tree.size)
    if not merkle.verify_consistency(size, tree.size, bytes.fromhex(root), tree.root(), proof):
        return (
            f"the trail no longer extends {described}: its first "
            f"{size} rows were rewritten, reordered or removed since"
        )
    still_there = AuditCheckpoint.objects.filter(
        seq=size, root_hash=root, signature=earlier.get("signature")
    ).exists()
    if not still_there:
        return f"{described} is no longer in the database: signed tree heads were removed"
    return None


def audit_log_check(
    *, public_key: Ed25519PublicKey, chunk_size: int, earlier_head: dict[str, Any] | None
) -> LogCheck:
    """Check the rows, their chain, the kept head if any, and every stored signed head."""
    pruned = list(
        AuditPrunedLeaf.objects.order_by("seq").values_list("seq", "leaf_hash", "row_hash")
    )
    anchor = _anchor(pruned)
    if isinstance(anchor, LogCheck):
        return anchor
    anchor_seq, anchor_hash = anchor
    leaves = [bytes.fromhex(leaf) for _, leaf, _ in pruned]
    try:
        last_seq, _ = audit_chain.verify_links(
            _links(leaves, chunk_size), anchor_seq=anchor_seq, anchor_hash=anchor_hash
        )
    except _ContentChanged as exc:
        return LogCheck("row_content", str(exc))
    except audit_chain.ChainBreak as exc:
        return LogCheck("chain_links", str(exc))
    tree = merkle.MerkleTree(leaves)
    size = {"tree_size": tree.size, "root_hash": tree.root().hex()}
    if earlier_head is not None:
        problem = earlier_head_problem(earlier_head, tree, public_key)
        if problem:
            return LogCheck("earlier_head", problem, size)
    heads = _stored_heads_problem(tree, public_key)
    if isinstance(heads, tuple):
        return LogCheck(heads[0], heads[1], size)
    return LogCheck(
        None,
        f"OK: rows {anchor_seq + 1} to {last_seq} chain correctly; {heads} signed tree heads "
        f"agree; tree of {tree.size} rows has root {tree.root().hex()}.",
        size,
    )
