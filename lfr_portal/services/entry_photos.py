"""Writes for a watchlist entry's reference photographs and the workers' enrolment verdicts."""

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.db.models.fields.files import FieldFile

from ..errors import InvalidTransition, RuleViolation
from ..models import (
    EnrolmentState,
    EntryReference,
    EntryStatus,
    PendingFileDeletion,
    Watchlist,
    WatchlistEntry,
)
from .audit import audit_record
from .common import files_removed_on_failure, save_upload
from .stored_files import sweep_pending_files
from .watchlist_guards import enqueue_enrolment, lock_entry, require_manager, require_open

ENROL_BATCH = 50


def _enrolment_apply(
    photo: WatchlistEntry | EntryReference,
    *,
    accepted: bool,
    message: str,
    embedding: bytes | None,
    engine: str,
) -> None:
    """A worker's verdict on one photograph (an entry's own, or a further one), saved."""
    photo.enrolment_state = EnrolmentState.ENROLLED if accepted else EnrolmentState.REJECTED
    photo.enrolment_message = message[:500]
    photo.embedding = embedding if accepted else None
    photo.embedding_engine = engine if accepted else ""
    photo.save(
        update_fields=[
            "enrolment_state",
            "enrolment_message",
            "embedding",
            "embedding_engine",
            "updated_at",
        ]
    )


@transaction.atomic
def watchlist_entry_enrolment_record(
    *, entry_id: int, accepted: bool, message: str, embedding: bytes | None, engine: str
) -> WatchlistEntry:
    """A worker's verdict on a reference image. The embedding is stored, never audited."""
    entry = (
        WatchlistEntry.objects.select_for_update()
        .select_related("watchlist__deployment")
        .get(pk=entry_id)
    )
    if entry.biometrics_destroyed_at is not None:
        return entry  # destroyed while the worker was busy: keep nothing
    _enrolment_apply(entry, accepted=accepted, message=message, embedding=embedding, engine=engine)
    audit_record(
        actor=None,
        action="watchlist.entry_enrol",
        obj=entry,
        deployment=entry.watchlist.deployment,
        changes={"state": entry.enrolment_state, "message": entry.enrolment_message},
    )
    return entry


@transaction.atomic
def watchlist_entry_reference_enrolment_record(
    *, reference_id: int, accepted: bool, message: str, embedding: bytes | None, engine: str
) -> EntryReference | None:
    """A worker's verdict on a further photograph. The embedding is stored, never audited."""
    reference = (
        EntryReference.objects.select_for_update()
        .select_related("entry__watchlist__deployment")
        .filter(pk=reference_id)
        .first()
    )
    if reference is None or reference.biometrics_destroyed_at is not None:
        return reference  # removed or destroyed while the worker was busy: keep nothing
    _enrolment_apply(
        reference, accepted=accepted, message=message, embedding=embedding, engine=engine
    )
    audit_record(
        actor=None,
        action="watchlist.entry_reference_enrol",
        obj=reference.entry,
        deployment=reference.entry.watchlist.deployment,
        changes={
            "reference": str(reference.public_id),
            "state": reference.enrolment_state,
            "message": reference.enrolment_message,
        },
    )
    return reference


def _lock_entry_for_photo_change(actor: User, entry: WatchlistEntry) -> WatchlistEntry:
    """The entry, locked, once its photographs may change; else the rule that forbids it.

    The one home of that rule, for replacing the reference image and for adding or
    removing further photographs: a change to what an entry matches needs a second
    person's decision, so it is allowed only before the entry is approved.
    """
    require_manager(actor)
    entry = lock_entry(entry)
    require_open(entry.watchlist)
    if entry.status != EntryStatus.PENDING:
        raise InvalidTransition(
            "Only an entry awaiting approval can have its photographs changed; an approved "
            "entry's photographs were what its approver decided on."
        )
    return entry


def _let_go_of_file(name: str) -> None:
    """Remove a stored photograph once this transaction commits; nothing points at it now."""
    PendingFileDeletion.objects.get_or_create(name=name)
    transaction.on_commit(sweep_pending_files)


@transaction.atomic
def watchlist_entry_image_set(
    *, actor: User, entry: WatchlistEntry, reference_image: File
) -> WatchlistEntry:
    """Replace an entry's reference image; it must be enrolled again."""
    entry = _lock_entry_for_photo_change(actor, entry)
    previous = entry.reference_image.name
    with files_removed_on_failure() as saved:
        save_upload(entry.reference_image, reference_image, saved)
        entry.enrolment_state = EnrolmentState.PENDING
        entry.enrolment_message = ""
        entry.embedding = None
        entry.save()
        audit_record(
            actor=actor,
            action="watchlist.entry_image_set",
            obj=entry,
            deployment=entry.watchlist.deployment,
        )
        if previous:
            _let_go_of_file(previous)
    enqueue_enrolment([entry.pk])
    return entry


def entry_photo_count(entry: WatchlistEntry) -> int:
    """How many reference photographs the entry holds: its own image and the further ones."""
    return bool(entry.reference_image) + entry.references.count()


@transaction.atomic
def watchlist_entry_reference_add(
    *, actor: User, entry: WatchlistEntry, image: File
) -> EntryReference:
    """Add a further reference photograph of the entry's person; it is enrolled on its own."""
    entry = _lock_entry_for_photo_change(actor, entry)
    if not entry.reference_image:
        raise RuleViolation(
            "The entry has no reference photograph yet: give it one before adding further "
            "photographs.",
            field="image",
            code="no_reference_image",
        )
    limit = settings.LFR_MAX_REFERENCES_PER_ENTRY
    if entry_photo_count(entry) >= limit:
        raise RuleViolation(
            f"An entry may hold at most {limit} reference photographs, its first one counted; "
            "remove one before adding another.",
            field="image",
            code="too_many_references",
        )
    reference = EntryReference(entry=entry, added_by=actor)
    with files_removed_on_failure() as saved:
        save_upload(reference.image, image, saved)
        reference.save()
        audit_record(
            actor=actor,
            action="watchlist.entry_reference_add",
            obj=entry,
            deployment=entry.watchlist.deployment,
            changes={"reference": str(reference.public_id)},
        )
    enqueue_enrolment([entry.pk])
    return reference


@transaction.atomic
def watchlist_entry_reference_remove(*, actor: User, reference: EntryReference) -> WatchlistEntry:
    """Remove one of an entry's further photographs, with its embedding; its file goes too."""
    entry = _lock_entry_for_photo_change(actor, reference.entry)
    locked = EntryReference.objects.select_for_update().filter(pk=reference.pk).first()
    if locked is None:
        raise InvalidTransition("The photograph has already been removed.")
    name = locked.image.name
    public_id = str(locked.public_id)
    locked.delete()
    if name:
        _let_go_of_file(name)
    audit_record(
        actor=actor,
        action="watchlist.entry_reference_remove",
        obj=entry,
        deployment=entry.watchlist.deployment,
        changes={"reference": public_id},
    )
    return entry


@transaction.atomic
def watchlist_enrol_pending(*, actor: User, watchlist: Watchlist) -> int:
    """Enrol every entry still waiting, in batches a worker takes one at a time."""
    require_manager(actor)
    waiting = Q(enrolment_state=EnrolmentState.PENDING) & ~Q(reference_image="")
    # An entry whose own image has enrolled may still have further photographs waiting.
    waiting |= Q(
        references__enrolment_state=EnrolmentState.PENDING,
        references__biometrics_destroyed_at__isnull=True,
    )
    ids = list(
        watchlist.entries.filter(waiting).order_by("pk").values_list("pk", flat=True).distinct()
    )
    for start in range(0, len(ids), ENROL_BATCH):
        enqueue_enrolment(ids[start : start + ENROL_BATCH])
    audit_record(
        actor=actor, action="watchlist.enrol", obj=watchlist, changes={"entries": len(ids)}
    )
    return len(ids)


def stored_copy(source: FieldFile, target: FieldFile) -> None:
    """Store a copy of a saved photograph in another row's file field, under the same name."""
    name = (source.name or "").rsplit("/", 1)[-1]
    with source.open("rb") as handle:
        target.save(name, handle, save=False)


def copied_references(entry: WatchlistEntry, actor: User) -> list[EntryReference]:
    """Unsaved copies of an entry's further photographs, to be enrolled again."""
    copies = []
    for reference in entry.references.filter(biometrics_destroyed_at__isnull=True).exclude(
        image=""
    ):
        copy = EntryReference(added_by=actor)
        stored_copy(reference.image, copy.image)
        copies.append(copy)
    return copies
