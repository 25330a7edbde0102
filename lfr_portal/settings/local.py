"""Running on one machine with the embedded defaults (SQLite, filesystem broker)."""

from .base import *  # noqa: F403
from .env import VAR_DIR, env_bool, env_list

DEBUG = env_bool("DJANGO_DEBUG", True)
# The demo users share a published password; LFR_OTP_REQUIRED=true tries the
# one-time password enrolment on them.
LFR_OTP_REQUIRED = env_bool("LFR_OTP_REQUIRED", False)
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# Serve static files from the apps without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# The demo's cameras: video files under var/, and streams served on this machine.
LFR_CAMERA_NETWORKS = env_list("LFR_CAMERA_NETWORKS", ["127.0.0.0/8", "::1/128"])
LFR_CAMERA_FILE_ROOTS = env_list("LFR_CAMERA_FILE_ROOTS", [str(VAR_DIR)])
LFR_CAMERA_ALLOW_LOOPBACK = env_bool("LFR_CAMERA_ALLOW_LOOPBACK", True)
