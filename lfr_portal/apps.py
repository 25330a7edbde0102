from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LfrPortalConfig(AppConfig):
    name = "lfr_portal"
    verbose_name = "LFR Portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: these modules need the app registry to be ready.
        from . import (
            axes_handler,  # noqa: F401  (records lockouts on the audit trail)
            checks,  # noqa: F401  (registers the system checks)
        )
        from .services.accuracy import calibration_baseline_after_migrate

        post_migrate.connect(
            calibration_baseline_after_migrate,
            sender=self,
            dispatch_uid="lfr_portal.calibration_baseline",
        )
