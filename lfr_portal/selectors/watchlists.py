from django.db.models import Prefetch, QuerySet

from ..models import EntryReference, Role, Watchlist, WatchlistEntry
from ..permissions import has_role

READERS = (Role.WATCHLIST_MANAGER, Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER)


def watchlists_visible_to(user) -> QuerySet[Watchlist]:
    if not has_role(user, *READERS):
        return Watchlist.objects.none()
    return Watchlist.objects.select_related("deployment", "created_by", "approved_by")


def entries_visible_to(user) -> QuerySet[WatchlistEntry]:
    if not has_role(user, *READERS):
        return WatchlistEntry.objects.none()
    return WatchlistEntry.objects.select_related("watchlist__deployment", "added_by", "approved_by")


def references_visible_to(user) -> QuerySet[EntryReference]:
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
