"""Shared by the account commands: who is acting, and domain errors as command errors."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def add_actor_arguments(parser):
    parser.add_argument("--reason", required=True, help="why; recorded on the audit trail")
    parser.add_argument(
        "--by",
        metavar="USERNAME",
        help="the administrator acting (recorded as the actor; default: system)",
    )


def user_or_error(username):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"There is no user called {username!r}.")
    return user
