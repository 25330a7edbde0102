"""Pinning and unpinning policy versions from the deployment page (its planner or an
authorising officer, while it is a draft or awaits a decision)."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from ..models import PolicyVersion
from ..services import policies as services
from .common import attempt, login_required_view
from .deployment_page import deployment_or_404, detail_url


def _version(request: HttpRequest) -> PolicyVersion | None:
    try:
        return PolicyVersion.objects.select_related("document").get(
            public_id=request.POST.get("version", "")
        )
    except (PolicyVersion.DoesNotExist, ValueError):
        return None


def _on_pin(request: HttpRequest, public_id: Any, service: Any, success: str) -> HttpResponse:
    deployment = deployment_or_404(request, public_id)
    version = _version(request)
    if version is None:
        messages.error(request, "Choose a policy version from the library.")
    else:
        attempt(
            request,
            None,
            lambda: service(actor=request.user, deployment=deployment, version=version),
            success=success.format(version=version),
        )
    return redirect(detail_url(deployment) + "#policies-heading")


@require_POST
@login_required_view
def deployment_policy_pin(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _on_pin(request, public_id, services.deployment_policy_pin, "Pinned {version}.")


@require_POST
@login_required_view
def deployment_policy_unpin(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _on_pin(request, public_id, services.deployment_policy_unpin, "Unpinned {version}.")
