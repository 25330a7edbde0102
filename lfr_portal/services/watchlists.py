"""Writes for watchlists and their entries: adding, deciding on and authorising them.

The photographs and their enrolment are in entry_photos; the shared checks and locks
in watchlist_guards.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import (
    Deployment,
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
from ..models.watchlists import DEFAULT_RESPONSE
from ..permissions import has_role, is_authorising_officer
from ..selectors.legality import still_wanted_problem, suspect_offence_problem
from ..selectors.problems import Problem
from ..selectors.readiness import finalise_hours, watchlist_finalise_opens_at, when_text
from .audit import audit_record
from .common import files_removed_on_failure, jsonable, save_upload, validate_model
from .entry_photos import copied_references, stored_copy
from .watchlist_guards import (
    LIVE_ENTRY_STATES,
    authored_entry_events,
    enqueue_enrolment,
    lock_entry,
    lock_watchlist,
    refuse_author,
    require_manager,
    require_open,
)

ENTRY_FIELDS = (
    "display_name",
    "category",
    "reason",
    "legal_basis",
    "offence_max_sentence_years",
    "reference_number",
    "image_source",
    "image_date",
    "under_18",
    "under_18_justification",
    "response",
)


def _refuse(problem: Problem | None) -> None:
    if problem is not None:
        raise RuleViolation(problem.message, field=problem.field, code=problem.code)


def _check_entry(entry: WatchlistEntry) -> None:
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
    _refuse(suspect_offence_problem(entry.category, entry.offence_max_sentence_years))
    if entry.under_18 and not entry.under_18_justification.strip():
        raise RuleViolation(
            "A person under 18 may be included only with a recorded extra justification.",
            field="under_18_justification",
            code="under_18_justification",
        )


@transaction.atomic
def watchlist_entry_add(
    *, actor: User, watchlist: Watchlist, reference_image: File | None = None, **fields: Any
) -> WatchlistEntry:
    require_manager(actor)
    watchlist = lock_watchlist(watchlist)
    require_open(watchlist)
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
    if not fields.get("response"):
        # What officers on the street are to do: the category's usual response unless stated.
        fields["response"] = DEFAULT_RESPONSE.get(fields.get("category", ""), "")
    entry = WatchlistEntry(watchlist=watchlist, added_by=actor, **fields)
    _check_entry(entry)
    with files_removed_on_failure() as saved:
        if reference_image is not None:
            save_upload(entry.reference_image, reference_image, saved)
        entry.save()
        _audit_entry_add(actor, watchlist, entry)
    if entry.reference_image:
        enqueue_enrolment([entry.pk])
    return entry


def _audit_entry_add(actor: User, watchlist: Watchlist, entry: WatchlistEntry) -> None:
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
            "response": entry.response,
            "offence_max_sentence_years": entry.offence_max_sentence_years,
        },
    )


def _require_decider(actor: User, verb: str) -> None:
    if not (has_role(actor, Role.WATCHLIST_MANAGER) or is_authorising_officer(actor)):
        raise NotPermitted(
            f"Only a watchlist manager or an authorising officer may {verb} entries."
        )


@transaction.atomic
def watchlist_entry_approve(*, actor: User, entry: WatchlistEntry) -> WatchlistEntry:
    entry = lock_entry(entry)
    _require_decider(actor, "approve")
    refuse_author(actor, entry, "approve")
    require_open(entry.watchlist)
    if entry.status != EntryStatus.PENDING:
        raise InvalidTransition("Only an entry awaiting approval can be approved.")
    _refuse(suspect_offence_problem(entry.category, entry.offence_max_sentence_years))
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
def watchlist_entry_reject(*, actor: User, entry: WatchlistEntry, reason: str) -> WatchlistEntry:
    entry = lock_entry(entry)
    _require_decider(actor, "reject")
    refuse_author(actor, entry, "reject")
    require_open(entry.watchlist)
    if entry.status != EntryStatus.PENDING:
        raise InvalidTransition("Only an entry awaiting approval can be rejected.")
    if not (reason or "").strip():
        raise RuleViolation("A rejection must give its reason.", field="reason")
    return _entry_close(actor, entry, EntryStatus.REJECTED, reason, "watchlist.entry_reject")


@transaction.atomic
def watchlist_entry_remove(*, actor: User, entry: WatchlistEntry, reason: str) -> WatchlistEntry:
    entry = lock_entry(entry)
    require_manager(actor)
    require_open(entry.watchlist)
    if entry.status == EntryStatus.REMOVED:
        raise InvalidTransition("The entry is already removed.")
    if not (reason or "").strip():
        raise RuleViolation("Removing an entry needs a reason.", field="reason")
    return _entry_close(actor, entry, EntryStatus.REMOVED, reason, "watchlist.entry_remove")


def _entry_close(
    actor: User, entry: WatchlistEntry, status: str, reason: str, action: str
) -> WatchlistEntry:
    """Take the entry off the list for good (rejected or removed), with the reason audited."""
    entry.status = status
    entry.decision_reason = reason
    entry.save(update_fields=["status", "decision_reason", "updated_at"])
    audit_record(
        actor=actor, action=action, obj=entry, deployment=entry.watchlist.deployment, reason=reason
    )
    return entry


@transaction.atomic
def watchlist_approve(*, actor: User, watchlist: Watchlist) -> Watchlist:
    """The authorising officer authorises the watchlist for its deployment."""
    watchlist = lock_watchlist(watchlist)
    if not is_authorising_officer(actor):
        raise NotPermitted("Only an authorising officer may authorise a watchlist.")
    require_open(watchlist)
    entries = watchlist.entries
    kept = entries.exclude(status=EntryStatus.REMOVED)
    changed = authored_entry_events(
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


def _require_finalise_window(deployment: Deployment, now: datetime) -> None:
    opens = watchlist_finalise_opens_at(deployment)
    if opens is not None and deployment.starts_at is not None and now < opens:
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


@transaction.atomic
def watchlist_finalise(
    *, actor: User, watchlist: Watchlist, still_wanted_as_of: datetime | None
) -> Watchlist:
    """Freeze the authorised list for the deployment; repeating it re-confirms the list.

    It counts only within LFR_WATCHLIST_FINALISE_MAX_AGE before the window starts (the
    go-live rule), so earlier than that it is refused rather than left to lapse unseen.
    The actor confirms every entry is still wanted (missing, a risk) as of
    `still_wanted_as_of`, which must lie within LFR_WATCHLIST_FINALISE_MAX_AGE before now.
    """
    watchlist = lock_watchlist(watchlist)
    require_manager(actor)
    if watchlist.status not in (WatchlistStatus.APPROVED, WatchlistStatus.FINALISED):
        raise InvalidTransition("Only an authorised watchlist can be finalised.")
    deployment = watchlist.deployment
    if deployment.status not in (DeploymentStatus.SUBMITTED, DeploymentStatus.APPROVED):
        raise InvalidTransition(
            "A watchlist is finalised for a submitted or approved deployment that has not "
            "gone live."
        )
    now = timezone.now()
    _require_finalise_window(deployment, now)
    _refuse(still_wanted_problem(still_wanted_as_of, now=now))
    previous = watchlist.finalised_at
    watchlist.status = WatchlistStatus.FINALISED
    watchlist.finalised_by = actor
    watchlist.finalised_at = timezone.now()
    watchlist.still_wanted_as_of = still_wanted_as_of
    watchlist.still_wanted_confirmed_by = actor
    watchlist.save(
        update_fields=[
            "status",
            "finalised_by",
            "finalised_at",
            "still_wanted_as_of",
            "still_wanted_confirmed_by",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="watchlist.finalise",
        obj=watchlist,
        changes={
            "previously_finalised_at": jsonable(previous),
            "still_wanted_as_of": jsonable(still_wanted_as_of),
        },
    )
    return watchlist


@transaction.atomic
def watchlist_copy_entries(
    *, actor: User, source: Watchlist, target: Watchlist
) -> list[WatchlistEntry]:
    """Bring entries from another deployment's watchlist; each needs approval again."""
    require_manager(actor)
    target = lock_watchlist(target)
    require_open(target)
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
            stored_copy(entry.reference_image, copy.reference_image)
        copies.append(copy)
        further.append(copied_references(entry, actor))
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
