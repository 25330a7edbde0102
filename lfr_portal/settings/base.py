"""Settings shared by every environment. Everything that differs is read from the environment."""

from datetime import timedelta

from .env import (
    BASE_DIR,
    VAR_DIR,
    database_from_env,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
)

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-local-only-key-do-not-use-in-production")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "guardian",
    "lfr_portal",
    "matcher",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lfr_portal.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "lfr_portal.urls"
WSGI_APPLICATION = "lfr_portal.wsgi.application"
ASGI_APPLICATION = "lfr_portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lfr_portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {"default": database_from_env(f"sqlite:///{VAR_DIR / 'lfr_portal.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# Guardian keeps no anonymous user row: the public never holds object permissions.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("LFR_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media"), "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded reference images and evidence photos stay outside the web root; a
# permission-checking view serves them.
MEDIA_ROOT = VAR_DIR / "media"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lfr_portal.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LFR Portal API",
    "DESCRIPTION": "Governance of live facial recognition deployments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Celery -----------------------------------------------------------------
# The embedded default is kombu's filesystem transport: a real worker process
# reads it, and no server is needed. CELERY_BROKER_URL switches to Redis.
_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", f"file://{VAR_DIR / 'celery-results'}")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(_BROKER_DIR / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_RESULT_BACKEND.startswith("file://"):
    (VAR_DIR / "celery-results").mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 330)

# --- Governance settings (defaults from shared GOVERNANCE.md) ----------------
# Ranks in ascending order; an authorising officer must hold LFR_AO_MIN_RANK or above.
LFR_RANKS = [
    "constable",
    "sergeant",
    "inspector",
    "chief_inspector",
    "superintendent",
    "chief_superintendent",
    "assistant_chief_constable",
    "deputy_chief_constable",
    "chief_constable",
]
LFR_AO_MIN_RANK = env_str("LFR_AO_MIN_RANK", "superintendent")
LFR_MAX_AUTHORISATION = timedelta(hours=env_int("LFR_MAX_AUTHORISATION_HOURS", 24))
LFR_WATCHLIST_FINALISE_MAX_AGE = timedelta(
    hours=env_int("LFR_WATCHLIST_FINALISE_MAX_AGE_HOURS", 24)
)
LFR_WATCHLIST_MAX_SIZE = env_int("LFR_WATCHLIST_MAX_SIZE", 10_000)
LFR_ALERT_RETENTION = timedelta(days=env_int("LFR_ALERT_RETENTION_DAYS", 31))
LFR_WATCHLIST_DESTROY_AFTER = timedelta(hours=env_int("LFR_WATCHLIST_DESTROY_AFTER_HOURS", 24))
LFR_SIGNAGE_PHOTO_RETENTION = timedelta(days=env_int("LFR_SIGNAGE_PHOTO_RETENTION_DAYS", 365))
LFR_RETENTION_BATCH_SIZE = env_int("LFR_RETENTION_BATCH_SIZE", 200)
LFR_EU_AI_ACT_MODE = env_bool("LFR_EU_AI_ACT_MODE", False)
LFR_EU_URGENT_AUTHORISATION_WINDOW = timedelta(hours=24)
LFR_FALSE_ALERT_CEILING = env_float("LFR_FALSE_ALERT_CEILING", 1 / 1000)
LFR_DEFAULT_ENGINE = env_str("LFR_DEFAULT_ENGINE", "opencv-sface")
LFR_INSIGHTFACE_MODEL_DIR = env_str("LFR_INSIGHTFACE_MODEL_DIR")
LFR_MAP_TILE_URL = env_str("LFR_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
LFR_MAP_TILE_ATTRIBUTION = env_str("LFR_MAP_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors")

# --- Cache ----------------------------------------------------------------------
# The public transparency pages are cached so a busy day does not reach the database on
# every request. Per-process memory by default; Redis shares one cache across processes.
LFR_CACHE_URL = env_str("LFR_CACHE_URL")
if LFR_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": LFR_CACHE_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "lfr-portal",
        }
    }
LFR_TRANSPARENCY_CACHE_SECONDS = env_int("LFR_TRANSPARENCY_CACHE_SECONDS", 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LFR_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Audit trail --------------------------------------------------------------
# Ed25519 key that signs checkpoints of the audit chain. Outside production a key is
# made under var/ on first use; production must be given one (and keeps it safe).
LFR_AUDIT_SIGNING_KEY_FILE = env_str(
    "LFR_AUDIT_SIGNING_KEY_FILE", str(VAR_DIR / "audit-signing-key.pem")
)
LFR_AUDIT_SIGNING_KEY_AUTOCREATE = True
LFR_AUDIT_RETENTION = timedelta(days=env_int("LFR_AUDIT_RETENTION_DAYS", 6 * 365 + 2))
LFR_AUDIT_CHECKPOINT_MINUTES = env_int("LFR_AUDIT_CHECKPOINT_MINUTES", 60)

# --- Recognition ----------------------------------------------------------------
# One person re-found on the same camera within this time raises no second alert.
LFR_ALERT_COOLDOWN_SECONDS = env_int("LFR_ALERT_COOLDOWN_SECONDS", 60)
# Frames per committed chunk, and how long one task runs before handing on to the next.
LFR_RECOGNITION_CHUNK_FRAMES = env_int("LFR_RECOGNITION_CHUNK_FRAMES", 25)
LFR_RECOGNITION_TASK_SECONDS = env_int("LFR_RECOGNITION_TASK_SECONDS", 60)
# A camera job whose heartbeat is older than this is presumed dead and restarted.
LFR_RECOGNITION_STALE_SECONDS = env_int("LFR_RECOGNITION_STALE_SECONDS", 30)
