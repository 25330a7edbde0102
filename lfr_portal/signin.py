"""Middleware for signed-in sessions: the second factor, and expiry after inactivity."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .selectors.accounts import second_factor_required, totp_device_for

SECOND_FACTOR_MESSAGE = (
    "Your role needs a one-time password: verify it at /accounts/otp/verify/ before using "
    "this. API tokens are for service accounts."
)


def _wants_json(request):
    accept = request.headers.get("Accept", "")
    return (
        request.path_info.startswith("/api/")
        or request.path_info.endswith(".json")
        or ("application/json" in accept and "text/html" not in accept)
    )


class SecondFactorMiddleware:
    """Holds a session user whose role needs a one-time password at the enrolment or
    verification page until they have given one. Runs after django-otp's OTPMiddleware.

    It sees session sign-ins only (pages and the session-authenticated API); DRF's token
    authentication runs later, in the view, and refuses these roles' tokens itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            second_factor_required(user)
            and not user.is_verified()
            and not self._exempt(request.path_info)
        ):
            return self._hold(request)
        return self.get_response(request)

    @staticmethod
    def _exempt(path):
        open_paths = {reverse("otp-enrol"), reverse("otp-verify"), reverse("logout")}
        return path in open_paths or path.startswith("/" + settings.STATIC_URL.lstrip("/"))

    @staticmethod
    def _hold(request):
        if _wants_json(request):
            return JsonResponse(
                {"detail": SECOND_FACTOR_MESSAGE, "rule": "second_factor_required"}, status=403
            )
        target = "otp-verify" if totp_device_for(request.user) else "otp-enrol"
        url = reverse(target)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)


# Renewing the session at most once a minute keeps polling pages from writing the
# session row on every request; expiry then lags activity by under a minute.
ACTIVITY_KEY = "lfr_last_activity"
RENEW_AFTER_SECONDS = 60


class IdleSessionMiddleware:
    """A signed-in session lasts LFR_SESSION_IDLE_MINUTES (SESSION_COOKIE_AGE) after the
    last request; saving it renews the expiry in the session store and the cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            now = int(time.time())
            if now - session.get(ACTIVITY_KEY, 0) >= RENEW_AFTER_SECONDS:
                session[ACTIVITY_KEY] = now
        return self.get_response(request)
