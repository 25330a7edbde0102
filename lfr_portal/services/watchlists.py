"""Writes for watchlists and their entries."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import ngettext

from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import (
    AuditEvent,
    DeploymentStatus,
    EnrolmentState,
    EntryCategory,
    EntryReference,
    EntryStatus,
    Role,
    Watchlist,
    WatchlistEntry,
    WatchlistStatus,
)
from ..permissions import has_role, is_authorising_officer
from .audit import audit_record
from .common import (
    files_removed_on_failure,
    jsonable,
    save_upload,
    task_send_on_commit,
    validate_model,
)

ENTRY_FIELDS = (
    "display_name",
    "category",
    "reason",
    "legal_basis",
    "reference_number",
    "image_source",
    "image_date",
    "under_18",
    "under_18_justification",
)
ENROL_BATCH = 50
# Audit actions that choose what an entry will match: whoever takes one is an author.
AUTHORING_ACTIONS = (
    "watchlist.entry_add",
    "watchlist.entry_image_set",
    "watchlist.entry_reference_add",
    "watchlist.entry_reference_remove",
)
# Entries that count towards the watchlist's size.
LIVE_ENTRY_STATES = (EntryStatus.PENDING, EntryStatus.APPROVED)


def entry_author_ids(entry) -> set[int]:
    """Everyone who chose what this entry matches: who added it and whoever changed it since.

    Read from the append-only audit trail, so a later edit cannot erase an earlier author.
    """
    authors = set(
        AuditEvent.objects.filter(
            action__in=AUTHORING_ACTIONS,
            object_type=WatchlistEntry._meta.label,
            object_public_id=str(entry.public_id),
            actor__isnull=False,
        ).values_list("actor_id", flat=True)
    )
    authors.add(entry.added_by_id)
    return authors


def _refuse_author(actor, entry, verb):
    if actor.pk in entry_author_ids(entry):
        raise NotPermitted(
            f"You added this entry or changed its photograph or details, so you may not {verb} "
            "it: a second person who did neither must decide (four eyes).",
            code="four_eyes",
        )


def _lock(watchlist):
    return Watchlist.objects.select_for_update().get(pk=watchlist.pk)


def _require_manager(actor):
    if not has_role(actor, Role.WATCHLIST_MANAGER):
        raise NotPermitted("Only a watchlist manager may build a watchlist.")


def _require_open(watchlist):
    if watchlist.status != WatchlistStatus.DRAFT:
        raise InvalidTransition(
            f"The watchlist is {watchlist.get_status_display().lower()}; entries can change "
            "only while it is being built."
        )
    if watchlist.deployment.status in (DeploymentStatus.COMPLETED, DeploymentStatus.CANCELLED):
        raise InvalidTransition("The deployment has ended; its watchlist cannot change.")


def _check_entry(entry):
    if entry.category not in EntryCategory.values:
        raise RuleViolation(
            f"'{entry.category}' is not a watchlist category. The categories are: "
            + "; ".join(str(label) for label in EntryCategory.labels)
            + ".",
            field="category",
            code="unknown_category",
        )
    validate_model(
        entry,
        exclude=["watchlist", "added_by", "public_id", "reference_image", "embedding"],
    )
    if entry.image_date > timezone.localdate():
        raise RuleViolation("The image cannot be dated in the future.", field="image_date")
    if entry.under_18 and not entry.under_18_justification.strip():
        raise RuleViolation(
            "A person under 18 may be included only with a recorded extra justification.",
            field="under_18_justification",
            code="under_18_justification",
        )


@transaction.atomic
def watchlist_entry_add(*, actor, watchlist, reference_image=None, **fields):
    _require_manager(actor)
    watchlist = _lock(watchlist)
    _require_open(watchlist)
    unknown = set(fields) - set(ENTRY_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise RuleViolation(f"The field '{name}' is not part of an entry.", field=name)
    size = watchlist.entries.filter(status__in=LIVE_ENTRY_STATES).count()
    if size >= settings.LFR_WATCHLIST_MAX_SIZE:
        raise RuleViolation(
            f"The watchlist already holds the maximum of {settings.LFR_WATCHLIST_MAX_SIZE} "
            "entries; keep it no larger than the purpose needs.",
            code="watchlist_full",
        )
    entry = WatchlistEntry(watchlist=watchlist, added_by=actor, **fields)
    _check_entry(entry)
    with files_removed_on_failure() as saved:
        if reference_image is not None:
            save_upload(entry.reference_image, reference_image, saved)
        entry.save()
        _audit_entry_add(actor, watchlist, entry)
    if entry.reference_image:
        _enqueue_enrolment([entry.pk])
    return entry


def _audit_entry_add(actor, watchlist, entry):
    audit_record(
        actor=actor,
        action="watchlist.entry_add",
        obj=entry,
        deployment=watchlist.deployment,
        changes={
            "category": entry.category,
            "reference_number": entry.reference_number,
            "under_18": entry.under_18,
            "image_source": entry.image_source,
            "image_date": jsonable(entry.image_date),
        },
    )


def _lock_entry(entry):
    return (
        WatchlistEntry.objects.select_for_update()
        .select_related("watchlist__deployment")
        .get(pk=entry.pk)
    )


def _enqueue_enrolment(entry_ids):
    """After commit, ask a recognition worker to enrol these entries."""
    ids = list(entry_ids)
    if ids:
        task_send_on_commit("matcher.enrol_entries", args=[ids], queue="recognition")


def _enrolment_apply(photo, *, accepted, message, embedding, engine) -> None:
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
def watchlist_entry_enrolment_record(*, entry_id, accepted, message, embedding, engine):
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


def _lock_entry_for_photo_change(actor, entry):
    """The entry, locked, once its photographs may change; else the rule that forbids it.

    The one home of that rule, for replacing the reference image and for adding or
    removing further photographs: a change to what an entry matches needs a second
    person's decision, so it is allowed only before the entry is approved.
    """
    _require_manager(actor)
    entry = _lock_entry(entry)
    _require_open(entry.watchlist)
    if entry.status != EntryStatus.PENDING:
        raise InvalidTransition(
            "Only an entry awaiting approval can have its photographs changed; an approved "
            "entry's photographs were what its approver decided on."
        )
    return entry


def _let_go_of_file(name):
    """Remove a stored photograph once this transaction commits; nothing points at it now."""
    from ..models import PendingFileDeletion
    from .retention import sweep_pending_files

    PendingFileDeletion.objects.get_or_create(name=name)
    transaction.on_commit(sweep_pending_files)


@transaction.atomic
def watchlist_entry_image_set(*, actor, entry, reference_image):
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
    _enqueue_enrolment([entry.pk])
    return entry


def entry_photo_count(entry) -> int:
    """How many reference photographs the entry holds: its own image and the further ones."""
    return bool(entry.reference_image) + entry.references.count()


@transaction.atomic
def watchlist_entry_reference_add(*, actor, entry, image) -> EntryReference:
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
    _enqueue_enrolment([entry.pk])
    return reference


@transaction.atomic
def watchlist_entry_reference_remove(*, actor, reference) -> WatchlistEntry:
    """Remove one of an entry's further photographs, with its embedding; its file goes too."""
    entry = _lock_entry_for_photo_change(actor, reference.entry)
    reference = EntryReference.objects.select_for_update().filter(pk=reference.pk).first()
    if reference is None:
        raise InvalidTransition("The photograph has already been removed.")
    name = reference.image.name
    public_id = str(reference.public_id)
    reference.delete()
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


@transaction.atomic
def watchlist_enrol_pending(*, actor, watchlist):
    """Enrol every entry still waiting, in batches a worker takes one at a time."""
    _require_manager(actor)
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
        _enqueue_enrolment(ids[start : start + ENROL_BATCH])
    audit_record(
        actor=actor, action="watchlist.enrol", obj=watchlist, changes={"entries": len(ids)}
    )
    return len(ids)


@transaction.atomic
def watchlist_entry_approve(*, actor, entry):
    entry = _lock_entry(entry)
    if not (has_role(actor, Role.WATCHLIST_MANAGER) or is_authorising_officer(actor)):
        raise NotPermitted(
            "Only a watchlist manager or an authorising officer may approve entries."
        )
    _refuse_author(actor, entry, "approve")
    _require_open(entry.watchlist)
    if entry.status != EntryStatus.PENDING:
        raise InvalidTransition("Only an entry awaiting approval can be approved.")
    if entry.enrolment_state != EnrolmentState.ENROLLED:
        raise RuleViolation(
            "The entry has no usable embedding yet"
            + (f": {entry.enrolment_message}" if entry.enrolment_message else ".")
            + " It can be approved once its reference image has enrolled.",
            code="not_enrolled",
        )
    if entry.under_18:
        if not entry.under_18_justification.strip():
            raise RuleViolation(
                "An under-18 entry needs its extra justification before approval.",
                field="under_18_justification",
                code="under_18_justification",
            )
        if not is_authorising_officer(actor):
            raise NotPermitted(
                "Only an authorising officer may approve the extra justification for a "
                "person under 18.",
                code="under_18_approver",
            )
    entry.status = EntryStatus.APPROVED
    entry.approved_by = actor
    entry.approved_at = timezone.now()
    entry.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    audit_record(
        actor=actor,
        action="watchlist.entry_approve",
        obj=entry,
        deployment=entry.watchlist.deployment,
        changes={"under_18_justification_approved": entry.under_18},
    )
    return entry


@transaction.atomic
def watchlist_entry_reject(*, actor, entry, reason):
    entry = _lock_entry(entry)
    if not (has_role(actor, Role.WATCHLIST_MANAGER) or is_authorising_officer(actor)):
        raise NotPermitted("Only a watchlist manager or an authorising officer may reject entries.")
    _refuse_author(actor, entry, "reject")
    _require_open(entry.watchlist)
    if entry.status != EntryStatus.PENDING:
        raise InvalidTransition("Only an entry awaiting approval can be rejected.")
    if not (reason or "").strip():
        raise RuleViolation("A rejection must give its reason.", field="reason")
    entry.status = EntryStatus.REJECTED
    entry.decision_reason = reason
    entry.save(update_fields=["status", "decision_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="watchlist.entry_reject",
        obj=entry,
        deployment=entry.watchlist.deployment,
        reason=reason,
    )
    return entry


@transaction.atomic
def watchlist_entry_remove(*, actor, entry, reason):
    entry = _lock_entry(entry)
    _require_manager(actor)
    _require_open(entry.watchlist)
    if entry.status == EntryStatus.REMOVED:
        raise InvalidTransition("The entry is already removed.")
    if not (reason or "").strip():
        raise RuleViolation("Removing an entry needs a reason.", field="reason")
    entry.status = EntryStatus.REMOVED
    entry.decision_reason = reason
    entry.save(update_fields=["status", "decision_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="watchlist.entry_remove",
        obj=entry,
        deployment=entry.watchlist.deployment,
        reason=reason,
    )
    return entry


@transaction.atomic
def watchlist_approve(*, actor, watchlist):
    """The authorising officer authorises the watchlist for its deployment."""
    watchlist = _lock(watchlist)
    if not is_authorising_officer(actor):
        raise NotPermitted("Only an authorising officer may authorise a watchlist.")
    _require_open(watchlist)
    entries = watchlist.entries
    kept = entries.exclude(status=EntryStatus.REMOVED)
    changed = AuditEvent.objects.filter(
        action__in=AUTHORING_ACTIONS,
        object_type=WatchlistEntry._meta.label,
        actor=actor,
        object_public_id__in=[str(p) for p in kept.values_list("public_id", flat=True)],
    )
    if kept.filter(added_by=actor).exists() or changed.exists():
        raise NotPermitted(
            "You added or changed entries on this watchlist, so another officer must "
            "authorise it (four eyes).",
            code="four_eyes",
        )
    if entries.filter(status=EntryStatus.PENDING).exists():
        raise RuleViolation(
            "Every entry needs a decision by a second person before the watchlist is authorised.",
            code="entries_pending",
        )
    approved = entries.filter(status=EntryStatus.APPROVED).count()
    if approved == 0:
        raise RuleViolation("An empty watchlist cannot be authorised.", code="empty")
    if approved > settings.LFR_WATCHLIST_MAX_SIZE:
        raise RuleViolation(
            f"The watchlist holds {approved} entries, over the maximum of "
            f"{settings.LFR_WATCHLIST_MAX_SIZE}.",
            code="watchlist_full",
        )
    watchlist.status = WatchlistStatus.APPROVED
    watchlist.approved_by = actor
    watchlist.approved_at = timezone.now()
    watchlist.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    audit_record(
        actor=actor,
        action="watchlist.approve",
        obj=watchlist,
        changes={"entries": approved},
    )
    return watchlist


@transaction.atomic
def watchlist_finalise(*, actor, watchlist):
    """Freeze the authorised list for the deployment; repeating it re-confirms the list.

    It counts only within LFR_WATCHLIST_FINALISE_MAX_AGE before the window starts (the
    go-live rule), so earlier than that it is refused rather than left to lapse unseen.
    """
    # Imported here: this module's imports are shared with the entry services.
    from .deployments import finalise_hours, watchlist_finalise_opens_at, when_text

    watchlist = _lock(watchlist)
    _require_manager(actor)
    if watchlist.status not in (WatchlistStatus.APPROVED, WatchlistStatus.FINALISED):
        raise InvalidTransition("Only an authorised watchlist can be finalised.")
    deployment = watchlist.deployment
    if deployment.status not in (DeploymentStatus.SUBMITTED, DeploymentStatus.APPROVED):
        raise InvalidTransition(
            "A watchlist is finalised for a submitted or approved deployment that has not "
            "gone live."
        )
    now = timezone.now()
    opens = watchlist_finalise_opens_at(deployment)
    if opens is not None and now < opens:
        raise RuleViolation(
            f"A watchlist is finalised within {finalise_hours()} hours before its window "
            f"starts ({when_text(deployment.starts_at)}), so that it is still valid at the start. "
            f"It can be finalised from {when_text(opens)}.",
            code="finalise_too_early",
        )
    if deployment.ends_at is not None and now >= deployment.ends_at:
        raise InvalidTransition(
            f"The deployment's window ended {when_text(deployment.ends_at)}; its watchlist can no "
            "longer be finalised."
        )
    previous = watchlist.finalised_at
    watchlist.status = WatchlistStatus.FINALISED
    watchlist.finalised_by = actor
    watchlist.finalised_at = timezone.now()
    watchlist.save(update_fields=["status", "finalised_by", "finalised_at", "updated_at"])
    audit_record(
        actor=actor,
        action="watchlist.finalise",
        obj=watchlist,
        changes={"previously_finalised_at": jsonable(previous)},
    )
    return watchlist


@transaction.atomic
def watchlist_copy_entries(*, actor, source, target):
    """Bring entries from another deployment's watchlist; each needs approval again."""
    _require_manager(actor)
    target = _lock(target)
    _require_open(target)
    if source.pk == target.pk:
        raise RuleViolation("A watchlist cannot be copied into itself.")
    current = target.entries.filter(status__in=LIVE_ENTRY_STATES).count()
    to_copy = list(source.entries.filter(status=EntryStatus.APPROVED))
    if current + len(to_copy) > settings.LFR_WATCHLIST_MAX_SIZE:
        raise RuleViolation(
            ngettext(
                "Copying %(n)d entry would pass the maximum of %(max)d.",
                "Copying %(n)d entries would pass the maximum of %(max)d.",
                len(to_copy),
            )
            % {"n": len(to_copy), "max": settings.LFR_WATCHLIST_MAX_SIZE},
            code="watchlist_full",
        )
    copies = []
    further = []
    for entry in to_copy:
        copy = WatchlistEntry(
            watchlist=target,
            added_by=actor,
            **{name: getattr(entry, name) for name in ENTRY_FIELDS},
        )
        if entry.reference_image:
            with entry.reference_image.open("rb") as handle:
                copy.reference_image.save(
                    entry.reference_image.name.rsplit("/", 1)[-1], handle, save=False
                )
        copies.append(copy)
        further.append(_copied_references(entry, actor))
    WatchlistEntry.objects.bulk_create(copies)
    for copy, references in zip(copies, further, strict=True):
        for reference in references:
            reference.entry = copy
    EntryReference.objects.bulk_create([r for refs in further for r in refs])
    audit_record(
        actor=actor,
        action="watchlist.copy_entries",
        obj=target,
        changes={"source": str(source.public_id), "entries": len(copies)},
    )
    return copies


def _copied_references(entry, actor) -> list[EntryReference]:
    """Unsaved copies of an entry's further photographs, to be enrolled again."""
    copies = []
    for reference in entry.references.filter(biometrics_destroyed_at__isnull=True).exclude(
        image=""
    ):
        copy = EntryReference(added_by=actor)
        with reference.image.open("rb") as handle:
            copy.image.save(reference.image.name.rsplit("/", 1)[-1], handle, save=False)
        copies.append(copy)
    return copies
