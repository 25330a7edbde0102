"""Reading configuration from the environment, with errors that name the setting."""

import json
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("LFR_VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=None, *, required=False):
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(f"{name} must be set in the environment.")
        return default
    return value


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_float(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.") from None


def env_list(name, default=()):
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def face_sets_extra():
    """Folders of extra labelled face sets, from LFR_FACE_SETS_EXTRA (comma-separated).

    Unset: ../shared/faces when that folder exists, else none. Set but empty: none, which
    is how a fresh clone sees it. The bundled set (matcher/sample_faces) is always there.
    """
    shared = BASE_DIR.parent / "shared" / "faces"
    return [
        Path(item) for item in env_list("LFR_FACE_SETS_EXTRA", [shared] if shared.is_dir() else [])
    ]


def redact_url(url):
    """The URL with any password replaced, safe for error messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable>"
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


SUPPORTED_DATABASE_ENGINES = {
    "django.db.backends.postgresql",
    "django.db.backends.sqlite3",
}


def database_from_env(default_url, name="DATABASE_URL"):
    url = env_str(name, default_url)
    try:
        # With persistent connections, one that a database restart broke is replaced at
        # the start of the next request rather than failing it.
        config = dj_database_url.parse(
            url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0), conn_health_checks=True
        )
    except Exception:  # dj-database-url raises several types for bad input
        raise ImproperlyConfigured(
            f"{name} is not a usable database URL ({redact_url(url)}); "
            "use postgresql://USER@HOST:PORT/NAME or sqlite:///PATH."
        ) from None
    if config.get("ENGINE") not in SUPPORTED_DATABASE_ENGINES:
        raise ImproperlyConfigured(
            f"{name} must point at PostgreSQL (postgresql://...) or SQLite "
            f"(sqlite:///...), not {redact_url(url)}."
        )
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Fail fast instead of hanging when the server is unreachable.
        config.setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
    else:
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # SQLite is only the embedded default; a longer busy timeout lets web, worker and
        # beat share it without "database is locked" errors.
        config.setdefault("OPTIONS", {})["timeout"] = 20
    return config


def env_json(name, default=None):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return json.loads(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be JSON, not {value!r}.") from None
