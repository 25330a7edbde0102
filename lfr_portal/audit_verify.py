"""Verify audit exports and kept tree heads offline: `python -m lfr_portal.audit_verify`.

Needs only the files, the force's public key, Python and the `cryptography` package
(this module, audit_chain.py and merkle.py). Exit status 0 when everything checks,
1 with the first problem named otherwise, 2 when a file cannot be read.

    audit_verify EXPORT --public-key KEY
    audit_verify [EXPORT] --public-key KEY --earlier-head HEAD.json --consistency PROOF.json
    audit_verify --bundle EVIDENCE.zip --public-key KEY

HEAD.json is a signed tree head anyone kept from /transparency/tree-heads.json;
PROOF.json is /transparency/tree-heads/consistency.json?first=SIZE[&second=SIZE]:
the log must still extend the kept head, whatever the force's database says now.
"""

import argparse
import csv
import hashlib
import io
import json
import sys
import zipfile

from lfr_portal.audit_chain import (
    BUNDLE_FORMAT,
    BUNDLE_SIGNATURE_FILE,
    CONSISTENCY_FORMAT,
    EXPORT_FORMAT,
    EXPORT_ROW_FIELDS,
    HASHED_FIELDS,
    SeqDigest,
    check_extends,
    key_id,
    leaf_hash,
    load_public_key,
    verify_bundle_signature,
    verify_manifest,
    verify_tree_head,
)
from lfr_portal.merkle import verify_inclusion


class ExportInvalid(Exception):
    pass


def verify_export(export, public_key):
    """Return a one-paragraph summary; raise ExportInvalid naming the first problem."""
    if export.get("format") != EXPORT_FORMAT:
        raise ExportInvalid(f"not an LFR Portal audit export (format {export.get('format')!r})")
    head = _checked_head(export.get("tree_head"), public_key)
    size, root = head["tree_size"], bytes.fromhex(head["root_hash"])
    rows = export.get("rows", [])
    for position, row in enumerate(rows):
        _check_row(row, position, size, root)
    seqs = [row.get("seq") for row in rows]
    for earlier, later in zip(seqs, seqs[1:], strict=False):
        if later <= earlier:
            raise ExportInvalid(f"row {later} comes after row {earlier}: out of order or repeated")
    _check_manifest(export.get("manifest"), seqs, size, public_key)
    return (
        f"OK: {len(rows)} rows shown in full, each proved to be in the log of {size} rows "
        f"whose signed tree head (root {head['root_hash']}) was signed by key "
        f"{head['key_id']} at {head['timestamp']}."
    )


def _checked_head(head, public_key):
    if not head:
        raise ExportInvalid("the export carries no signed tree head")
    if head.get("key_id") != key_id(public_key):
        raise ExportInvalid("the tree head was signed with a different key")
    if not verify_tree_head(public_key, head):
        raise ExportInvalid("the tree head's signature is not valid")
    return head


def _check_row(row, position, size, root):
    """The row is the one the signed tree head holds at its place."""
    seq = row.get("seq")
    if not isinstance(seq, int) or not 1 <= seq <= size:
        raise ExportInvalid(f"row {seq} (position {position + 1}) is not part of the signed log")
    leaf = leaf_hash({k: row.get(k) for k in HASHED_FIELDS})
    try:
        proof = [bytes.fromhex(p) for p in row.get("inclusion_proof") or []]
    except (TypeError, ValueError):
        proof = None
    if proof is None or not verify_inclusion(seq - 1, size, bytes.fromhex(leaf), proof, root):
        raise ExportInvalid(
            f"row {seq}: its content was changed after it was written "
            "(it is not the row the signed tree head holds at that place)"
        )


def _check_manifest(manifest, seqs, size, public_key):
    """The manifest, signed when the export began, names the rows shown: catches a removed one."""
    if not manifest or not verify_manifest(public_key, manifest):
        raise ExportInvalid("the export's signed manifest is missing or its signature is bad")
    if manifest["head_seq"] != size:
        raise ExportInvalid("the manifest and the tree head disagree")
    digest = SeqDigest()
    for seq in seqs:
        digest.add(seq)
    if digest.count != manifest["row_count"] or digest.hexdigest() != manifest["rows_digest"]:
        raise ExportInvalid(
            f"the export shows {digest.count} rows, but {manifest['row_count']} were exported: "
            "rows were removed or added"
        )


def verify_kept_head(earlier, bundle, public_key, *, export_head=None):
    """Check a consistency bundle against a head someone kept; raise ExportInvalid if not."""
    if not isinstance(bundle, dict) or bundle.get("format") != CONSISTENCY_FORMAT:
        raise ExportInvalid("the consistency file is not an LFR Portal consistency proof")
    if bundle.get("first_size") != earlier.get("tree_size"):
        raise ExportInvalid(
            f"the consistency proof starts at {bundle.get('first_size')} rows, but the head "
            f"you kept has {earlier.get('tree_size')}: ask for first={earlier.get('tree_size')}"
        )
    later = bundle.get("head") or {}
    if export_head is not None and (
        later.get("tree_size"),
        later.get("root_hash"),
    ) != (export_head["tree_size"], export_head["root_hash"]):
        raise ExportInvalid(
            "the consistency proof does not end at the export's tree head: ask for "
            f"second={export_head['tree_size']}"
        )
    problem = check_extends(earlier, later, bundle.get("proof"), public_key)
    if problem:
        raise ExportInvalid(problem)
    return (
        f"OK: the log of {later['tree_size']} rows (signed at {later['timestamp']}) extends "
        f"the head you kept ({earlier['tree_size']} rows, signed at {earlier['timestamp']})."
    )


def _bundle_files(path_or_bytes):
    """{name: bytes} of an evidence bundle's ZIP, from a path or the bytes themselves."""
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    try:
        with zipfile.ZipFile(source) as bundle:
            return {info.filename: bundle.read(info) for info in bundle.infolist()}
    except zipfile.BadZipFile as exc:
        raise ExportInvalid(f"not a ZIP file: {exc}") from exc


def _checked_bundle_signature(files, public_key):
    try:
        signed = json.loads(files.pop(BUNDLE_SIGNATURE_FILE))
    except (KeyError, ValueError) as exc:
        raise ExportInvalid("the bundle carries no readable signature.json") from exc
    if not isinstance(signed, dict) or signed.get("format") != BUNDLE_FORMAT:
        raise ExportInvalid("not an LFR Portal evidence bundle")
    if signed.get("key_id") != key_id(public_key):
        raise ExportInvalid("the bundle was signed with a different key")
    if not verify_bundle_signature(public_key, signed):
        raise ExportInvalid("the bundle's signature is not valid")
    listed = signed.get("files") or {}
    if set(listed) != set(files):
        extra, missing = sorted(set(files) - set(listed)), sorted(set(listed) - set(files))
        raise ExportInvalid(f"files added {extra} or removed {missing} after signing")
    for name, data in files.items():
        if hashlib.sha256(data).hexdigest() != listed[name]:
            raise ExportInvalid(f"{name} was changed after the bundle was signed")


def verify_evidence_bundle(path_or_bytes, public_key):
    """Return a summary of an alert's evidence bundle; raise ExportInvalid if it fails."""
    files = _bundle_files(path_or_bytes)
    _checked_bundle_signature(files, public_key)
    try:
        manifest = json.loads(files["manifest.json"])
        rows = [json.loads(line) for line in files.get("audit.jsonl", b"").splitlines() if line]
    except (KeyError, ValueError) as exc:
        raise ExportInvalid(f"the manifest or the audit extract cannot be read: {exc}") from exc
    head = _checked_head(manifest.get("tree_head"), public_key)
    size, root = head["tree_size"], bytes.fromhex(head["root_hash"])
    for position, row in enumerate(rows):
        _check_row(row, position, size, root)
    if [row.get("seq") for row in rows] != manifest.get("audit_rows"):
        raise ExportInvalid("the audit extract does not hold the rows the manifest lists")
    crop = manifest.get("crop") or {}
    if "crop.jpg" in files:
        if hashlib.sha256(files["crop.jpg"]).hexdigest() != crop.get("sha256"):
            raise ExportInvalid("crop.jpg is not the image the manifest names")
    elif crop.get("included"):
        raise ExportInvalid("the manifest says the crop is included, but it is not")
    alert = manifest.get("alert") or {}
    crop_state = "included" if "crop.jpg" in files else "not included"
    return (
        f"OK: evidence bundle for alert {alert.get('public_id')}, signed by key "
        f"{head['key_id']}; {len(rows)} audit rows, each proved to be in the log of {size} "
        f"rows (root {head['root_hash']}); crop {crop_state}."
    )


def parse_csv_export(lines):
    """Read a CSV export into the JSON export's structure."""
    # Undo csv_safe.neutralise (inlined: the verifier must run with its own modules alone).
    reader = ([c[1:] if c.startswith("'") else c for c in row] for row in csv.reader(lines))
    header = next(reader, None)
    if not header or header[0] != "record":
        raise ValueError("not an LFR Portal audit CSV export")
    export = {"rows": []}
    for record in reader:
        kind = record[0] if record else ""
        if kind == "meta":
            export.update(json.loads(record[1]))
        elif kind in ("tree_head", "manifest"):
            export[kind] = json.loads(record[1])
        elif kind == "row":
            row = dict(zip(EXPORT_ROW_FIELDS, record[1:], strict=True))
            row["seq"] = int(row["seq"])
            row["changes"] = json.loads(row["changes"])
            row["inclusion_proof"] = json.loads(row["inclusion_proof"])
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


def _load_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", nargs="?", help="an audit export (JSON or CSV)")
    parser.add_argument("--bundle", help="an alert's evidence bundle (ZIP) to verify")
    parser.add_argument("--public-key", required=True, help="the force's Ed25519 public key (PEM)")
    parser.add_argument("--earlier-head", help="a signed tree head you kept (JSON)")
    parser.add_argument(
        "--consistency", help="the log's consistency proof from the kept head's size (JSON)"
    )
    args = parser.parse_args(argv)
    if not args.export and not args.earlier_head and not args.bundle:
        parser.error("give an export, or --earlier-head with --consistency, or --bundle")
    if args.earlier_head and not args.consistency:
        parser.error("--earlier-head needs --consistency (the log's proof that it extends it)")
    try:
        with open(args.public_key, "rb") as handle:
            public_key = load_public_key(handle.read())
        export = load_export(args.export) if args.export else None
        earlier = _load_json(args.earlier_head) if args.earlier_head else None
        bundle = _load_json(args.consistency) if args.consistency else None
        if args.bundle:
            print(verify_evidence_bundle(args.bundle, public_key))
        if export is not None:
            print(verify_export(export, public_key))
        if earlier is not None:
            head = export["tree_head"] if export is not None else None
            print(verify_kept_head(earlier, bundle, public_key, export_head=head))
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ExportInvalid as exc:
        print(f"TAMPERED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
