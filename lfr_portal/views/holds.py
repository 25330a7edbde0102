"""Evidence holds on screen: the list, one hold with its extend and release forms, the
"Place hold" form on an alert's evidence page, and the evidence bundle download."""

from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ..errors import GovernanceError
from ..forms import DATE, ReasonForm
from ..models import Alert, AlertHold
from ..permissions import can_manage_holds, is_authorising_officer
from ..selectors.alerts import alerts_visible_to
from ..selectors.evidence import alert_holds
from ..selectors.holds import HOLD_STATES, hold_state, holds_in_state, holds_visible_to
from ..services import holds as services
from ..services.evidence_bundle import evidence_bundle_export
from .common import attempt, login_required_view, visible_or_404


class HoldPlaceForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="The proceedings it is kept for."
    )
    custody_reference = forms.CharField(max_length=100, required=False)
    review_by = forms.DateField(widget=DATE, label="Review the hold by")


class HoldExtendForm(forms.Form):
    review_by = forms.DateField(widget=DATE, label="New review date")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


def _manager_or_404(request: HttpRequest) -> None:
    # Pages a role cannot use do not exist for it.
    if not can_manage_holds(request.user):
        raise Http404("Not found")


def _alert(request: HttpRequest, alert_id: Any) -> Alert:
    _manager_or_404(request)
    return visible_or_404(alerts_visible_to(request.user), public_id=alert_id)


def _hold(request: HttpRequest, hold_id: Any) -> AlertHold:
    _manager_or_404(request)
    return visible_or_404(holds_visible_to(request.user), public_id=hold_id)


@login_required_view
def hold_list(request: HttpRequest) -> HttpResponse:
    _manager_or_404(request)
    state = request.GET.get("state", "")
    holds = holds_visible_to(request.user)
    if state in HOLD_STATES:
        holds = holds_in_state(holds, state)
    rows = [(hold, hold_state(hold)) for hold in holds[:500]]
    return render(request, "holds/list.html", {"rows": rows, "state": state, "states": HOLD_STATES})


def _detail(request: HttpRequest, hold: AlertHold, **forms_: forms.Form) -> HttpResponse:
    context = {
        "hold": hold,
        "state": hold_state(hold),
        "extend_form": forms_.get("extend_form") or HoldExtendForm(),
        "release_form": forms_.get("release_form") or ReasonForm(),
    }
    return render(request, "holds/detail.html", context, status=400 if forms_ else 200)


@login_required_view
def hold_detail(request: HttpRequest, hold_id: Any) -> HttpResponse:
    return _detail(request, _hold(request, hold_id))


@require_POST
@login_required_view
def hold_extend(request: HttpRequest, hold_id: Any) -> HttpResponse:
    hold = _hold(request, hold_id)
    form = HoldExtendForm(request.POST)
    if form.is_valid() and attempt(
        request,
        form,
        lambda: services.alert_hold_extend(actor=request.user, hold=hold, **form.cleaned_data),
        success="Hold extended.",
    ):
        return redirect("hold-detail", hold_id=hold.public_id)
    return _detail(request, hold, extend_form=form)


@require_POST
@login_required_view
def hold_release(request: HttpRequest, hold_id: Any) -> HttpResponse:
    hold = _hold(request, hold_id)
    form = ReasonForm(request.POST)
    if form.is_valid() and attempt(
        request,
        form,
        lambda: services.alert_hold_release(actor=request.user, hold=hold, **form.cleaned_data),
        success="Hold released: the image now goes under the normal retention rule.",
    ):
        return redirect("hold-detail", hold_id=hold.public_id)
    return _detail(request, hold, release_form=form)


def _evidence(request: HttpRequest, alert: Alert, form: HoldPlaceForm | None) -> HttpResponse:
    context = {
        "alert": alert,
        "holds": [(hold, hold_state(hold)) for hold in alert_holds(alert)],
        "can_place": is_authorising_officer(request.user),
        "place_form": form or HoldPlaceForm(),
    }
    return render(request, "holds/alert.html", context, status=400 if form else 200)


@login_required_view
def alert_evidence(request: HttpRequest, alert_id: Any) -> HttpResponse:
    return _evidence(request, _alert(request, alert_id), None)


@require_POST
@login_required_view
def alert_hold_place(request: HttpRequest, alert_id: Any) -> HttpResponse:
    alert = _alert(request, alert_id)
    form = HoldPlaceForm(request.POST)
    if form.is_valid() and attempt(
        request,
        form,
        lambda: services.alert_hold_place(actor=request.user, alert=alert, **form.cleaned_data),
        success="Hold placed: the image is kept until the review date.",
    ):
        return redirect("alert-evidence", alert_id=alert.public_id)
    return _evidence(request, alert, form)


@login_required_view
def alert_evidence_bundle(request: HttpRequest, alert_id: Any) -> HttpResponse:
    alert = _alert(request, alert_id)
    try:
        data = evidence_bundle_export(actor=request.user, alert=alert)
    except GovernanceError:
        raise Http404("Not found") from None
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="evidence-{alert.public_id}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response
