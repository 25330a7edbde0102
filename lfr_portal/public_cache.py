"""The cache in front of every public, login-free answer (transparency pages and open data)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.cache import cache_page

View = Callable[..., HttpResponseBase]


def public_cache(view: View) -> View:
    """Cache the whole answer, per URL, for LFR_TRANSPARENCY_CACHE_SECONDS.

    The timeout is read on each request, so a settings change (or a test's override)
    applies without re-importing the module.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        cached = cache_page(settings.LFR_TRANSPARENCY_CACHE_SECONDS, key_prefix="transparency")
        return cached(view)(request, *args, **kwargs)

    return wrapped
