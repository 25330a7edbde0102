"""System checks that catch a misconfigured installation before it serves anyone."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from .camera_sources import camera_networks
from .encryption import field_cipher
from .services.audit import signing_key


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
        signing_key()
    except Exception as exc:  # any unreadable key is the same misconfiguration
        return [Error(f"LFR_AUDIT_SIGNING_KEY_FILE cannot be used: {exc}", id="lfr_portal.E002")]
    return []


@register(Tags.security, deploy=True)
def field_encryption_key(app_configs, **kwargs):
    if settings.LFR_FIELD_ENCRYPTION_KEY_AUTOCREATE:
        return []
    try:
        field_cipher()
    except Exception as exc:  # a missing and a malformed key are the same misconfiguration
        return [Error(f"Camera URLs cannot be encrypted: {exc}", id="lfr_portal.E021")]
    return []


@register(Tags.security)
def camera_source_rules(app_configs, **kwargs):
    try:
        camera_networks()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="lfr_portal.E022")]
    return []


# A bearer token short enough to guess would open the metrics to anyone who tries.
MIN_SCRAPE_TOKEN_LENGTH = 32


@register(Tags.security)
def metrics_scrape_token(app_configs, **kwargs):
    token = settings.LFR_METRICS_SCRAPE_TOKEN
    if token and len(token) < MIN_SCRAPE_TOKEN_LENGTH:
        return [
            Error(
                f"LFR_METRICS_SCRAPE_TOKEN is {len(token)} characters; it must be at least "
                f"{MIN_SCRAPE_TOKEN_LENGTH}.",
                hint="python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                id="lfr_portal.E032",
            )
        ]
    return []


# Art. 26(6) EU AI Act: a deployer keeps the automatically generated logs at least six
# months; 183 days covers any six months.
EU_MIN_LOG_RETENTION_DAYS = 183


@register()
def eu_log_retention(app_configs, **kwargs):
    if not settings.LFR_EU_AI_ACT_MODE:
        return []
    days = settings.LFR_EU_LOG_RETENTION_DAYS
    errors = []
    if days < EU_MIN_LOG_RETENTION_DAYS:
        errors.append(
            Error(
                f"LFR_EU_LOG_RETENTION_DAYS is {days}; in EU AI Act mode the logs are kept at "
                f"least {EU_MIN_LOG_RETENTION_DAYS} days (six months, Art. 26(6)).",
                id="lfr_portal.E040",
            )
        )
    if settings.LFR_AUDIT_RETENTION.days < max(days, EU_MIN_LOG_RETENTION_DAYS):
        # The database prunes the audit log by LFR_AUDIT_RETENTION_DAYS on its own.
        errors.append(
            Error(
                f"LFR_AUDIT_RETENTION_DAYS is {settings.LFR_AUDIT_RETENTION.days}, shorter than "
                "the EU AI Act log retention; the audit trail is such a log.",
                hint="Raise LFR_AUDIT_RETENTION_DAYS and run manage.py audit_db_roles.",
                id="lfr_portal.E041",
            )
        )
    return errors


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


@register(Tags.security, deploy=True)
def separate_owner_role(app_configs, **kwargs):
    """On PostgreSQL the portal connects as one role and migrates as another, its owner."""
    default = settings.DATABASES["default"]
    if default["ENGINE"] != "django.db.backends.postgresql":
        return []
    hint = (
        "Set DATABASE_URL to the application role and DATABASE_OWNER_URL to the owner role; "
        "`manage.py audit_db_roles --create-roles` makes both (README: The two roles)."
    )
    owner = settings.DATABASES.get("owner")
    if owner is None:
        return [
            Error(
                "DATABASE_OWNER_URL is not set, so the portal's own role owns the tables and "
                "could switch off the audit log's protections.",
                hint=hint,
                id="lfr_portal.E031",
            )
        ]
    if owner["USER"] == default["USER"]:
        return [
            Error(
                "DATABASE_URL and DATABASE_OWNER_URL name the same role.",
                hint=hint,
                id="lfr_portal.E031",
            )
        ]
    return []


@register(Tags.database, deploy=True)
def application_role_cannot_rewrite_the_audit_log(app_configs, databases=None, **kwargs):
    """The connected role may only SELECT and INSERT on the audit tables (PostgreSQL)."""
    if not databases or "default" not in databases:
        return []
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return []
    tables = ("lfr_portal_auditevent", "lfr_portal_auditcheckpoint")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t, p FROM unnest(%s::text[]) AS t, unnest(%s::text[]) AS p "
            "WHERE has_table_privilege(current_user, t, p)",
            [list(tables), ["UPDATE", "DELETE", "TRUNCATE"]],
        )
        allowed = cursor.fetchall()
    if not allowed:
        return []
    held = ", ".join(f"{privilege} on {table}" for table, privilege in allowed)
    return [
        Error(
            f"The application's database role may change the audit log ({held}).",
            hint="Connect as the application role (DATABASE_URL) and migrate as the owner "
            "(DATABASE_OWNER_URL); `manage.py audit_db_roles` sets the grants.",
            id="lfr_portal.E030",
        )
    ]
