"""Check that the database and the broker named in the settings can be reached."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.utils import OperationalError

from lfr_portal.celery import app
from lfr_portal.settings.env import redact_url
from lfr_portal.startup import check_broker


class Command(BaseCommand):
    help = "Check that DATABASE_URL and CELERY_BROKER_URL point at reachable services."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            connection.ensure_connection()
        except OperationalError:
            raise  # manage.py turns this into one line naming DATABASE_URL
        check_broker(app)
        self.stdout.write(
            f"database: {connection.vendor} ok; broker: {redact_url(settings.CELERY_BROKER_URL)} ok"
        )
