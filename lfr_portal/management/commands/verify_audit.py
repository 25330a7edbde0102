import json

from django.core.management.base import BaseCommand, CommandError

from lfr_portal.services.audit import audit_verification_record, audit_verify_database


class Command(BaseCommand):
    help = (
        "Check the whole audit log in the database and name the first problem; with "
        "--earlier-head, also check that the log still extends a signed tree head kept "
        "from /transparency/tree-heads.json."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--earlier-head", help="a signed tree head (JSON file) kept from an earlier day"
        )
        parser.add_argument(
            "--no-record",
            action="store_true",
            help="check only; do not record the outcome (audit.verify) in the log",
        )

    def handle(self, *args, **options):
        earlier = None
        if options["earlier_head"]:
            try:
                with open(options["earlier_head"], encoding="utf-8") as handle:
                    earlier = json.load(handle)
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot read the earlier head: {exc}") from None
        if options["no_record"]:
            ok, message = audit_verify_database(earlier_head=earlier)
        else:
            # Recorded in the log itself, so the next verification covers this result too.
            event, message = audit_verification_record(earlier_head=earlier)
            ok = event.changes["ok"]
        if not ok:
            raise CommandError(f"audit trail broken at {message}")
        self.stdout.write(message)
