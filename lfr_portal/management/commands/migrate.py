"""`migrate` as the owner role when DATABASE_OWNER_URL gives one (settings: "owner").

The application's own role may not change the schema or the audit log's protections;
only the role that owns the tables can, so the default alias is never migrated.
"""

from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DEFAULT_DB_ALIAS


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        if "owner" in settings.DATABASES and options["database"] == DEFAULT_DB_ALIAS:
            options["database"] = "owner"
        return super().handle(*args, **options)
