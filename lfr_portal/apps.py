from django.apps import AppConfig


class LfrPortalConfig(AppConfig):
    name = "lfr_portal"
    verbose_name = "LFR Portal"
    default_auto_field = "django.db.models.BigAutoField"
