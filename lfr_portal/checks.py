"""System checks that catch a misconfigured installation before it serves anyone."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def audit_signing_key(app_configs, **kwargs):
    path = Path(settings.LFR_AUDIT_SIGNING_KEY_FILE)
    if settings.LFR_AUDIT_SIGNING_KEY_AUTOCREATE:
        return []
    if not path.is_file():
        return [
            Error(
                f"LFR_AUDIT_SIGNING_KEY_FILE names {path}, which does not exist.",
                hint="Create an Ed25519 key: openssl genpkey -algorithm ed25519 -out KEY.pem",
                id="lfr_portal.E001",
            )
        ]
    try:
        from .services.audit import signing_key

        signing_key()
    except Exception as exc:  # any unreadable key is the same misconfiguration
        return [Error(f"LFR_AUDIT_SIGNING_KEY_FILE cannot be used: {exc}", id="lfr_portal.E002")]
    return []
