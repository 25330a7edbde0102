"""Engine configuration: the Django setting when settings are configured, else the
environment, since engines also run from plain scripts and benchmarks."""

from __future__ import annotations

import os

from django.conf import settings


def setting(name: str) -> str | None:
    """The value of the setting called name, as text, or None when it is not set."""
    if settings.configured:
        value = getattr(settings, name, None)
        return None if value is None or value == "" else str(value)
    return os.environ.get(name) or None
