"""Complaints on screen: the list with the form that records one, and one complaint with
its outcome form. Compliance and authorising officers only; nothing here is public."""

from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ..forms import DATE
from ..models import Complaint, ComplaintCategory, ComplaintOutcome
from ..permissions import can_record_complaints
from ..selectors.reviews import complaint_deployment_choices, complaints_visible_to
from ..services.complaints import REFERENCE_MAX, complaint_outcome_record, complaint_record
from .common import attempt, login_required_view, visible_or_404


class DeploymentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        when = obj.starts_at.strftime("%d %b %Y") if obj.starts_at else "date not set"
        return f"{obj.title} ({when})"


class ComplaintForm(forms.Form):
    category = forms.ChoiceField(choices=[("", "Choose…"), *ComplaintCategory.choices])
    received_on = forms.DateField(widget=DATE, label="Received on")
    deployment = DeploymentChoiceField(
        queryset=complaint_deployment_choices(),
        required=False,
        to_field_name="public_id",
        empty_label="Not about one deployment",
    )
    reference = forms.CharField(
        max_length=REFERENCE_MAX, required=False, label="The force's complaint reference"
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Internal summary",
        help_text="Never published. No names or contact details: those stay in the force's "
        "complaints system.",
    )


class ComplaintOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("", "Choose…"), *ComplaintOutcome.choices[1:]])


def _recorder_or_404(request: HttpRequest) -> None:
    if not can_record_complaints(request.user):
        raise Http404("Not found")


def _list(request: HttpRequest, form: ComplaintForm | None = None) -> HttpResponse:
    complaints = complaints_visible_to(request.user)[:500]
    context = {"complaints": complaints, "form": form or ComplaintForm()}
    return render(request, "complaints/list.html", context, status=400 if form else 200)


@login_required_view
def complaint_list(request: HttpRequest) -> HttpResponse:
    _recorder_or_404(request)
    return _list(request)


@require_POST
@login_required_view
def complaint_record_view(request: HttpRequest) -> HttpResponse:
    _recorder_or_404(request)
    form = ComplaintForm(request.POST)
    done = form.is_valid() and attempt(
        request,
        form,
        lambda: complaint_record(actor=request.user, **form.cleaned_data),
        success="Complaint recorded.",
    )
    if done:
        return redirect("complaint-detail", complaint_id=done.public_id)
    return _list(request, form)


def _complaint(request: HttpRequest, complaint_id: Any) -> Complaint:
    _recorder_or_404(request)
    return visible_or_404(complaints_visible_to(request.user), public_id=complaint_id)


def _detail(request: HttpRequest, complaint: Complaint, form: Any = None) -> HttpResponse:
    context = {"complaint": complaint, "form": form or ComplaintOutcomeForm()}
    return render(request, "complaints/detail.html", context, status=400 if form else 200)


@login_required_view
def complaint_detail(request: HttpRequest, complaint_id: Any) -> HttpResponse:
    return _detail(request, _complaint(request, complaint_id))


@require_POST
@login_required_view
def complaint_outcome_view(request: HttpRequest, complaint_id: Any) -> HttpResponse:
    complaint = _complaint(request, complaint_id)
    form = ComplaintOutcomeForm(request.POST)
    if form.is_valid() and attempt(
        request,
        form,
        lambda: complaint_outcome_record(
            actor=request.user, complaint=complaint, outcome=form.cleaned_data["outcome"]
        ),
        success="Outcome recorded.",
    ):
        return redirect("complaint-detail", complaint_id=complaint.public_id)
    return _detail(request, complaint, form)
