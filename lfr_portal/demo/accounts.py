"""The demo's accounts: log-ins for every role, and the history's invented officers."""

from django.contrib.auth.models import Group, User
from django.db import transaction

from ..models import OfficerProfile, Rank, Role
from .data import OFFICERS

DEMO_PASSWORD = "lfr-demo-2026"  # noqa: S105 - printed for the demo; never used in production

# (username, first name, last name, role, rank): the people who log in to the demo.
DEMO_USERS = [
    ("ao", "Alex", "Okafor", Role.AUTHORISING_OFFICER, Rank.SUPERINTENDENT),
    ("ao2", "Priya", "Shah", Role.AUTHORISING_OFFICER, Rank.CHIEF_SUPERINTENDENT),
    ("planner", "Sam", "Reid", Role.DEPLOYMENT_PLANNER, Rank.INSPECTOR),
    ("watchlist", "Jo", "Evans", Role.WATCHLIST_MANAGER, Rank.SERGEANT),
    ("watchlist2", "Chris", "Ng", Role.WATCHLIST_MANAGER, Rank.SERGEANT),
    ("operator", "Morgan", "Hale", Role.OPERATOR, Rank.CONSTABLE),
    ("field", "Taylor", "Price", Role.FIELD_OFFICER, Rank.CONSTABLE),
    ("compliance", "Robin", "Wood", Role.COMPLIANCE_OFFICER, Rank.INSPECTOR),
]


def demo_logins() -> list[tuple[str, str]]:
    return [(username, role.label) for username, _, _, role, _ in DEMO_USERS]


def _officer(
    username: str, first: str, last: str, role: str, rank: str, *, password: str | None
) -> User:
    """The officer with that role and rank, created once; no password means no log-in."""
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last}
    )
    if created:
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(update_fields=["password"])
    OfficerProfile.objects.update_or_create(user=user, defaults={"rank": rank})
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@transaction.atomic
def demo_users_ensure() -> dict[str, User]:
    """The demo's log-ins by user name, all with DEMO_PASSWORD."""
    return {
        username: _officer(username, first, last, role, rank, password=DEMO_PASSWORD)
        for username, first, last, role, rank in DEMO_USERS
    }


def history_officers_ensure() -> list[User]:
    """The history's invented officers, in OFFICERS order; they cannot log in."""
    return [
        _officer(username, first, last, role, rank, password=None)
        for username, first, last, role, rank in OFFICERS
    ]
