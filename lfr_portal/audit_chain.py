"""The audit trail's hash chain and checkpoint signatures.

Pure Python plus `cryptography`: the standalone verifier imports this module on a
machine with no Django, no database and no access to the system.

Each row has a content hash (SHA-256 of its canonical JSON, which includes its
sequence number) and a row hash, SHA-256(previous row hash || content hash). Keeping
the two apart lets an export carry full rows for what was asked for and only
(seq, content hash, row hash) for the rows in between, and still prove the chain.
A checkpoint signs (seq, row hash) of the head with Ed25519, so removing the tail
is detectable as well.

The chain only proves things to someone who trusts the database it is read from.
What holds against an insider is the Merkle tree over the same rows
(lfr_portal/merkle.py, RFC 9162): each row's leaf is its canonical JSON, signed
tree heads are published, and anyone who kept one can later demand a consistency
proof that today's log extends it.
"""

import base64
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import merkle

GENESIS_HASH = "0" * 64

# What an export and a consistency proof call themselves; the verifier checks both.
EXPORT_FORMAT = "lfr-portal-audit-export/2"
CONSISTENCY_FORMAT = "lfr-portal-consistency/1"

# The fields a row's content hash covers, in the export's words.
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_username",
    "actor_role",
    "action",
    "object_type",
    "object_public_id",
    "object_repr",
    "deployment_public_id",
    "client_address",
    "reason",
    "changes",
)

# An export row: its fields, its leaf hash and its RFC 9162 inclusion proof.
EXPORT_ROW_FIELDS = (*HASHED_FIELDS, "leaf_hash", "inclusion_proof")


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _hashed_json(fields):
    """The canonical JSON of the fields a row's hashes cover; refuses a row that lacks one."""
    missing = [name for name in HASHED_FIELDS if name not in fields]
    if missing:
        raise ValueError(f"row lacks hashed fields: {', '.join(missing)}")
    return canonical_json({k: fields[k] for k in HASHED_FIELDS})


def content_hash(fields):
    return hashlib.sha256(_hashed_json(fields)).hexdigest()


def leaf_hash(fields):
    """The row's RFC 9162 leaf hash (hex): SHA-256(0x00 || canonical JSON of its fields)."""
    return merkle.leaf_hash(_hashed_json(fields)).hex()


# A signed tree head: what the log commits to, in the words RFC 9162 uses.
LOG_NAME = "lfr-portal-audit"
TREE_HEAD_FIELDS = ("log", "tree_size", "root_hash", "timestamp", "key_id")


def tree_head_message(head):
    """The bytes a tree head's signature covers."""
    return canonical_json({k: head.get(k) for k in TREE_HEAD_FIELDS})


def sign_tree_head(private_key, head):
    return base64.b64encode(private_key.sign(tree_head_message(head))).decode()


def verify_tree_head(public_key, head):
    try:
        if head.get("log") != LOG_NAME:
            return False
        public_key.verify(base64.b64decode(head["signature"]), tree_head_message(head))
    except (InvalidSignature, ValueError, KeyError, TypeError, AttributeError):
        return False
    return True


def describe_head(head):
    return f"the signed head of {head.get('tree_size')} rows issued at {head.get('timestamp')}"


def check_extends(earlier, later, proof, public_key):
    """Check that the log behind signed head `later` extends signed head `earlier`.

    Returns None when it does, or a sentence naming what is wrong. `proof` is the
    RFC 9162 consistency proof (hex strings) between the two tree sizes.
    """
    if not verify_tree_head(public_key, earlier):
        return "the head you kept does not carry a valid signature of this key"
    if not verify_tree_head(public_key, later):
        return "the log's current signed head does not carry a valid signature of this key"
    first, second = earlier["tree_size"], later["tree_size"]
    if proof is None and first != second:
        return (
            f"the log can no longer prove that it extends {describe_head(earlier)}: rows were "
            "removed (truncation or tail cut) or rewritten since"
        )
    if second < first:
        return (
            f"the log now holds {second} rows, fewer than the {first} of {describe_head(earlier)}: "
            "rows were removed (truncation or tail cut)"
        )
    try:
        path = [bytes.fromhex(p) for p in (proof or [])]
        ok = merkle.verify_consistency(
            first,
            second,
            bytes.fromhex(earlier["root_hash"]),
            bytes.fromhex(later["root_hash"]),
            path,
        )
    except (ValueError, TypeError):
        ok = False
    if not ok:
        return (
            f"the log no longer extends {describe_head(earlier)}: its first {first} rows were "
            "rewritten, reordered or removed since (the consistency proof fails)"
        )
    return None


def chain_hash(prev_hash, row_content_hash):
    return hashlib.sha256(f"{prev_hash}:{row_content_hash}".encode()).hexdigest()


def checkpoint_message(fields):
    """The bytes a checkpoint's signature covers."""
    keys = (
        "kind",
        "seq",
        "row_hash",
        "created_at",
        "removed_from_seq",
        "removed_to_seq",
        "removed_count",
    )
    return canonical_json({k: fields.get(k) for k in keys})


def key_id(public_key):
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign_checkpoint(private_key, fields):
    return base64.b64encode(private_key.sign(checkpoint_message(fields))).decode()


def verify_checkpoint(public_key, fields):
    try:
        public_key.verify(base64.b64decode(fields["signature"]), checkpoint_message(fields))
    except (InvalidSignature, ValueError, KeyError):
        return False
    return True


class SeqDigest:
    """A running digest of the sequence numbers an export shows in full."""

    def __init__(self):
        self._hash = hashlib.sha256()
        self.count = 0

    def add(self, seq):
        self._hash.update(f"{seq},".encode())
        self.count += 1

    def hexdigest(self):
        return self._hash.hexdigest()


def manifest_message(manifest):
    keys = ("filters", "head_seq", "row_count", "rows_digest", "exported_at", "exported_by")
    return canonical_json({k: manifest.get(k) for k in keys})


def sign_manifest(private_key, manifest):
    return base64.b64encode(private_key.sign(manifest_message(manifest))).decode()


def verify_manifest(public_key, manifest):
    try:
        public_key.verify(base64.b64decode(manifest["signature"]), manifest_message(manifest))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return True


# An alert's evidence bundle: a ZIP whose signature.json signs the SHA-256 of every other file.
BUNDLE_FORMAT = "lfr-portal-evidence-bundle/1"
BUNDLE_SIGNATURE_FILE = "signature.json"


def bundle_message(signed):
    return canonical_json({k: signed.get(k) for k in ("format", "files", "key_id")})


def sign_bundle(private_key, files):
    """signature.json's content for {file name: SHA-256 hex} of the bundle's other files."""
    signed = {
        "format": BUNDLE_FORMAT,
        "files": dict(files),
        "key_id": key_id(private_key.public_key()),
    }
    signed["signature"] = base64.b64encode(private_key.sign(bundle_message(signed))).decode()
    return signed


def verify_bundle_signature(public_key, signed):
    try:
        public_key.verify(base64.b64decode(signed["signature"]), bundle_message(signed))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return True


def load_public_key(pem_bytes):
    key = serialization.load_pem_public_key(pem_bytes)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return key


class ChainBreak(Exception):
    def __init__(self, seq, message):
        super().__init__(f"row {seq}: {message}" if seq is not None else message)
        self.seq = seq


def verify_links(links, *, anchor_seq, anchor_hash):
    """Check that (seq, content_hash, row_hash) triples chain on from the anchor.

    Raises ChainBreak naming the first row that does not follow.
    """
    expected_seq, prev = anchor_seq + 1, anchor_hash
    last_seq = anchor_seq
    for seq, row_content_hash, row_hash in links:
        if seq != expected_seq:
            if seq < expected_seq:
                raise ChainBreak(seq, f"out of order or repeated (expected row {expected_seq})")
            raise ChainBreak(
                expected_seq, f"missing (the chain jumps from row {expected_seq - 1} to {seq})"
            )
        if chain_hash(prev, row_content_hash) != row_hash:
            raise ChainBreak(seq, "its hash does not follow from the previous row")
        prev, last_seq, expected_seq = row_hash, seq, seq + 1
    return last_seq, prev
