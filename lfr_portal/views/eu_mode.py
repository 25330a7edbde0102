"""EU AI Act mode on screen: a deployment's authorisation page (the request as made, the
authority's decision, the notices to the authorities) and the second person's
verification of an alert from the operator's live view."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ..datetime_inputs import StorableDateTimeField
from ..errors import GovernanceError
from ..forms import DATETIME
from ..models import Deployment, EUAuthorityKind, EURequestMethod, NotifiedAuthority
from ..permissions import (
    can_record_authority_notice,
    can_record_eu_request,
    is_authorising_officer,
)
from ..selectors.alerts import alerts_visible_to
from ..selectors.deployments import deployments_visible_to
from ..selectors.eu_mode import authority_notifications_of, eu_state
from ..services import eu_mode as services
from ..services.eu_verification import alert_verify
from .common import attempt, login_required_view, visible_or_404


class EURequestForm(forms.Form):
    requested_at = StorableDateTimeField(widget=DATETIME, label="When the request was made")
    method = forms.ChoiceField(choices=EURequestMethod.choices, label="How it was made")
    reference = forms.CharField(max_length=200, label="Reference of the request")


class EUDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("granted", "Granted"), ("refused", "Refused")])
    authority = forms.CharField(max_length=200, label="Authority or court that decided")
    authority_kind = forms.ChoiceField(choices=EUAuthorityKind.choices, label="Kind of authority")
    decided_at = StorableDateTimeField(widget=DATETIME, label="When it decided, as it states")
    reference = forms.CharField(max_length=200, label="Reference of the decision")


class AuthorityNoticeForm(forms.Form):
    authority = forms.ChoiceField(choices=NotifiedAuthority.choices, label="Authority notified")
    authority_name = forms.CharField(max_length=200, label="Its name")
    notified_at = StorableDateTimeField(widget=DATETIME, label="When it was notified")
    method = forms.ChoiceField(choices=EURequestMethod.choices, label="How")
    reference = forms.CharField(max_length=200, required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


def _deployment(
    request: HttpRequest, public_id: Any, may: Callable[[Any, Deployment], bool] | None = None
) -> Deployment:
    """The deployment, for anyone who sees it (the page holds nothing biometric; an
    operator needs the urgency deadline too). Outside EU mode the page does not exist;
    a POST the role may not make is refused before any form is read."""
    if not settings.LFR_EU_AI_ACT_MODE:
        raise Http404("Not found")
    deployment = visible_or_404(deployments_visible_to(request.user), public_id=public_id)
    if may is not None and not may(request.user, deployment):
        raise PermissionDenied
    return deployment


def _may_decide(user: Any, deployment: Deployment) -> bool:
    return is_authorising_officer(user)


# The page's three forms, by their names in its context, and their field prefixes.
FORM_CLASSES: dict[str, type[forms.Form]] = {
    "request_form": EURequestForm,
    "decision_form": EUDecisionForm,
    "notice_form": AuthorityNoticeForm,
}
FORM_PREFIXES = {"request_form": "req", "decision_form": "dec", "notice_form": "notice"}


def _page(request: HttpRequest, deployment: Deployment, **bound: forms.Form) -> HttpResponse:
    user = request.user
    context = {
        "deployment": deployment,
        "state": eu_state(deployment),
        "notices": authority_notifications_of(deployment),
        "can_request": can_record_eu_request(user, deployment)
        and deployment.eu_authorisation_requested_at is None,
        "can_decide": is_authorising_officer(user)
        and deployment.eu_authorisation_requested_at is not None
        and not deployment.eu_authorisation_decision,
        "can_notify": can_record_authority_notice(user, deployment),
    }
    for slot, form_class in FORM_CLASSES.items():
        context[slot] = bound.get(slot) or form_class(prefix=FORM_PREFIXES[slot])
    return render(request, "eu/deployment.html", context, status=400 if bound else 200)


@login_required_view
def deployment_eu(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _page(request, _deployment(request, public_id))


def _record(
    request: HttpRequest,
    public_id: Any,
    may: Callable[[Any, Deployment], bool],
    slot: str,
    action: Callable[..., Any],
    success: str,
) -> HttpResponse:
    """One of the page's three records: refused before the form is read to a role that
    may not make it, then checked by the service; the page again, with the form's errors,
    when it is refused."""
    deployment = _deployment(request, public_id, may)
    form = FORM_CLASSES[slot](request.POST, prefix=FORM_PREFIXES[slot])
    if form.is_valid() and attempt(
        request,
        form,
        lambda: action(actor=request.user, deployment=deployment, **form.cleaned_data),
        success=success,
    ):
        return redirect("deployment-eu", public_id=deployment.public_id)
    return _page(request, deployment, **{slot: form})


@require_POST
@login_required_view
def deployment_eu_request(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _record(
        request,
        public_id,
        can_record_eu_request,
        "request_form",
        services.deployment_eu_request_record,
        "The request to the authority is recorded.",
    )


@require_POST
@login_required_view
def deployment_eu_decision(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _record(
        request,
        public_id,
        _may_decide,
        "decision_form",
        services.deployment_independent_decision,
        "The authority's decision is recorded.",
    )


@require_POST
@login_required_view
def deployment_eu_notice(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _record(
        request,
        public_id,
        can_record_authority_notice,
        "notice_form",
        services.authority_notification_record,
        "The notice to the authority is recorded.",
    )


@require_POST
@login_required_view
def alert_verify_view(request: HttpRequest, alert_id: Any) -> HttpResponse:
    """The second person's "I have checked this match" from the live view."""
    alert = visible_or_404(alerts_visible_to(request.user), public_id=alert_id)
    try:
        alert_verify(actor=request.user, alert=alert)
    except GovernanceError as exc:
        messages.error(request, exc.message_with_next_step)
    else:
        messages.success(request, "Alert verified: another operator may now send it.")
    return redirect(reverse("deployment-operate", args=[alert.deployment.public_id]))
