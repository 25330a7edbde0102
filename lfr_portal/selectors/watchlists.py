from ..models import Role, Watchlist, WatchlistEntry
from ..permissions import has_role

READERS = (Role.WATCHLIST_MANAGER, Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER)


def watchlists_visible_to(user):
    if not has_role(user, *READERS):
        return Watchlist.objects.none()
    return Watchlist.objects.select_related("deployment", "created_by", "approved_by")


def entries_visible_to(user):
    if not has_role(user, *READERS):
        return WatchlistEntry.objects.none()
    return WatchlistEntry.objects.select_related("watchlist__deployment", "added_by", "approved_by")
