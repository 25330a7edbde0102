"""Verify an audit export offline: `python -m lfr_portal.audit_verify EXPORT --public-key KEY`.

Needs only the export, the force's public key, Python and the `cryptography` package.
Exit status 0 when the export is intact, 1 with the first problem named otherwise.
"""

import argparse
import csv
import json
import sys

from lfr_portal.audit_chain import (
    EXPORT_ROW_FIELDS,
    HASHED_FIELDS,
    ChainBreak,
    SeqDigest,
    content_hash,
    key_id,
    load_public_key,
    verify_checkpoint,
    verify_links,
    verify_manifest,
)

EXPORT_FORMAT = "lfr-portal-audit-export/1"


class ExportInvalid(Exception):
    pass


def verify_export(export, public_key):
    """Return a one-paragraph summary; raise ExportInvalid naming the first problem."""
    if export.get("format") != EXPORT_FORMAT:
        raise ExportInvalid(f"not an LFR Portal audit export (format {export.get('format')!r})")
    anchor, head = export.get("anchor_checkpoint"), export.get("head_checkpoint")
    if not head:
        raise ExportInvalid("the export carries no signed head checkpoint")
    if head.get("key_id") != key_id(public_key):
        raise ExportInvalid("the head checkpoint was signed with a different key")
    for label, checkpoint in (("anchor", anchor), ("head", head)):
        if checkpoint is not None and not verify_checkpoint(public_key, checkpoint):
            raise ExportInvalid(f"the {label} checkpoint's signature is not valid")
    if anchor is None:
        anchor_seq, anchor_hash = 0, "0" * 64
    else:
        anchor_seq, anchor_hash = anchor["seq"], anchor["row_hash"]

    chain = [(c["seq"], c["content_hash"], c["row_hash"]) for c in export.get("chain", [])]
    try:
        last_seq, last_hash = verify_links(chain, anchor_seq=anchor_seq, anchor_hash=anchor_hash)
    except ChainBreak as exc:
        raise ExportInvalid(str(exc)) from None
    if (last_seq, last_hash) != (head["seq"], head["row_hash"]):
        raise ExportInvalid(
            f"the chain ends at row {last_seq}, but the signed head is row {head['seq']}: "
            "rows were removed from the end"
        )

    rows = export.get("rows", [])
    # Every row the export shows in full must hash to what the chain says.
    links = {link["seq"]: link for link in export.get("chain", [])}
    for position, row in enumerate(rows):
        seq = row.get("seq")
        link = links.get(seq)
        if link is None:
            raise ExportInvalid(f"row {seq} (position {position + 1}) is not part of the chain")
        if content_hash({k: row.get(k) for k in HASHED_FIELDS}) != link["content_hash"]:
            raise ExportInvalid(f"row {seq}: its content was changed after it was written")
        if row.get("row_hash") not in (None, link["row_hash"]):
            raise ExportInvalid(f"row {seq}: its row hash differs from the chain's")
    seqs = [row.get("seq") for row in rows]
    for earlier, later in zip(seqs, seqs[1:], strict=False):
        if later <= earlier:
            raise ExportInvalid(f"row {later} comes after row {earlier}: out of order or repeated")

    # The manifest, signed when the export began, says which rows it shows in full:
    # a row taken out of a filtered export is caught here.
    manifest = export.get("manifest")
    if not manifest or not verify_manifest(public_key, manifest):
        raise ExportInvalid("the export's signed manifest is missing or its signature is bad")
    if manifest["head_seq"] != head["seq"]:
        raise ExportInvalid("the manifest and the head checkpoint disagree")
    digest = SeqDigest()
    for seq in seqs:
        digest.add(seq)
    if digest.count != manifest["row_count"] or digest.hexdigest() != manifest["rows_digest"]:
        raise ExportInvalid(
            f"the export shows {digest.count} rows, but {manifest['row_count']} were exported: "
            "rows were removed or added"
        )

    return (
        f"OK: {len(rows)} rows shown in full, chain of {len(chain)} rows from row "
        f"{anchor_seq + 1} to {last_seq} intact, head signed by key {head['key_id']} "
        f"at {head['created_at']}."
    )


def parse_csv_export(lines):
    """Read a CSV export into the JSON export's structure."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if not header or header[0] != "record":
        raise ValueError("not an LFR Portal audit CSV export")
    export = {"rows": [], "chain": [], "anchor_checkpoint": None}
    for record in reader:
        kind = record[0] if record else ""
        if kind == "meta":
            export.update(json.loads(record[1]))
        elif kind in ("anchor_checkpoint", "head_checkpoint", "manifest"):
            export[kind] = json.loads(record[1])
        elif kind == "chain":
            export["chain"].append(
                {"seq": int(record[1]), "content_hash": record[2], "row_hash": record[3]}
            )
        elif kind == "row":
            row = dict(zip(EXPORT_ROW_FIELDS, record[1:], strict=True))
            row["seq"] = int(row["seq"])
            row["changes"] = json.loads(row["changes"])
            row["client_address"] = row["client_address"] or None
            export["rows"].append(row)
    return export


def load_export(path):
    with open(path, encoding="utf-8", newline="") as handle:
        first = handle.read(1)
        handle.seek(0)
        if first == "{":
            return json.load(handle)
        return parse_csv_export(handle)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", help="the export file (JSON or CSV)")
    parser.add_argument("--public-key", required=True, help="the force's Ed25519 public key (PEM)")
    args = parser.parse_args(argv)
    try:
        with open(args.public_key, "rb") as handle:
            public_key = load_public_key(handle.read())
        export = load_export(args.export)
        print(verify_export(export, public_key))
    except (OSError, ValueError, KeyError, IndexError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ExportInvalid as exc:
        print(f"TAMPERED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
