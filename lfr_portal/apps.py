from django.apps import AppConfig


class LfrPortalConfig(AppConfig):
    name = "lfr_portal"
    verbose_name = "LFR Portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import (
            axes_handler,  # noqa: F401  (records lockouts on the audit trail)
            checks,  # noqa: F401  (registers the system checks)
        )
