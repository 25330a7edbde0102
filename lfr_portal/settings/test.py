"""The test suite: always PostgreSQL and Redis, never a silent fall-back to SQLite."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import database_from_env, env_str

DATABASES = {
    "default": database_from_env("postgresql://postgres@127.0.0.1:5432/lfr_portal"),
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL for the tests; they do not run on SQLite."
    )
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/15")
if not CELERY_BROKER_URL.startswith("redis://"):
    raise ImproperlyConfigured("CELERY_BROKER_URL must point at Redis for the tests.")
CELERY_BROKER_TRANSPORT_OPTIONS = {}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# Serve static files from the apps without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
