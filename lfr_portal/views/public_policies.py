"""The policy library as the public reads it: for each document, its current publishable
version and the change log of its publishable versions, each downloadable without login.
A version not marked publishable is neither listed nor served.

Rendered without the request's context (as every transparency page is), and not cached:
a version taken off the public page must drop off at once.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string

from ..selectors.policies import public_library, publishable_version
from .policies import _file_response


def transparency_policies(request: HttpRequest) -> HttpResponse:
    return HttpResponse(render_to_string("policies/public.html", {"documents": public_library()}))


def transparency_policy_download(request: HttpRequest, public_id: Any) -> HttpResponse:
    version = publishable_version(public_id)
    if version is None:
        raise Http404("No such published document.")
    return _file_response(version, cache="public, no-cache")
