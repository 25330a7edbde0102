from django.core.management.base import BaseCommand

from lfr_portal.services.audit import audit_checkpoint_create


class Command(BaseCommand):
    help = "Sign a tree head of the audit log now (beat does this every minute)."

    def handle(self, *args, **options):
        checkpoint = audit_checkpoint_create()
        self.stdout.write(
            f"signed a tree head of {checkpoint.seq} rows (root {checkpoint.root_hash}) "
            f"with key {checkpoint.key_id}"
        )
