"""Maps domain errors to HTTP answers; DRF's own errors pass through unchanged."""

from django.core.exceptions import ObjectDoesNotExist
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..errors import GovernanceError


def exception_handler(exc, context):
    if isinstance(exc, GovernanceError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, ObjectDoesNotExist):
        return Response({"detail": "Not found."}, status=404)
    return drf_exception_handler(exc, context)
