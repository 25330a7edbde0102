from django.conf import settings
from django.db import models

from ..audit_chain import LOG_NAME


class AuditEvent(models.Model):
    """One action: who, what, on which object, when, from where, why. Append-only.

    Rows form a hash chain (see lfr_portal/audit_chain.py) and are the leaves of a
    Merkle tree whose signed heads are published (lfr_portal/merkle.py). On
    PostgreSQL, triggers refuse UPDATE, DELETE and TRUNCATE; only the retention
    function, owned by the migration role, removes rows past retention.
    """

    seq = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField(db_index=True)
    # PROTECT: officers' accounts are deactivated, never deleted, while they have history.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_public_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(max_length=300, blank=True)
    deployment_public_id = models.CharField(max_length=64, blank=True, db_index=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    reason = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)
    # RFC 9162 leaf hash of the row, stored so a tree head never re-reads row content.
    leaf_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["seq"]

    def __str__(self):
        return (
            f"#{self.seq} {self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"
        )

    def hashed_fields(self):
        return {
            "seq": self.seq,
            "occurred_at": self.occurred_at.isoformat(),
            "actor_username": self.actor_username,
            "actor_role": self.actor_role,
            "action": self.action,
            "object_type": self.object_type,
            "object_public_id": self.object_public_id,
            "object_repr": self.object_repr,
            "deployment_public_id": self.deployment_public_id,
            "client_address": self.client_address,
            "reason": self.reason,
            "changes": self.changes,
        }


class CheckpointKind(models.TextChoices):
    PERIODIC = "periodic", "Periodic signature of the head"
    EXPORT = "export", "Signed for an export"
    RETENTION = "retention", "Rows removed by the retention rule"
    ROWS = "rows", "Signed after a number of rows"


class AuditCheckpoint(models.Model):
    """A signed tree head: the log's size (`seq`), its Merkle root, a time and a signature.

    Append-only at the database level like the rows. Rows written before tree heads
    existed left checkpoints without a root; they are kept and no longer checked.
    """

    kind = models.CharField(max_length=20, choices=CheckpointKind.choices)
    seq = models.BigIntegerField(db_index=True)
    row_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    removed_from_seq = models.BigIntegerField(null=True, blank=True)
    removed_to_seq = models.BigIntegerField(null=True, blank=True)
    removed_count = models.BigIntegerField(null=True, blank=True)
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=200)
    root_hash = models.CharField(max_length=64, blank=True)
    # The perfect subtrees' roots at this size ([size, hex] pairs, largest first): not
    # signed, only the starting point for the next head, which is checked anyway.
    frontier = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["seq", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} at row {self.seq}"

    @property
    def tree_size(self):
        return self.seq

    def tree_head(self):
        """The signed tree head as it is published and kept (JSON-ready)."""
        return {
            "log": LOG_NAME,
            "tree_size": self.seq,
            "root_hash": self.root_hash,
            "timestamp": self.created_at.isoformat(),
            "key_id": self.key_id,
            "signature": self.signature,
        }

    def signed_fields(self):
        return {
            "kind": self.kind,
            "seq": self.seq,
            "row_hash": self.row_hash,
            "created_at": self.created_at.isoformat(),
            "removed_from_seq": self.removed_from_seq,
            "removed_to_seq": self.removed_to_seq,
            "removed_count": self.removed_count,
            "key_id": self.key_id,
            "signature": self.signature,
        }


class AuditPrunedLeaf(models.Model):
    """What is left of a row removed by retention: its place in the tree, and nothing else.

    Keeps the tree (and the chain) computable after old rows are gone; holds hashes
    only. Written by the retention function in PostgreSQL, append-only like the rows.
    """

    seq = models.BigIntegerField(unique=True)
    leaf_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)
    removed_at = models.DateTimeField()

    class Meta:
        ordering = ["seq"]

    def __str__(self):
        return f"row {self.seq} removed at {self.removed_at:%Y-%m-%d}"
