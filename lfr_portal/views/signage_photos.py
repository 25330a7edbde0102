"""Publishing and withdrawing signage photos from the deployment page."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ..models import SignageRecord
from ..selectors.field import sign_photo_review, signage_visible_to
from ..services import publication
from .common import attempt, login_required_view, visible_or_404
from .deployment_page import deployment_or_404, detail_context, detail_url, withdraw_form


def _sign(request: HttpRequest, sign_id: Any) -> SignageRecord:
    return visible_or_404(signage_visible_to(request.user), public_id=sign_id)


@require_POST
@login_required_view
def signage_photo_publish(request: HttpRequest, sign_id: Any) -> HttpResponse:
    """Shows the sign's photo on the public transparency page; the service checks who and when."""
    sign = _sign(request, sign_id)
    attempt(
        request,
        None,
        lambda: publication.signage_photo_publish(actor=request.user, record=sign),
        success="Photo published on the transparency page.",
    )
    return redirect(detail_url(sign.deployment))


@require_POST
@login_required_view
def signage_photo_withdraw(request: HttpRequest, sign_id: Any) -> HttpResponse:
    sign = _sign(request, sign_id)
    form = withdraw_form(sign, request.POST)
    review = sign_photo_review(request.user, sign.deployment, sign)
    if form.is_valid() or not (review and review.can_withdraw):
        # Whoever the page offers no form to hears the service's refusal, naming the rule.
        attempt(
            request,
            None,
            lambda: publication.signage_photo_withdraw(
                actor=request.user, record=sign, reason=form.cleaned_data.get("reason", "")
            ),
            success="Photo withdrawn from the transparency page.",
        )
        return redirect(detail_url(sign.deployment))
    context = detail_context(request, deployment_or_404(request, sign.deployment.public_id))
    for shown in context["signage"]:
        if shown.pk == sign.pk:
            shown.withdraw_form = form
    return render(request, "deployments/detail.html", context, status=400)
