"""Enrolling watchlist entries: check each stored reference photograph, keep the verdict.

Each embedding is stored with the engine's embedding_name ("opencv-sface@2"): the engine
and the version of its embedding. The matcher compares a face only with embeddings of
the version it runs, and before it does, enrol_again_if_stale re-enrols from the stored
photographs any embedding another engine or an older version made, so a change of
embedding never leaves a watchlisted person silently unmatched.
"""

import logging
import time
from collections.abc import Callable

from django.core.files.storage import default_storage
from django.db.models import QuerySet

from lfr_portal.models import EnrolmentState, EntryReference, EntryStatus, WatchlistEntry
from lfr_portal.services.entry_photos import (
    watchlist_entry_enrolment_record,
    watchlist_entry_reference_enrolment_record,
)
from matcher.engines import Engine, get_engine
from matcher.reference_check import enrol_reference

log = logging.getLogger(__name__)


def _stored_bytes(name: str) -> bytes:
    # A missing file enrols as unreadable, so the manager is told rather than left waiting.
    if not name or not default_storage.exists(name):
        return b""
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def enrol_entry_ids(entry_ids: list[int]) -> dict[str, int]:
    """Enrol the entries' photographs still waiting (each entry's own image and its further
    ones); return how many were accepted and rejected."""
    entries = (
        WatchlistEntry.objects.filter(pk__in=entry_ids, enrolment_state=EnrolmentState.PENDING)
        .exclude(reference_image="")
        .select_related("watchlist__deployment")
    )
    verdicts = [
        _enrol(
            watchlist_entry_enrolment_record,
            {"entry_id": entry.pk},
            get_engine(entry.watchlist.deployment.engine),
            entry.reference_image.name,
        )
        for entry in entries
    ]
    references = (
        EntryReference.objects.filter(
            entry_id__in=entry_ids,
            enrolment_state=EnrolmentState.PENDING,
            biometrics_destroyed_at__isnull=True,
        )
        .exclude(image="")
        .select_related("entry__watchlist__deployment")
        .order_by("pk")
    )
    verdicts += [
        _enrol(
            watchlist_entry_reference_enrolment_record,
            {"reference_id": reference.pk},
            get_engine(reference.entry.watchlist.deployment.engine),
            reference.image.name,
        )
        for reference in references
    ]
    accepted = sum(verdicts)
    return {"accepted": accepted, "rejected": len(verdicts) - accepted}


def enrol_again_if_stale(
    deployment_id: int, engine: Engine, *, beat: Callable[[], None] | None = None
) -> dict[str, int]:
    """Enrol again, with this engine, every enrolled photograph of the deployment's list
    whose embedding another engine or an older embedding version made; return how many
    were accepted and rejected. A photograph that no longer enrols is recorded as
    rejected, with its reason, and so drops out of matching with its verdict on record.
    Entries taken off the list and destroyed biometrics are left alone. beat, if given,
    is called every BEAT_SECONDS (a camera job keeps its heartbeat with it)."""
    pacer = _Pacer(beat)
    verdicts = []
    entries, references = _stale_photos(deployment_id, engine.embedding_name)
    for entry in entries:
        pacer.tick()
        verdicts.append(
            _enrol(
                watchlist_entry_enrolment_record,
                {"entry_id": entry.pk},
                engine,
                entry.reference_image.name,
            )
        )
    for reference in references:
        pacer.tick()
        verdicts.append(
            _enrol(
                watchlist_entry_reference_enrolment_record,
                {"reference_id": reference.pk},
                engine,
                reference.image.name,
            )
        )
    accepted = sum(verdicts)
    if verdicts:
        log.info(
            "deployment %s: %d photographs enrolled again for %s (%d rejected)",
            deployment_id,
            len(verdicts),
            engine.embedding_name,
            len(verdicts) - accepted,
        )
    return {"accepted": accepted, "rejected": len(verdicts) - accepted}


def _stale_photos(
    deployment_id: int, embedding_name: str
) -> tuple[QuerySet[WatchlistEntry], QuerySet[EntryReference]]:
    """The list's enrolled photographs whose embedding is not of embedding_name, on
    entries still on the list, with their files and biometrics still held."""
    entries = (
        WatchlistEntry.objects.filter(
            watchlist__deployment_id=deployment_id,
            enrolment_state=EnrolmentState.ENROLLED,
            biometrics_destroyed_at__isnull=True,
        )
        .exclude(embedding_engine=embedding_name)
        .exclude(status__in=(EntryStatus.REMOVED, EntryStatus.REJECTED))
        .exclude(reference_image="")
        .order_by("pk")
    )
    references = (
        EntryReference.objects.filter(
            entry__watchlist__deployment_id=deployment_id,
            enrolment_state=EnrolmentState.ENROLLED,
            biometrics_destroyed_at__isnull=True,
        )
        .exclude(embedding_engine=embedding_name)
        .exclude(entry__status__in=(EntryStatus.REMOVED, EntryStatus.REJECTED))
        .exclude(image="")
        .order_by("pk")
    )
    return entries, references


BEAT_SECONDS = 2.0


class _Pacer:
    """Calls beat at most every BEAT_SECONDS."""

    def __init__(self, beat: Callable[[], None] | None):
        self.beat = beat
        self.last = time.monotonic()

    def tick(self) -> None:
        if self.beat is not None and time.monotonic() - self.last >= BEAT_SECONDS:
            self.beat()
            self.last = time.monotonic()


def _enrol(
    record: Callable[..., object], target: dict[str, int], engine: Engine, name: str
) -> bool:
    """Check one stored photograph and record the verdict on its row; True if accepted."""
    result = enrol_reference(engine, _stored_bytes(name))
    embedding = result.embedding if result.accepted else None
    record(
        **target,
        accepted=result.accepted,
        message=result.message,
        embedding=None if embedding is None else embedding.tobytes(),
        engine=engine.embedding_name,
    )
    return result.accepted
