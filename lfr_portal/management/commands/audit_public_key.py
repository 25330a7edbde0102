from django.core.management.base import BaseCommand

from lfr_portal.services.audit import public_key_pem


class Command(BaseCommand):
    help = "Print the public key that verifies audit exports (PEM)."

    def handle(self, *args, **options):
        self.stdout.write(public_key_pem().decode(), ending="")
