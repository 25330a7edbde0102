"""Reads behind an alert's evidence bundle: the calibration in force, the audit rows, the files."""

import hashlib
from datetime import datetime

from django.core.files.storage import default_storage
from django.db.models import QuerySet

from ..models import Alert, AlertHold, AuditEvent, CalibrationRecord
from .alerts import alert_crop_held


def calibration_in_force(engine: str, at: datetime) -> CalibrationRecord | None:
    """The engine's latest calibration measured before `at` (the one the alert ran under)."""
    return (
        CalibrationRecord.objects.filter(engine=engine, measured_at__lte=at)
        .select_related("ran_by")
        .order_by("-measured_at", "-id")
        .first()
    )


def alert_holds(alert: Alert) -> QuerySet[AlertHold]:
    return alert.holds.select_related("placed_by", "released_by").order_by("created_at", "pk")


def alert_audit_events(alert: Alert, *, up_to_seq: int) -> QuerySet[AuditEvent]:
    """The audit rows about the alert, its engagement and its holds, oldest first."""
    ids = {str(alert.public_id)}
    ids.update(str(h) for h in alert.holds.values_list("public_id", flat=True))
    engagement = getattr(alert, "engagement", None)
    if engagement is not None:
        ids.add(str(engagement.public_id))
    return AuditEvent.objects.filter(object_public_id__in=ids, seq__lte=up_to_seq).order_by("seq")


def alert_crop_bytes(alert: Alert) -> bytes | None:
    """The alert's crop, from the database while it waits for the store, else from the store."""
    if alert.crop_deleted_at is not None:
        return None
    held = alert_crop_held(alert)
    if held is not None:
        return held
    if not alert.crop or not default_storage.exists(alert.crop.name):
        return None
    with default_storage.open(alert.crop.name, "rb") as handle:
        return bytes(handle.read())


def reference_image_sha256(alert: Alert) -> str | None:
    """SHA-256 of the watchlist entry's reference image; never the image itself."""
    entry = alert.entry
    if entry is None or not entry.reference_image or entry.biometrics_destroyed_at is not None:
        return None
    name = entry.reference_image.name
    if not default_storage.exists(name):
        return None
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()
