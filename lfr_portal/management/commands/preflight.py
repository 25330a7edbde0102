"""Check that the database and the broker named in the settings can be reached."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.utils import OperationalError

from lfr_portal.settings.env import redact_url


def check_broker(timeout=5):
    """Raise CommandError naming CELERY_BROKER_URL when the broker cannot be reached."""
    from lfr_portal.celery import app

    url = settings.CELERY_BROKER_URL
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # kombu raises transport-specific errors
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CommandError(
            f"cannot reach the Celery broker set by CELERY_BROKER_URL ({redact_url(url)}): {detail}"
        ) from None


class Command(BaseCommand):
    help = "Check that DATABASE_URL and CELERY_BROKER_URL point at reachable services."

    def handle(self, *args, **options):
        try:
            connection.ensure_connection()
        except OperationalError:
            raise  # manage.py turns this into one line naming DATABASE_URL
        check_broker()
        self.stdout.write(
            f"database: {connection.vendor} ok; broker: {redact_url(settings.CELERY_BROKER_URL)} ok"
        )
