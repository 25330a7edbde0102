"""Turning configuration mistakes into one line that names the setting."""

import sys

from django.core.exceptions import ImproperlyConfigured


def _database_error_line(exc):
    from django.conf import settings

    from .settings.env import redact_url

    db = settings.DATABASES["default"]
    where = db.get("NAME")
    if db.get("HOST"):
        where = f"{db.get('HOST')}:{db.get('PORT') or 5432}/{db.get('NAME')}"
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"error: cannot use the database set by DATABASE_URL "
        f"({redact_url(str(where))}): {first_line}"
    )


def run_cli(argv):
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    except OperationalError as exc:
        sys.stderr.write(_database_error_line(exc) + "\n")
        sys.exit(2)
