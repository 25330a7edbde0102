from django.core.management.base import BaseCommand

from lfr_portal.models import RetentionCategory
from lfr_portal.selectors.retention import retention_plan
from lfr_portal.services.retention import retention_apply


class Command(BaseCommand):
    help = "Delete personal data that its retention rule says must go (beat runs this too)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="say what would be deleted and why; delete nothing",
        )

    def handle(self, *args, dry_run=False, **options):
        lines = retention_plan()
        if not lines:
            self.stdout.write("Nothing is due for deletion.")
            return
        for category, deployment, count, rule in lines:
            where = f"'{deployment.title}' ({deployment.public_id})" if deployment else "all"
            self.stdout.write(
                f"{'would delete' if dry_run else 'deleting'} {count} × "
                f"{RetentionCategory(category).label} of {where}: {rule}"
            )
        if dry_run:
            return
        done = retention_apply()
        summary = ", ".join(f"{RetentionCategory(k).label}: {v}" for k, v in done.items() if v)
        self.stdout.write(f"Deleted. {summary or 'Nothing.'}")
