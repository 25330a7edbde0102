from django.core.management.base import BaseCommand

from lfr_portal.services.audit import audit_checkpoint_create


class Command(BaseCommand):
    help = "Sign the current head of the audit chain (beat does this on a schedule)."

    def handle(self, *args, **options):
        checkpoint = audit_checkpoint_create()
        self.stdout.write(
            f"signed row {checkpoint.seq} ({checkpoint.row_hash}) with key {checkpoint.key_id}"
        )
