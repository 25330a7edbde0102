"""System checks that catch a misconfigured installation before it serves anyone."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


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


@register(Tags.security, deploy=True)
def field_encryption_key(app_configs, **kwargs):
    from .encryption import field_cipher

    if settings.LFR_FIELD_ENCRYPTION_KEY_AUTOCREATE:
        return []
    try:
        field_cipher()
    except Exception as exc:  # a missing and a malformed key are the same misconfiguration
        return [Error(f"Camera URLs cannot be encrypted: {exc}", id="lfr_portal.E021")]
    return []


@register(Tags.security)
def camera_source_rules(app_configs, **kwargs):
    from django.core.exceptions import ImproperlyConfigured

    from .camera_sources import camera_networks

    try:
        camera_networks()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="lfr_portal.E022")]
    return []


@register(Tags.security, deploy=True)
def camera_sources_in_production(app_configs, **kwargs):
    warnings = []
    if not settings.LFR_CAMERA_NETWORKS and not settings.LFR_CAMERA_FILE_ROOTS:
        warnings.append(
            Warning(
                "No camera can be registered: LFR_CAMERA_NETWORKS and LFR_CAMERA_FILE_ROOTS "
                "are both empty.",
                hint="Set LFR_CAMERA_NETWORKS to the camera networks, e.g. 10.20.0.0/16.",
                id="lfr_portal.W021",
            )
        )
    if settings.LFR_CAMERA_ALLOW_LOOPBACK:
        warnings.append(
            Warning(
                "LFR_CAMERA_ALLOW_LOOPBACK lets a camera URL point at the portal's own machine.",
                id="lfr_portal.W022",
            )
        )
    return warnings
