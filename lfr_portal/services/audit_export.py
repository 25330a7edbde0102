"""Audit exports that anyone with the force's public key can verify.

An export holds the rows asked for in full, each with its RFC 9162 inclusion proof
against a tree head signed for this export, and a signed manifest of which rows it
shows. Rows stream out; the tree's hashes (64 bytes a row) are held while it runs.
"""

import io
import json
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .. import csv_safe
from ..audit_chain import EXPORT_FORMAT, SeqDigest, canonical_json, key_id, sign_manifest
from ..audit_chain import EXPORT_ROW_FIELDS as ROW_FIELDS
from ..merkle import MerkleTree
from ..models import AuditEvent, CheckpointKind
from ..selectors.audit_log import log_tree
from .audit import audit_checkpoint_create, audit_record, signing_key

CHUNK = 2000


def _row_dict(event: AuditEvent, tree: MerkleTree, size: int) -> dict[str, Any]:
    fields = event.hashed_fields()
    fields.update(
        leaf_hash=event.leaf_hash,
        inclusion_proof=[p.hex() for p in tree.inclusion_proof(event.seq - 1, size)],
    )
    return fields


class AuditExport:
    """One export: opened (audited and signed) at once, then streamed."""

    def __init__(
        self,
        *,
        actor: AbstractBaseUser,
        queryset: QuerySet[AuditEvent],
        filters: dict[str, Any],
        reason: str = "",
    ) -> None:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="audit.export",
                reason=reason,
                changes={"filters": {k: str(v) for k, v in filters.items() if v}},
            )
        self.head = audit_checkpoint_create(kind=CheckpointKind.EXPORT)
        self.queryset = queryset.filter(seq__lte=self.head.seq).order_by("seq")
        self.meta = {
            "format": EXPORT_FORMAT,
            "exported_at": timezone.now().isoformat(),
            "exported_by": actor.get_username(),
            "filters": {k: str(v) for k, v in filters.items() if v},
        }
        self.manifest = self._signed_manifest()
        self._tree: MerkleTree | None = None

    @property
    def tree(self) -> MerkleTree:
        if self._tree is None:
            self._tree = log_tree(size=self.head.seq)
        return self._tree

    def _signed_manifest(self) -> dict[str, Any]:
        digest = SeqDigest()
        for seq in self.queryset.values_list("seq", flat=True).iterator(chunk_size=CHUNK * 5):
            digest.add(seq)
        manifest: dict[str, Any] = {
            "filters": self.meta["filters"],
            "head_seq": self.head.seq,
            "row_count": digest.count,
            "rows_digest": digest.hexdigest(),
            "exported_at": self.meta["exported_at"],
            "exported_by": self.meta["exported_by"],
        }
        key = signing_key()
        manifest["key_id"] = key_id(key.public_key())
        manifest["signature"] = sign_manifest(key, manifest)
        return manifest

    def count(self) -> int:
        return self.manifest["row_count"]

    def rows(self) -> Iterator[dict[str, Any]]:
        for event in self.queryset.iterator(chunk_size=CHUNK):
            yield _row_dict(event, self.tree, self.head.seq)

    # --- encodings -------------------------------------------------------------

    def iter_json(self) -> Iterator[str]:
        """JSON, one row per line, so a reader can count progress as it arrives."""
        head = json.dumps(self.meta)[:-1]
        yield head + ',\n"tree_head":' + json.dumps(self.head.tree_head())
        yield ',\n"manifest":' + json.dumps(self.manifest)
        yield ',\n"rows":['
        yield from _json_list(self.rows())
        yield "]}\n"

    def iter_csv(self) -> Iterator[str]:
        """CSV: a `record` column says what each line is (meta, tree head, manifest, row)."""
        buffer = io.StringIO()
        writer = csv_safe.writer(buffer)
        columns = ["record", *ROW_FIELDS]

        def flush() -> str:
            data = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)
            return data

        writer.writerow(columns)
        writer.writerow(["meta", canonical_json(self.meta).decode()])
        writer.writerow(["tree_head", json.dumps(self.head.tree_head())])
        writer.writerow(["manifest", json.dumps(self.manifest)])
        yield flush()
        for n, row in enumerate(self.rows(), 1):
            values = [
                json.dumps(row[f])
                if f in ("changes", "inclusion_proof")
                else ("" if row[f] is None else row[f])
                for f in ROW_FIELDS
            ]
            writer.writerow(["row", *values])
            if n % CHUNK == 0:
                yield flush()
        yield flush()


def _json_list(items: Iterator[dict[str, Any]]) -> Iterator[str]:
    first = True
    for item in items:
        yield ("\n" if first else ",\n") + json.dumps(item, ensure_ascii=False)
        first = False
