from typing import Any
from uuid import UUID

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Prefetch, QuerySet

from ..models import EntryReference, Role, Watchlist, WatchlistEntry
from ..permissions import has_role
from .alerts import alerts_visible_to

READERS = (Role.WATCHLIST_MANAGER, Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER)


def watchlists_visible_to(user: User | AnonymousUser) -> QuerySet[Watchlist]:
    if not has_role(user, *READERS):
        return Watchlist.objects.none()
    return Watchlist.objects.select_related("deployment", "created_by", "approved_by")


def entries_visible_to(user: User | AnonymousUser) -> QuerySet[WatchlistEntry]:
    if not has_role(user, *READERS):
        return WatchlistEntry.objects.none()
    return WatchlistEntry.objects.select_related("watchlist__deployment", "added_by", "approved_by")


def references_visible_to(user: User | AnonymousUser) -> QuerySet[EntryReference]:
    """Further photographs of the entries the user may see; destroyed ones are gone."""
    if not has_role(user, *READERS):
        return EntryReference.objects.none()
    return EntryReference.objects.filter(biometrics_destroyed_at__isnull=True).select_related(
        "entry__watchlist__deployment", "added_by"
    )


def with_references(entries: QuerySet[WatchlistEntry]) -> QuerySet[WatchlistEntry]:
    """The entries with their further photographs loaded in one more query, as `photos`."""
    return entries.prefetch_related(
        Prefetch(
            "references",
            queryset=EntryReference.objects.filter(biometrics_destroyed_at__isnull=True)
            .select_related("added_by")
            .order_by("created_at", "pk"),
            to_attr="photos",
        )
    )


def entry_with_images_for(user: User | AnonymousUser, **lookup: Any) -> WatchlistEntry | None:
    """The entry matching `lookup` whose photographs the user may see, or None."""
    if has_role(user, Role.WATCHLIST_MANAGER, Role.AUTHORISING_OFFICER):
        return entries_visible_to(user).filter(**lookup).first()
    if has_role(user, Role.OPERATOR):
        # Operators see reference photographs only beside an alert of their deployment.
        alert = (
            alerts_visible_to(user)
            .filter(**{f"entry__{name}": value for name, value in lookup.items()})
            .select_related("entry")
            .first()
        )
        return alert.entry if alert else None
    return None


def reference_with_image_for(user: User | AnonymousUser, public_id: UUID) -> EntryReference | None:
    """A further photograph, to whoever may see its entry's own image; destroyed ones are gone."""
    reference = EntryReference.objects.filter(
        public_id=public_id, biometrics_destroyed_at__isnull=True
    ).first()
    if reference is None or entry_with_images_for(user, pk=reference.entry_id) is None:
        return None
    return reference
