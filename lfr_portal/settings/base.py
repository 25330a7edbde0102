"""Settings shared by every environment. Everything that differs is read from the environment."""

from datetime import timedelta
from urllib.parse import urlsplit

from csp.constants import NONE, SELF

from .env import (
    BASE_DIR,
    VAR_DIR,
    database_from_env,
    env_bool,
    env_float,
    env_int,
    env_json,
    env_list,
    env_str,
    face_sets_extra,
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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "mozilla_django_oidc",
    "lfr_portal",
    "matcher",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "lfr_portal.signin.IdleSessionMiddleware",
    "lfr_portal.signin.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "lfr_portal.http_headers.PermissionsPolicyMiddleware",
    "lfr_portal.middleware.RequestContextMiddleware",
    # Last, as django-axes asks: turns a refused log-in into the lockout page.
    "axes.middleware.AxesMiddleware",
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
# Least privilege on PostgreSQL: the application connects with DATABASE_URL as a role
# that may only read and append to the audit log; migrations run as the owner role of
# DATABASE_OWNER_URL (`manage.py migrate` picks it), which grants the rest. Without an
# owner URL one role does everything, as on a developer's machine or on SQLite.
if env_str("DATABASE_OWNER_URL"):
    DATABASES["owner"] = database_from_env(None, name="DATABASE_OWNER_URL")
LFR_DB_APP_ROLE = DATABASES["default"].get("USER") if "owner" in DATABASES else None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out account is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
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
        "lfr_portal.api.authentication.ServiceTokenAuthentication",
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
# Beat verifies the whole audit log end to end this often and records the outcome in it.
LFR_AUDIT_VERIFY_HOURS = env_int("LFR_AUDIT_VERIFY_HOURS", 6)
LFR_EU_AI_ACT_MODE = env_bool("LFR_EU_AI_ACT_MODE", False)
# In urgency an EU deployment may start first; without the authority's decision this long
# after it went live it stops by itself and everything it produced is deleted.
LFR_EU_URGENT_AUTHORISATION_WINDOW = timedelta(
    hours=env_int("LFR_EU_URGENT_AUTHORISATION_HOURS", 24)
)
# EU mode keeps the system's automatically generated logs (the audit trail and camera
# logs) at least this long; Art. 26(6) AI Act asks for at least six months.
LFR_EU_LOG_RETENTION_DAYS = env_int("LFR_EU_LOG_RETENTION_DAYS", 183)
# EU mode: suspect localisation only for offences punishable by at least this many years.
LFR_EU_ANNEX_II_MIN_YEARS = env_int("LFR_EU_ANNEX_II_MIN_YEARS", 4)
LFR_FALSE_ALERT_CEILING = env_float("LFR_FALSE_ALERT_CEILING", 1 / 1000)
# A threshold's calibration older than this needs an override reason at approval.
LFR_CALIBRATION_MAX_AGE_DAYS = env_int("LFR_CALIBRATION_MAX_AGE_DAYS", 365)
# An alert still unadjudicated after this is flagged to the operator and counted as such.
LFR_ADJUDICATION_DUE_MINUTES = env_int("LFR_ADJUDICATION_DUE_MINUTES", 10)
LFR_DEFAULT_ENGINE = env_str("LFR_DEFAULT_ENGINE", "opencv-sface")
LFR_INSIGHTFACE_MODEL_DIR = env_str("LFR_INSIGHTFACE_MODEL_DIR")
# OpenCV's threads per worker process; 1 keeps several camera slots from fighting over cores.
LFR_OPENCV_THREADS = env_int("LFR_OPENCV_THREADS", 1)
# Labelled face sets beside the bundled one (matcher/face_sets.py); "" switches them off.
LFR_FACE_SETS_EXTRA = face_sets_extra()
LFR_MAP_TILE_URL = env_str("LFR_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
LFR_MAP_TILE_ATTRIBUTION = env_str("LFR_MAP_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors")

# --- After the alert: engagement, holds, events out (issue 18) ------------------------
# Holders of an evidence hold are reminded this many days before its review date.
LFR_HOLD_REMINDER_DAYS = env_int("LFR_HOLD_REMINDER_DAYS", 14)
# On public outputs a category counting fewer people than this is shown as "fewer than N".
LFR_PUBLIC_SUPPRESS_BELOW = env_int("LFR_PUBLIC_SUPPRESS_BELOW", 3)
# Webhooks carry ids, times, categories and camera; images only when this is set.
LFR_WEBHOOK_INCLUDE_IMAGES = env_bool("LFR_WEBHOOK_INCLUDE_IMAGES", False)
LFR_WEBHOOK_TIMEOUT_SECONDS = env_int("LFR_WEBHOOK_TIMEOUT_SECONDS", 5)
LFR_WEBHOOK_MAX_ATTEMPTS = env_int("LFR_WEBHOOK_MAX_ATTEMPTS", 8)
# Delivered or abandoned events are deleted this long after they were made (retention).
LFR_WEBHOOK_DELIVERY_RETENTION = timedelta(days=env_int("LFR_WEBHOOK_DELIVERY_RETENTION_DAYS", 31))
# A receiver refuses a delivery whose signed timestamp is older than this (replays).
LFR_WEBHOOK_TOLERANCE_SECONDS = env_int("LFR_WEBHOOK_TOLERANCE_SECONDS", 300)

# --- The legality case, policies and review (issue 19) ---------------------------------
# A "suspected of an offence" entry needs an offence carrying at least this many years'
# maximum custodial sentence (2: offences triable either way and above).
LFR_SUSPECT_OFFENCE_MIN_YEARS = env_int("LFR_SUSPECT_OFFENCE_MIN_YEARS", 2)
# Entries added longer ago than this, or whose image is older than this, are flagged.
LFR_ENTRY_MAX_AGE_DAYS = env_int("LFR_ENTRY_MAX_AGE_DAYS", 28)
LFR_ENTRY_IMAGE_MAX_AGE_DAYS = env_int("LFR_ENTRY_IMAGE_MAX_AGE_DAYS", 3 * 365)
# A post-deployment review is overdue this many days after the deployment ends.
LFR_REVIEW_DUE_DAYS = env_int("LFR_REVIEW_DUE_DAYS", 28)
# The annual report's year starts in this month: 1 a calendar year, 4 a financial year
# (April to March, labelled e.g. 2025-26); oversight quarters count from the same month.
LFR_REPORT_YEAR_START_MONTH = env_int("LFR_REPORT_YEAR_START_MONTH", 1)

# --- Cache ----------------------------------------------------------------------
# The public transparency pages are cached so a busy day does not reach the database on
# every request. Per-process memory by default; Redis shares one cache across processes.
# While Redis is down the cache is skipped (lfr_portal/cache.py), and a Redis that stops
# answering costs a request at most a second per call, not a hang.
LFR_CACHE_URL = env_str("LFR_CACHE_URL")
if LFR_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "lfr_portal.cache.FailSoftRedisCache",
            "LOCATION": LFR_CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
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
# Signed tree heads: beat issues one every minute (when the log grew, or hourly to show
# it is alive), and the writer issues one every this many rows.
LFR_AUDIT_TREE_HEAD_EVERY_ROWS = env_int("LFR_AUDIT_TREE_HEAD_EVERY_ROWS", 1000)

# --- Recognition ----------------------------------------------------------------
# A matched person found again on the same camera within this many seconds of source
# time after they were last seen is the same pass and raises no second alert; later,
# a new pass raises a new one. While they stay in view their track keeps them known.
LFR_ALERT_COOLDOWN_SECONDS = env_int("LFR_ALERT_COOLDOWN_SECONDS", 3)
# How each camera is analysed (matcher.live.AnalysisSettings holds the defaults, chosen
# with benchmarks/live_bench.py; 0 or unset keeps them): the narrowest face to find in
# camera pixels (a camera's own min_face_px overrides), frames analysed per second of
# source time, and a full search for new faces on every k-th analysed frame.
LFR_MIN_FACE_PX = env_int("LFR_MIN_FACE_PX", 0)
LFR_ANALYSIS_FPS = env_float("LFR_ANALYSIS_FPS", 0.0)
LFR_DETECT_EVERY = env_int("LFR_DETECT_EVERY", 0)
# Frames per committed chunk, and how long one task runs before handing on to the next.
LFR_RECOGNITION_CHUNK_FRAMES = env_int("LFR_RECOGNITION_CHUNK_FRAMES", 25)
LFR_RECOGNITION_TASK_SECONDS = env_int("LFR_RECOGNITION_TASK_SECONDS", 60)
# A camera job whose heartbeat is older than this is presumed dead and restarted.
LFR_RECOGNITION_STALE_SECONDS = env_int("LFR_RECOGNITION_STALE_SECONDS", 30)
# A running camera job renews its heartbeat at least this often; a camera whose heartbeat
# is older than the lapse is shown as not responding at once, before the watchdog acts.
LFR_CAMERA_HEARTBEAT_SECONDS = env_int("LFR_CAMERA_HEARTBEAT_SECONDS", 2)
LFR_CAMERA_HEARTBEAT_LAPSE_SECONDS = env_int("LFR_CAMERA_HEARTBEAT_LAPSE_SECONDS", 8)
# Reference photographs an entry may hold in all, its own image counted; the matcher takes
# the best score over them, so more angles help but each is another image to hold.
LFR_MAX_REFERENCES_PER_ENTRY = env_int("LFR_MAX_REFERENCES_PER_ENTRY", 5)

# --- Metrics (lfr_portal/metrics.py) ---------------------------------------------------
# /metrics answers a signed-in staff member, or a scraper sending
# "Authorization: Bearer <LFR_METRICS_SCRAPE_TOKEN>" (a long random string; empty: staff
# only). Anyone else gets a 404, so the endpoint does not admit it exists.
LFR_METRICS_SCRAPE_TOKEN = env_str("LFR_METRICS_SCRAPE_TOKEN", "")
# The alert latency histogram covers alerts raised in this many minutes before the scrape.
LFR_METRICS_ALERT_WINDOW_MINUTES = env_int("LFR_METRICS_ALERT_WINDOW_MINUTES", 60)
# Each Celery worker process that runs tasks serves its task counts and runtimes on this
# port (0: off, the default); a prefork child adds its pool index, so four children take
# four ports in a row. A port already taken (several workers on a host) logs a warning
# and the worker runs on without metrics. Bound to loopback unless the address is set.
LFR_WORKER_METRICS_PORT = env_int("LFR_WORKER_METRICS_PORT", 0)
LFR_WORKER_METRICS_ADDR = env_str("LFR_WORKER_METRICS_ADDR", "127.0.0.1")

# --- Camera sources (lfr_portal/camera_sources.py) -------------------------------------
# A camera URL may name a stream only on these networks (a CIDR list) and a video file
# only under these folders; empty means none. The worker re-checks before it connects.
LFR_CAMERA_NETWORKS = env_list("LFR_CAMERA_NETWORKS")
LFR_CAMERA_FILE_ROOTS = env_list("LFR_CAMERA_FILE_ROOTS")
# The portal's own machine is never a camera in production, whatever the networks say.
LFR_CAMERA_ALLOW_LOOPBACK = env_bool("LFR_CAMERA_ALLOW_LOOPBACK", False)
# Before going live the portal checks each camera answers: an advisory, not a rule, so
# going ahead when one does not needs a recorded reason (services.deployments).
LFR_GO_LIVE_PROBE_CAMERAS = env_bool("LFR_GO_LIVE_PROBE_CAMERAS", True)
# Fernet key(s), comma-separated, that encrypt camera URLs at rest (the first encrypts).
# Outside production one is made in this file on first use.
LFR_FIELD_ENCRYPTION_KEY = env_str("LFR_FIELD_ENCRYPTION_KEY")
LFR_FIELD_ENCRYPTION_KEY_FILE = VAR_DIR / "field-encryption.key"
LFR_FIELD_ENCRYPTION_KEY_AUTOCREATE = True

# --- Uploaded images (lfr_portal/services/uploads.py) ---------------------------------
LFR_UPLOAD_MAX_BYTES = env_int("LFR_UPLOAD_MAX_MB", 10) * 1024 * 1024
# Width x height; a small file that unpacks to more is a decompression bomb.
LFR_UPLOAD_MAX_PIXELS = env_int("LFR_UPLOAD_MAX_PIXELS", 50_000_000)
# The largest policy document (PDF, ODT, DOCX or plain text) the library takes, in MB.
LFR_POLICY_MAX_UPLOAD_BYTES = env_int("LFR_POLICY_MAX_UPLOAD_MB", 20) * 1024 * 1024

# --- HTTP headers ---------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _tile_source(template):
    """The CSP source for the map tile server: {s}.tile.example.org -> *.tile.example.org."""
    parts = urlsplit(template)
    labels = parts.netloc.split(".")
    if labels and "{" in labels[0]:
        labels[0] = "*"
    host = ".".join(labels)
    return [f"{parts.scheme}://{host}"] if parts.scheme and host and "{" not in host else []


# No inline script or style anywhere: every page takes its JavaScript and CSS from files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, *_tile_source(LFR_MAP_TILE_URL)],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Accounts and sign-in -------------------------------------------------------
# Log-in lockout (django-axes): this many failures in a row for one username lock it
# for the cool-off, whatever address they come from. Lock and unlock are audited.
AXES_FAILURE_LIMIT = env_int("LFR_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LFR_LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes warns when the address is not a lockout key. Behind the force's proxy every client
# can share one REMOTE_ADDR, so locking by address would let one guesser lock everyone out.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# A fixed lock: attempts while locked are refused without extending it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "lfr_portal.axes_handler.AuditedAxesHandler"
AXES_LOCKOUT_CALLABLE = "lfr_portal.views.accounts.locked_out"
# lfr_portal.admin shows attempts read-only, with an audited unlock action.
AXES_ENABLE_ADMIN = False
# No start-up banner: commands such as preflight keep their errors to one line.
AXES_VERBOSE = False
# Same rule as the audit trail: X-Forwarded-For is client-controlled.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# One-time passwords (django-otp) for authorising officers, watchlist managers,
# compliance officers and superusers.
LFR_OTP_REQUIRED = env_bool("LFR_OTP_REQUIRED", True)
LFR_OTP_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = env_str("LFR_OTP_ISSUER", "LFR Portal")

# A signed-in session ends after this long without a request.
LFR_SESSION_IDLE_MINUTES = env_int("LFR_SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = LFR_SESSION_IDLE_MINUTES * 60

# Single sign-on over OpenID Connect (mozilla-django-oidc); off unless enabled.
LFR_OIDC_ENABLED = env_bool("LFR_OIDC_ENABLED", False)
LFR_OIDC_LABEL = env_str("LFR_OIDC_LABEL", "the force's single sign-on")
LFR_OIDC_USERNAME_CLAIM = env_str("LFR_OIDC_USERNAME_CLAIM", "preferred_username")
LFR_OIDC_GROUPS_CLAIM = env_str("LFR_OIDC_GROUPS_CLAIM", "groups")
LFR_OIDC_RANK_CLAIM = env_str("LFR_OIDC_RANK_CLAIM", "rank")
# {"provider group": "portal role", ...}; roles are the values of lfr_portal.models.Role.
LFR_OIDC_ROLE_MAP = env_json("LFR_OIDC_ROLE_MAP", {})
if LFR_OIDC_ENABLED:
    OIDC_RP_CLIENT_ID = env_str("LFR_OIDC_CLIENT_ID", required=True)
    OIDC_RP_CLIENT_SECRET = env_str("LFR_OIDC_CLIENT_SECRET", required=True)
    OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("LFR_OIDC_AUTHORIZATION_ENDPOINT", required=True)
    OIDC_OP_TOKEN_ENDPOINT = env_str("LFR_OIDC_TOKEN_ENDPOINT", required=True)
    OIDC_OP_USER_ENDPOINT = env_str("LFR_OIDC_USERINFO_ENDPOINT", required=True)
    OIDC_OP_JWKS_ENDPOINT = env_str("LFR_OIDC_JWKS_ENDPOINT", required=True)
    OIDC_RP_SIGN_ALGO = env_str("LFR_OIDC_SIGN_ALGO", "RS256")
    OIDC_RP_SCOPES = env_str("LFR_OIDC_SCOPES", "openid email profile groups")
    OIDC_USE_PKCE = True
    LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"
    AUTHENTICATION_BACKENDS.append("lfr_portal.oidc.PortalOIDCBackend")
