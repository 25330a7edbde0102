"""Enrolling watchlist entries: read each reference image, check it, store the verdict."""

from django.core.files.storage import default_storage

from lfr_portal.models import EnrolmentState, EntryReference, WatchlistEntry
from lfr_portal.services.watchlists import (
    watchlist_entry_enrolment_record,
    watchlist_entry_reference_enrolment_record,
)
from matcher.engines import get_engine
from matcher.enrolment import EnrolmentResult, enrol_reference


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
    accepted = rejected = 0
    for entry in entries:
        result, engine_name = _verdict(
            entry.watchlist.deployment.engine, entry.reference_image.name
        )
        watchlist_entry_enrolment_record(
            entry_id=entry.pk,
            accepted=result.accepted,
            message=result.message,
            embedding=_embedding_bytes(result),
            engine=engine_name,
        )
        accepted += result.accepted
        rejected += not result.accepted
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
    for reference in references:
        result, engine_name = _verdict(
            reference.entry.watchlist.deployment.engine, reference.image.name
        )
        watchlist_entry_reference_enrolment_record(
            reference_id=reference.pk,
            accepted=result.accepted,
            message=result.message,
            embedding=_embedding_bytes(result),
            engine=engine_name,
        )
        accepted += result.accepted
        rejected += not result.accepted
    return {"accepted": accepted, "rejected": rejected}
