"""Enrolling watchlist entries: check each stored reference photograph, keep the verdict."""

from collections.abc import Callable

from django.core.files.storage import default_storage

from lfr_portal.models import EnrolmentState, EntryReference, WatchlistEntry
from lfr_portal.services.entry_photos import (
    watchlist_entry_enrolment_record,
    watchlist_entry_reference_enrolment_record,
)
from matcher.engines import get_engine
from matcher.reference_check import EnrolmentResult, enrol_reference


def _stored_bytes(name: str) -> bytes:
    # A missing file enrols as unreadable, so the manager is told rather than left waiting.
    if not name or not default_storage.exists(name):
        return b""
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def _verdict(deployment_engine: str, name: str) -> tuple[EnrolmentResult, str]:
    engine = get_engine(deployment_engine)
    return enrol_reference(engine, _stored_bytes(name)), engine.name


def _embedding_bytes(result: EnrolmentResult) -> bytes | None:
    if not result.accepted or result.embedding is None:
        return None
    return result.embedding.tobytes()


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
            entry.watchlist.deployment.engine,
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
            reference.entry.watchlist.deployment.engine,
            reference.image.name,
        )
        for reference in references
    ]
    accepted = sum(verdicts)
    return {"accepted": accepted, "rejected": len(verdicts) - accepted}


def _enrol(
    record: Callable[..., object], target: dict[str, int], deployment_engine: str, name: str
) -> bool:
    """Check one stored photograph and record the verdict on its row; True if accepted."""
    result, engine_name = _verdict(deployment_engine, name)
    record(
        **target,
        accepted=result.accepted,
        message=result.message,
        embedding=_embedding_bytes(result),
        engine=engine_name,
    )
    return result.accepted
