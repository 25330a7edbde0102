"""Writing the audit trail: `audit_record` runs inside every service's transaction.

Rows are chained by hash (lfr_portal/audit_chain.py). Writers take a PostgreSQL
advisory lock for the rest of their transaction, so two processes can never both
extend the chain from the same head; the unique sequence number backs that up.
"""

import json
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

from .. import audit_chain
from ..middleware import current_client_address
from ..models import AuditCheckpoint, AuditEvent, CheckpointKind

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
    """(seq, row_hash) of the newest row, or of what retention removed last, or genesis."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "row_hash").first()
    if last:
        return last
    removed = (
        AuditCheckpoint.objects.filter(kind=CheckpointKind.RETENTION)
        .order_by("-seq")
        .values_list("seq", "row_hash")
        .first()
    )
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
    event.row_hash = audit_chain.chain_hash(head_hash, event.content_hash)
    event.save(force_insert=True)
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
    checkpoint.signature = audit_chain.sign_checkpoint(key, checkpoint.signed_fields())


@transaction.atomic
def audit_checkpoint_create(*, kind=CheckpointKind.PERIODIC):
    """Sign the current head of the chain."""
    _lock_chain()
    seq, row_hash = chain_head()
    checkpoint = AuditCheckpoint(kind=kind, seq=seq, row_hash=row_hash, created_at=timezone.now())
    _sign(checkpoint)
    checkpoint.save()
    return checkpoint


def audit_prune(*, before, batch_size=5000):
    """Remove rows older than `before` from the start of the chain, in batches.

    The one path that deletes audit rows. Each batch leaves a signed retention
    checkpoint naming the rows it removed and the hash of the last, so the chain
    that remains still verifies from there.
    """
    removed_total = 0
    while True:
        with transaction.atomic():
            _lock_chain()
            batch = list(
                AuditEvent.objects.filter(occurred_at__lt=before)
                .order_by("seq")
                .values_list("seq", "row_hash")[:batch_size]
            )
            if not batch:
                return removed_total
            first_seq, last_seq, last_hash = batch[0][0], batch[-1][0], batch[-1][1]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lfr.audit_retention = 'on'")
            deleted, _ = AuditEvent.objects.filter(seq__gte=first_seq, seq__lte=last_seq).delete()
            checkpoint = AuditCheckpoint(
                kind=CheckpointKind.RETENTION,
                seq=last_seq,
                row_hash=last_hash,
                created_at=timezone.now(),
                removed_from_seq=first_seq,
                removed_to_seq=last_seq,
                removed_count=deleted,
            )
            _sign(checkpoint)
            checkpoint.save()
            removed_total += deleted


# --- verification ---------------------------------------------------------------


def audit_verify_database(*, chunk_size=5000):
    """Check the whole chain in the database. Returns (ok, message)."""
    public_key = signing_key().public_key()
    retention = (
        AuditCheckpoint.objects.filter(kind=CheckpointKind.RETENTION).order_by("-seq").first()
    )
    first = AuditEvent.objects.order_by("seq").values_list("seq", flat=True).first()
    if retention is not None:
        if not audit_chain.verify_checkpoint(public_key, retention.signed_fields()):
            return False, f"the retention checkpoint at row {retention.seq} has a bad signature"
        anchor_seq, anchor_hash = retention.seq, retention.row_hash
    else:
        anchor_seq, anchor_hash = 0, audit_chain.GENESIS_HASH
    if first is not None and first != anchor_seq + 1:
        return False, (
            f"row {anchor_seq + 1}: missing (the trail starts at row {first} and no signed "
            "retention checkpoint accounts for the rows before it)"
        )

    def links():
        for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size):
            recomputed = audit_chain.content_hash(event.hashed_fields())
            if recomputed != event.content_hash:
                raise audit_chain.ChainBreak(
                    event.seq, "its content was changed after it was written"
                )
            yield event.seq, event.content_hash, event.row_hash

    try:
        last_seq, last_hash = audit_chain.verify_links(
            links(), anchor_seq=anchor_seq, anchor_hash=anchor_hash
        )
    except audit_chain.ChainBreak as exc:
        return False, str(exc)

    checked = 0
    for checkpoint in AuditCheckpoint.objects.exclude(kind=CheckpointKind.RETENTION):
        if not audit_chain.verify_checkpoint(public_key, checkpoint.signed_fields()):
            return False, f"the checkpoint at row {checkpoint.seq} has a bad signature"
        if checkpoint.seq > last_seq:
            return False, (
                f"a signed checkpoint vouches for row {checkpoint.seq}, but the trail ends at "
                f"row {last_seq}: rows were removed from the end"
            )
        if checkpoint.seq > anchor_seq:
            row_hash = (
                AuditEvent.objects.filter(seq=checkpoint.seq)
                .values_list("row_hash", flat=True)
                .first()
            )
            if row_hash != checkpoint.row_hash:
                return False, f"row {checkpoint.seq}: differs from its signed checkpoint"
        checked += 1
    return True, (
        f"OK: rows {anchor_seq + 1} to {last_seq} chain correctly; "
        f"{checked} signed checkpoints agree."
    )
