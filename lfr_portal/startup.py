"""Turning configuration mistakes into one line that names the setting.

Used by manage.py, by the preflight command and by Celery's worker and beat start-up,
so each refuses to start in the same words.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import execute_from_command_line
from django.core.management.base import CommandError
from django.db.utils import OperationalError

from .settings.env import redact_url

if TYPE_CHECKING:
    from celery import Celery


def database_error_line(exc: Exception) -> str:
    """One line naming DATABASE_URL (its password left out) and what went wrong."""
    db = settings.DATABASES["default"]
    where = db.get("NAME")
    if db.get("HOST"):
        where = f"{db.get('HOST')}:{db.get('PORT') or 5432}/{db.get('NAME')}"
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"error: cannot use the database set by DATABASE_URL "
        f"({redact_url(str(where))}): {first_line}"
    )


def check_broker(app: Celery, *, timeout: float = 5) -> None:
    """Raise CommandError naming CELERY_BROKER_URL when the broker cannot be reached."""
    url = settings.CELERY_BROKER_URL
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # kombu raises transport-specific errors
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CommandError(
            f"cannot reach the Celery broker set by CELERY_BROKER_URL ({redact_url(url)}): {detail}"
        ) from None


def run_cli(argv: list[str]) -> None:
    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    except OperationalError as exc:
        sys.stderr.write(database_error_line(exc) + "\n")
        sys.exit(2)
