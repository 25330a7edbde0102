"""Answers for requests that fail for reasons outside the rules: a service that is down."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

DATABASE_UNAVAILABLE = (
    "The portal cannot reach its database at the moment. It reconnects by itself when the "
    "database is back."
)
RETRY_AFTER_SECONDS = 30


def server_error(request):
    """handler500: a lost database answers 503 "temporarily unavailable", anything else 500.

    Django calls this while it handles the exception, so sys.exc_info() names it; the
    error may be raised in a middleware (a session read) as well as in a view, and this
    is the one place that sees both.
    """
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return service_unavailable(request, DATABASE_UNAVAILABLE)
    return defaults.server_error(request)


def service_unavailable(request, detail):
    if _wants_json(request):
        response = JsonResponse({"detail": detail}, status=503)
    else:
        # Rendered without the request: its context processors would read the database.
        response = HttpResponse(render_to_string("503.html", {"detail": detail}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _wants_json(request):
    path = request.path
    return (
        path.startswith("/api/")
        or path.endswith(".json")
        or "application/json" in request.headers.get("Accept", "")
    )
