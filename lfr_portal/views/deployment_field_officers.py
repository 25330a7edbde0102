"""The deployment page's field officer forms: who receives its alerts sent for engagement."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ..selectors.engagements import deployment_field_officers
from ..services import deployment_staff as staff
from .common import attempt, login_required_view
from .deployment_page import deployment_or_404, detail_context, detail_url, field_officer_form


@require_POST
@login_required_view
def deployment_field_officer_assign(request: HttpRequest, public_id: Any) -> HttpResponse:
    deployment = deployment_or_404(request, public_id)
    form = field_officer_form(request.POST)
    if form.is_valid():
        officer = User.objects.get(username=form.cleaned_data["officer"])
        done = attempt(
            request,
            form,
            lambda: staff.deployment_field_officer_assign(
                actor=request.user, deployment=deployment, officer=officer
            ),
            success="Field officer assigned: alerts sent for engagement will reach them.",
        )
        if done:
            return redirect(detail_url(deployment))
    context = detail_context(request, deployment)
    context["field_officer_form"] = form
    return render(request, "deployments/detail.html", context, status=400)


@require_POST
@login_required_view
def deployment_field_officer_remove(request: HttpRequest, public_id: Any) -> HttpResponse:
    deployment = deployment_or_404(request, public_id)
    assigned = {u.get_username(): u for u in deployment_field_officers(deployment)}
    officer = assigned.get(request.POST.get("officer", ""))
    if officer is None:
        messages.error(
            request,
            "That field officer is not assigned to this deployment; reload the page to see who is.",
        )
        return redirect(detail_url(deployment))
    attempt(
        request,
        None,
        lambda: staff.deployment_field_officer_remove(
            actor=request.user, deployment=deployment, officer=officer
        ),
        success=f"{officer.get_full_name() or officer.get_username()} no longer receives "
        "this deployment's alerts.",
    )
    return redirect(detail_url(deployment))
