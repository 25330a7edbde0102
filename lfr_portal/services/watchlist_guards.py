"""Checks and locks shared by the watchlist writes (entries, photographs, the list itself)."""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db.models import QuerySet

from ..errors import InvalidTransition, NotPermitted
from ..models import (
    AuditEvent,
    DeploymentStatus,
    EntryStatus,
    Role,
    Watchlist,
    WatchlistEntry,
    WatchlistStatus,
)
from ..permissions import has_role
from .common import task_send_on_commit

# Audit actions that choose what an entry will match: whoever takes one is an author.
AUTHORING_ACTIONS = (
    "watchlist.entry_add",
    "watchlist.entry_image_set",
    "watchlist.entry_reference_add",
    "watchlist.entry_reference_remove",
)
# Entries that count towards the watchlist's size.
LIVE_ENTRY_STATES = (EntryStatus.PENDING, EntryStatus.APPROVED)


def authored_entry_events(**filters: object) -> QuerySet[AuditEvent]:
    """Audit rows of the actions that make someone an author of a watchlist entry."""
    return AuditEvent.objects.filter(
        action__in=AUTHORING_ACTIONS, object_type=WatchlistEntry._meta.label, **filters
    )


def entry_author_ids(entry: WatchlistEntry) -> set[int]:
    """Everyone who chose what this entry matches: who added it and whoever changed it since.

    Read from the append-only audit trail, so a later edit cannot erase an earlier author.
    """
    authors = set(
        authored_entry_events(
            object_public_id=str(entry.public_id), actor__isnull=False
        ).values_list("actor_id", flat=True)
    )
    authors.add(entry.added_by_id)
    return authors


def refuse_author(actor: User, entry: WatchlistEntry, verb: str) -> None:
    if actor.pk in entry_author_ids(entry):
        raise NotPermitted(
            f"You added this entry or changed its photograph or details, so you may not {verb} "
            "it: a second person who did neither must decide (four eyes).",
            code="four_eyes",
        )


def lock_watchlist(watchlist: Watchlist) -> Watchlist:
    return Watchlist.objects.select_for_update().get(pk=watchlist.pk)


def lock_entry(entry: WatchlistEntry) -> WatchlistEntry:
    return (
        WatchlistEntry.objects.select_for_update()
        .select_related("watchlist__deployment")
        .get(pk=entry.pk)
    )


def require_manager(actor: User) -> None:
    if not has_role(actor, Role.WATCHLIST_MANAGER):
        raise NotPermitted("Only a watchlist manager may build a watchlist.")


def require_open(watchlist: Watchlist) -> None:
    if watchlist.status != WatchlistStatus.DRAFT:
        raise InvalidTransition(
            f"The watchlist is {watchlist.get_status_display().lower()}; entries can change "
            "only while it is being built."
        )
    if watchlist.deployment.status in (DeploymentStatus.COMPLETED, DeploymentStatus.CANCELLED):
        raise InvalidTransition("The deployment has ended; its watchlist cannot change.")


def enqueue_enrolment(entry_ids: Iterable[int]) -> None:
    """After commit, ask a recognition worker to enrol these entries."""
    ids = list(entry_ids)
    if ids:
        task_send_on_commit("matcher.enrol_entries", args=[ids], queue="recognition")
