"""The test suite: always PostgreSQL and Redis, never a silent fall-back to SQLite."""

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import VAR_DIR, database_from_env, env_bool, env_list, env_str

_given_database = database_from_env("postgresql://postgres@127.0.0.1:5432/lfr_portal")
if _given_database["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL for the tests; they do not run on SQLite."
    )
# DATABASE_URL names the cluster's superuser. The suite runs as production does: the
# test database is created and migrated by the owner role and the tests connect as
# the application role (tests/db_roles.py creates both roles if they are missing).
LFR_DB_SUPERUSER = _given_database["USER"] or "postgres"
LFR_DB_OWNER_ROLE = env_str("LFR_DB_OWNER_ROLE", "lfr_owner")
LFR_DB_APP_ROLE = env_str("LFR_DB_APP_ROLE", "lfr_app")
LFR_TEST_DB_ROLES = env_bool("LFR_TEST_DB_ROLES", True)
DATABASES = {
    "default": (
        {**_given_database, "USER": LFR_DB_APP_ROLE} if LFR_TEST_DB_ROLES else _given_database
    ),
}


def _own_redis_databases(*names: str) -> None:
    """pytest-xdist runs the suite in several processes at once. Each takes its own Redis
    databases, two below the previous process's (gw1 takes 12 and 13 where gw0 has 14 and
    15), so none empties another's databases or takes its tasks. The moved URLs go into the
    environment, marked as done, so the worker and web processes a test starts use them
    as they are instead of moving them again."""
    process = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not process or os.environ.get("LFR_TEST_REDIS_PROCESS") == process:
        return
    shift = 2 * int(process.removeprefix("gw") or 0)
    for name in names:
        parts = urlsplit(globals()[name])
        database = int(parts.path.lstrip("/") or 0) - shift
        if database < 0:
            raise ImproperlyConfigured(f"{name}: no Redis database free for test {process}.")
        os.environ[name] = globals()[name] = urlunsplit(parts._replace(path=f"/{database}"))
    os.environ["LFR_TEST_REDIS_PROCESS"] = process


CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/15")
if not CELERY_BROKER_URL.startswith("redis://"):
    raise ImproperlyConfigured("CELERY_BROKER_URL must point at Redis for the tests.")
_own_redis_databases("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
CELERY_BROKER_TRANSPORT_OPTIONS = {}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Most tests sign in with force_login, which gives no second factor, and the test
# client's login() passes no request, which axes refuses. The account tests switch
# both back on with the `settings` fixture.
LFR_OTP_REQUIRED = False
AXES_ENABLED = False
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# Serve static files from the apps without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# Test cameras are files under pytest's temporary folders or var/, MJPEG servers on
# loopback, and addresses in 10.0.0.0/8 that stand for a force's camera network.
LFR_CAMERA_NETWORKS = env_list("LFR_CAMERA_NETWORKS", ["127.0.0.0/8", "::1/128", "10.0.0.0/8"])
LFR_CAMERA_FILE_ROOTS = env_list("LFR_CAMERA_FILE_ROOTS", [str(VAR_DIR), tempfile.gettempdir()])
LFR_CAMERA_ALLOW_LOOPBACK = True
# Factory cameras are fictitious .invalid hosts: probing them would make every start
# need an advisory reason. The tests of the advisory switch it back on.
LFR_GO_LIVE_PROBE_CAMERAS = env_bool("LFR_GO_LIVE_PROBE_CAMERAS", False)
# One fixed key, so test processes with their own LFR_VAR_DIR (workers) read the same rows.
LFR_FIELD_ENCRYPTION_KEY = env_str(
    "LFR_FIELD_ENCRYPTION_KEY", "dGVzdC1vbmx5LWZpZWxkLWtleS1ub3QtYS1zZWNyZXQ="
)
