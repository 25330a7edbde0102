"""Enrolling watchlist entries: read each reference image, check it, store the verdict."""

from django.core.files.storage import default_storage

from lfr_portal.models import EnrolmentState, WatchlistEntry
from lfr_portal.services.watchlists import watchlist_entry_enrolment_record
from matcher.engines import get_engine
from matcher.enrolment import enrol_reference


def enrol_entry_ids(entry_ids):
    """Enrol the entries still waiting; return how many were accepted and rejected."""
    entries = (
        WatchlistEntry.objects.filter(pk__in=entry_ids, enrolment_state=EnrolmentState.PENDING)
        .exclude(reference_image="")
        .select_related("watchlist__deployment")
    )
    accepted = rejected = 0
    for entry in entries:
        engine = get_engine(entry.watchlist.deployment.engine)
        name = entry.reference_image.name
        data = b""
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as handle:
                data = handle.read()
        result = enrol_reference(engine, data)
        watchlist_entry_enrolment_record(
            entry_id=entry.pk,
            accepted=result.accepted,
            message=result.message,
            embedding=result.embedding.tobytes() if result.accepted else None,
            engine=engine.name,
        )
        accepted += result.accepted
        rejected += not result.accepted
    return {"accepted": accepted, "rejected": rejected}
