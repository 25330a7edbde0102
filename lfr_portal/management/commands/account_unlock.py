from django.core.management.base import BaseCommand, CommandError

from lfr_portal.errors import GovernanceError
from lfr_portal.services.accounts import account_unlock

from ._accounts import add_actor_arguments, user_or_error


class Command(BaseCommand):
    help = "Lift a log-in lockout before its cool-off ends; recorded on the audit trail."

    def add_arguments(self, parser):
        parser.add_argument("username")
        add_actor_arguments(parser)

    def handle(self, *args, username, reason, by=None, **options):
        actor = user_or_error(by) if by else None
        try:
            account_unlock(actor=actor, username=username, reason=reason)
        except GovernanceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Unlocked {username}.")
