"""Stored images that retention lets go of: noted inside a batch's transaction, removed
from storage once it commits, and images no row points at swept up."""

import hashlib
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Model
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from ..models import (
    Alert,
    EntryReference,
    PendingFileDeletion,
    PolicyVersion,
    SignageRecord,
    WatchlistEntry,
)
from .audit import audit_record


def _remove_file(field_file: FieldFile) -> str | None:
    """Note a stored file for removal (inside the batch's transaction); return its SHA-256,
    or None when there is no file."""
    name = field_file.name
    if not name or not default_storage.exists(name):
        return None
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    PendingFileDeletion.objects.get_or_create(name=name)
    return digest.hexdigest()


def sweep_pending_files() -> int:
    """Remove from storage every file a committed batch let go of."""
    removed = 0
    for pending in PendingFileDeletion.objects.order_by("pk").iterator():
        if default_storage.exists(pending.name):
            default_storage.delete(pending.name)
            removed += 1
        pending.delete()
    return removed


MEDIA_FOLDERS = ("alerts", "watchlist", "signage", "policies")
ORPHAN_GRACE = timedelta(hours=1)


def _stored_names(folder: str) -> Iterator[str]:
    try:
        directories, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for directory in directories:
        yield from _stored_names(f"{folder}/{directory}")


def sweep_orphan_files(now: datetime | None = None) -> int:
    """Remove stored images that no row points at (an upload whose transaction failed
    after the file was written). Files younger than an hour may still be committing."""
    now = now or timezone.now()
    referenced: set[str] = set()
    images: tuple[tuple[type[Model], str], ...] = (
        (Alert, "crop"),
        (WatchlistEntry, "reference_image"),
        (EntryReference, "image"),
        (SignageRecord, "photo"),
        (PolicyVersion, "file"),
    )
    for model, field_name in images:
        referenced.update(
            model._default_manager.exclude(**{field_name: ""}).values_list(field_name, flat=True)
        )
    removed = 0
    for folder in MEDIA_FOLDERS:
        for name in list(_stored_names(folder)):
            if name in referenced:
                continue
            if default_storage.get_modified_time(name) > now - ORPHAN_GRACE:
                continue
            default_storage.delete(name)
            removed += 1
    if removed:
        with transaction.atomic():
            audit_record(
                actor=None,
                action="retention.orphan_files_removed",
                reason="stored images that no record pointed at",
                changes={"count": removed},
            )
    return removed


def note_files(field_files: Iterable[FieldFile]) -> tuple[list[str], int]:
    hashes = [digest for digest in (_remove_file(f) for f in field_files) if digest]
    return hashes, len(hashes)
