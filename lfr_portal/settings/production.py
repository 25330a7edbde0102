"""Production: PostgreSQL, Redis, HTTPS. Every secret comes from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_list, env_str

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY", required=True)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the host names the portal serves.")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":  # noqa: F405
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production.")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", required=True)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_BROKER_TRANSPORT_OPTIONS = {}

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
LFR_AUDIT_SIGNING_KEY_FILE = env_str("LFR_AUDIT_SIGNING_KEY_FILE", required=True)
LFR_AUDIT_SIGNING_KEY_AUTOCREATE = False
# Camera URLs are encrypted with this key; losing it loses them, so it is never made here.
LFR_FIELD_ENCRYPTION_KEY = env_str("LFR_FIELD_ENCRYPTION_KEY", required=True)
LFR_FIELD_ENCRYPTION_KEY_AUTOCREATE = False
