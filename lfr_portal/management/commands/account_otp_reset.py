from django.core.management.base import BaseCommand, CommandError

from lfr_portal.errors import GovernanceError
from lfr_portal.services.accounts import otp_reset

from ._accounts import add_actor_arguments, user_or_error


class Command(BaseCommand):
    help = (
        "Remove a user's authenticator app and recovery codes (a lost phone) so they set up "
        "a new one at their next log-in; recorded on the audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        add_actor_arguments(parser)

    def handle(self, *args, username, reason, by=None, **options):
        actor = user_or_error(by) if by else None
        try:
            otp_reset(actor=actor, user=user_or_error(username), reason=reason)
        except GovernanceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Removed the one-time password set-up of {username}.")
