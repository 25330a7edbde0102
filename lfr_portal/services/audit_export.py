"""Audit exports that anyone with the force's public key can verify.

An export holds the rows asked for in full, plus the chain's (seq, content hash,
row hash) for every row from a signed anchor to a head checkpoint signed for this
export. Both encodings stream: a year of a busy force never sits in memory.
"""

import csv
import io
import json

from django.db import transaction
from django.utils import timezone

from ..audit_chain import EXPORT_ROW_FIELDS as ROW_FIELDS
from ..audit_chain import SeqDigest, canonical_json, key_id, sign_manifest
from ..audit_verify import EXPORT_FORMAT
from ..models import AuditCheckpoint, AuditEvent, CheckpointKind
from .audit import audit_checkpoint_create, audit_record, signing_key

CHUNK = 2000


def _row_dict(event):
    fields = event.hashed_fields()
    fields.update(
        content_hash=event.content_hash, prev_hash=event.prev_hash, row_hash=event.row_hash
    )
    return fields


class AuditExport:
    """One export: opened (audited and signed) at once, then streamed."""

    def __init__(self, *, actor, queryset, filters, reason=""):
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="audit.export",
                reason=reason,
                changes={"filters": {k: str(v) for k, v in filters.items() if v}},
            )
        self.head = audit_checkpoint_create(kind=CheckpointKind.EXPORT)
        self.queryset = queryset.filter(seq__lte=self.head.seq).order_by("seq")
        first = self.queryset.values_list("seq", flat=True).first() or self.head.seq
        self.anchor = AuditCheckpoint.objects.filter(seq__lt=first).order_by("-seq", "-id").first()
        self.meta = {
            "format": EXPORT_FORMAT,
            "exported_at": timezone.now().isoformat(),
            "exported_by": actor.get_username(),
            "filters": {k: str(v) for k, v in filters.items() if v},
        }
        self.manifest = self._signed_manifest()

    def _signed_manifest(self):
        digest = SeqDigest()
        for seq in self.queryset.values_list("seq", flat=True).iterator(chunk_size=CHUNK * 5):
            digest.add(seq)
        manifest = {
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

    def count(self):
        return self.manifest["row_count"]

    def rows(self):
        for event in self.queryset.iterator(chunk_size=CHUNK):
            yield _row_dict(event)

    def chain(self):
        start = self.anchor.seq if self.anchor else 0
        links = (
            AuditEvent.objects.filter(seq__gt=start, seq__lte=self.head.seq)
            .order_by("seq")
            .values_list("seq", "content_hash", "row_hash")
        )
        for seq, content, row in links.iterator(chunk_size=CHUNK * 5):
            yield {"seq": seq, "content_hash": content, "row_hash": row}

    # --- encodings -------------------------------------------------------------

    def iter_json(self):
        """JSON, one row per line, so a reader can count progress as it arrives."""
        head = json.dumps(self.meta)[:-1]
        yield (
            head
            + ',\n"anchor_checkpoint":'
            + json.dumps(self.anchor.signed_fields() if self.anchor else None)
        )
        yield ',\n"head_checkpoint":' + json.dumps(self.head.signed_fields())
        yield ',\n"manifest":' + json.dumps(self.manifest)
        yield ',\n"rows":['
        yield from _json_list(self.rows())
        yield '],\n"chain":['
        yield from _json_list(self.chain())
        yield "]}\n"

    def iter_csv(self):
        """CSV: a `record` column says what each line is (row, chain, checkpoint)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        columns = ["record", *ROW_FIELDS]

        def flush():
            data = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)
            return data

        writer.writerow(columns)
        writer.writerow(["meta", canonical_json(self.meta).decode()])
        if self.anchor:
            writer.writerow(["anchor_checkpoint", json.dumps(self.anchor.signed_fields())])
        writer.writerow(["head_checkpoint", json.dumps(self.head.signed_fields())])
        writer.writerow(["manifest", json.dumps(self.manifest)])
        yield flush()
        for n, row in enumerate(self.rows(), 1):
            values = [
                json.dumps(row[f]) if f == "changes" else ("" if row[f] is None else row[f])
                for f in ROW_FIELDS
            ]
            writer.writerow(["row", *values])
            if n % CHUNK == 0:
                yield flush()
        for n, link in enumerate(self.chain(), 1):
            writer.writerow(["chain", link["seq"], link["content_hash"], link["row_hash"]])
            if n % (CHUNK * 5) == 0:
                yield flush()
        yield flush()


def _json_list(items):
    first = True
    for item in items:
        yield ("\n" if first else ",\n") + json.dumps(item, ensure_ascii=False)
        first = False
