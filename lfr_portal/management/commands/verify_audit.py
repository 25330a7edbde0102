from django.core.management.base import BaseCommand, CommandError

from lfr_portal.services.audit import audit_verify_database


class Command(BaseCommand):
    help = "Check the whole audit chain in the database; name the first broken row."

    def handle(self, *args, **options):
        ok, message = audit_verify_database()
        if not ok:
            raise CommandError(f"audit trail broken at {message}")
        self.stdout.write(message)
