"""An alert's evidence bundle for disclosure, signed with the audit key.

A ZIP of manifest.json (the alert, its engine, threshold and calibration in force, the
watchlist entry's reference number, category and reference-image SHA-256, and the
chain of decisions), crop.jpg (when held and the exporter may see biometric images),
audit.jsonl (the audit rows about the alert in the audit export's row format, each with
its inclusion proof against the signed tree head in the manifest) and signature.json
(Ed25519 over the SHA-256 of every other file). `python -m lfr_portal.audit_verify
--bundle FILE --public-key KEY` checks it offline.
"""

import hashlib
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ..audit_chain import BUNDLE_FORMAT, BUNDLE_SIGNATURE_FILE, canonical_json, sign_bundle
from ..errors import NotPermitted
from ..models import Alert, AlertHold, CheckpointKind
from ..permissions import can_manage_holds, can_see_biometrics
from ..selectors.audit_log import log_tree
from ..selectors.evidence import (
    alert_audit_events,
    alert_crop_bytes,
    alert_holds,
    calibration_in_force,
    reference_image_sha256,
)
from .audit import audit_checkpoint_create, audit_record, signing_key
from .audit_export import _row_dict

CROP_LEFT_OUT = (
    "Left out: the exporter's role may not see biometric images. An authorising officer's "
    "export of this alert carries the crop; its SHA-256 is the one above."
)


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _who(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def _calibration(alert: Alert) -> dict[str, Any] | None:
    record = calibration_in_force(alert.deployment.engine, alert.captured_at)
    if record is None:
        return None
    return {
        "public_id": str(record.public_id),
        "engine": record.engine,
        "measured_at": _when(record.measured_at),
        "description": record.description,
        "model_sha256": dict(record.model_sha256),
        "identities": record.identities,
        "images": record.images,
        "genuine_pairs": record.genuine_pairs,
        "impostor_pairs": record.impostor_pairs,
        "rates": list(record.rates),
    }


def _engagement(alert: Alert) -> tuple[dict[str, Any] | None, ...]:
    """(engagement, outcome, later outcome) as the chain of decisions records them."""
    e = getattr(alert, "engagement", None)
    if e is None:
        return None, None, None
    engagement = {
        "public_id": str(e.public_id),
        "dispatched_by": _who(e.dispatched_by),
        "dispatched_at": _when(e.dispatched_at),
        "officer": _who(e.officer),
        "acknowledged_at": _when(e.acknowledged_at),
        "result": e.result,
        "engaged_at": _when(e.engaged_at),
        "stop_minutes": e.stop_minutes,
        "identity_check": e.identity_check,
        "not_engaged_reason": e.not_engaged_reason,
        "held_minutes": e.held_minutes,
        "explanation_given": e.explanation_given,
        "complaints_route_given": e.complaints_route_given,
        "recorded_by": _who(e.officer) if e.result else None,
        "recorded_at": _when(e.result_recorded_at),
    }
    outcome = None
    if e.outcome:
        outcome = {
            "outcome": e.outcome,
            "arrest_category": e.arrest_category,
            "custody_reference": e.custody_reference,
            "crime_reference": e.crime_reference,
            "no_hold_reason": e.no_hold_reason,
            "recorded_by": _who(e.officer),
            "recorded_at": _when(e.outcome_recorded_at),
        }
    later = None
    if e.later_outcome:
        later = {
            "later_outcome": e.later_outcome,
            "recorded_at": _when(e.later_outcome_recorded_at),
        }
    return engagement, outcome, later


def _hold(hold: AlertHold) -> dict[str, Any]:
    return {
        "public_id": str(hold.public_id),
        "reason": hold.reason,
        "custody_reference": hold.custody_reference,
        "review_by": hold.review_by.isoformat(),
        "placed_by": _who(hold.placed_by),
        "placed_at": _when(hold.created_at),
        "released_by": _who(hold.released_by),
        "released_at": _when(hold.released_at),
    }


def _manifest(alert: Alert, *, actor: User, crop: bytes | None, included: bool) -> dict[str, Any]:
    deployment = alert.deployment
    engagement, outcome, later = _engagement(alert)
    crop_entry: dict[str, Any] = {
        "sha256": hashlib.sha256(crop).hexdigest() if crop is not None else None,
        "included": included,
    }
    if crop is None:
        crop_entry["note"] = "The image is no longer held (deleted under the retention rule)."
    elif not included:
        crop_entry["note"] = CROP_LEFT_OUT
    return {
        "format": BUNDLE_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "exported_by": actor.get_username(),
        "alert": {
            "public_id": str(alert.public_id),
            "deployment": str(deployment.public_id),
            "deployment_title": deployment.title,
            "camera": alert.camera.camera.name,
            "captured_at": _when(alert.captured_at),
            "score": str(alert.score),
            "threshold": str(deployment.threshold),
            "engine": deployment.engine,
        },
        "calibration": _calibration(alert),
        "watchlist_entry": {
            "reference_number": alert.entry_reference,
            "category": alert.entry.category if alert.entry is not None else None,
            "reference_image_sha256": reference_image_sha256(alert),
        },
        "crop": crop_entry,
        "decisions": {
            "adjudication": {
                "adjudication": alert.adjudication,
                "outcome": alert.outcome,
                "by": _who(alert.adjudicated_by),
                "at": _when(alert.adjudicated_at),
            },
            "engagement": engagement,
            "outcome": outcome,
            "later_outcome": later,
            "holds": [_hold(h) for h in alert_holds(alert)],
        },
    }


def evidence_bundle_export(*, actor: User, alert: Alert) -> bytes:
    """The signed ZIP for one alert; the export is on the audit trail (an audited read)."""
    if not can_manage_holds(actor):
        raise NotPermitted(
            "Only authorising and compliance officers export an alert's evidence bundle."
        )
    with transaction.atomic():
        audit_record(actor=actor, action="alert.evidence_bundle_export", obj=alert)
    head = audit_checkpoint_create(kind=CheckpointKind.EXPORT)
    tree = log_tree(size=head.seq)
    rows = [_row_dict(e, tree, head.seq) for e in alert_audit_events(alert, up_to_seq=head.seq)]
    crop = alert_crop_bytes(alert)
    included = crop is not None and can_see_biometrics(actor)
    manifest = _manifest(alert, actor=actor, crop=crop, included=included)
    manifest["tree_head"] = head.tree_head()
    manifest["audit_rows"] = [row["seq"] for row in rows]
    files = {
        "manifest.json": json.dumps(manifest, indent=2, ensure_ascii=False).encode(),
        "audit.jsonl": b"".join(canonical_json(row) + b"\n" for row in rows),
    }
    if included and crop is not None:
        files["crop.jpg"] = crop
    signature = sign_bundle(
        signing_key(), {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    )
    files[BUNDLE_SIGNATURE_FILE] = json.dumps(signature, indent=2).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
    return buffer.getvalue()
