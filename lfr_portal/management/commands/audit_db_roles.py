"""Create the two PostgreSQL roles and apply the audit log's protections. Idempotent.

    manage.py audit_db_roles --create-roles postgresql://postgres@HOST:5432/postgres
    manage.py audit_db_roles            # as the owner (DATABASE_OWNER_URL), after migrate

The first, run once by a database administrator, makes the owner (migrations) and the
application role. The second re-applies the triggers, the retention function (with
today's LFR_AUDIT_RETENTION_DAYS) and the application role's rights; migrate does the
same on first install, so run it again only when the retention period changes.
"""

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from lfr_portal import audit_db


class Command(BaseCommand):
    help = "Create the owner and application roles, and apply the audit log's protections."

    def add_arguments(self, parser):
        parser.add_argument(
            "--create-roles", metavar="SUPERUSER_URL", help="create the roles as this superuser"
        )
        parser.add_argument("--owner", default="lfr_owner", help="the owner role's name")
        parser.add_argument("--app", default=None, help="the application role's name")

    def handle(self, *args, **options):
        alias = "owner" if "owner" in settings.DATABASES else "default"
        app_role = options["app"] or settings.LFR_DB_APP_ROLE or "lfr_app"
        if options["create_roles"]:
            try:
                with psycopg.connect(options["create_roles"], autocommit=True) as conn:
                    audit_db.create_roles(
                        conn.cursor(), owner_role=options["owner"], app_role=app_role
                    )
            except (psycopg.Error, ValueError) as exc:
                raise CommandError(f"could not create the roles: {exc}") from None
            self.stdout.write(f"roles {options['owner']} and {app_role} exist")
            return
        connection = connections[alias]
        if connection.vendor != "postgresql":
            raise CommandError("the database-level protections exist on PostgreSQL only")
        with connection.cursor() as cursor:
            audit_db.install_protections(
                cursor, retention_seconds=settings.LFR_AUDIT_RETENTION.total_seconds()
            )
            granted = audit_db.grant_app_role(cursor, app_role)
        self.stdout.write(
            f"protections applied as {connection.settings_dict['USER']}; "
            + (f"{app_role} may only read and append to the log" if granted else "no app role")
        )
