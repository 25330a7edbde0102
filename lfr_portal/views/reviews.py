"""Post-deployment reviews on screen: the list (overdue first when asked) and one review
with its figures and the sign-off form. Authorising and compliance officers only."""

from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ..models import PostDeploymentReview
from ..permissions import can_sign_off_review, has_role
from ..selectors.reviews import (
    REVIEW_ROLES,
    REVIEW_STATES,
    complaints_visible_to,
    review_figure_rows,
    review_state,
    reviews_in_state,
    reviews_visible_to,
)
from ..services.reviews import PUBLIC_SUMMARY_MAX, review_sign_off
from .common import attempt, login_required_view, visible_or_404

STATE_LABELS = {"open": "Open", "overdue": "Overdue", "signed_off": "Signed off"}


class ReviewSignOffForm(forms.Form):
    findings = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What went well and what did not: the figures, the stops, any complaints.",
    )
    lessons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What changes for the next deployment, or why nothing does.",
    )
    public_summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": PUBLIC_SUMMARY_MAX}),
        label="Summary for the public",
        help_text=f"Plain words, at most {PUBLIC_SUMMARY_MAX} characters; published on the "
        "transparency page once signed off. Nothing that identifies anyone.",
    )


def _reader_or_404(request: HttpRequest) -> None:
    # Pages a role cannot use do not exist for it.
    if not has_role(request.user, *REVIEW_ROLES):
        raise Http404("Not found")


def _review(request: HttpRequest, review_id: Any) -> PostDeploymentReview:
    _reader_or_404(request)
    return visible_or_404(reviews_visible_to(request.user), public_id=review_id)


@login_required_view
def review_list(request: HttpRequest) -> HttpResponse:
    _reader_or_404(request)
    state = request.GET.get("state", "")
    reviews = reviews_visible_to(request.user).order_by("status", "due_by")
    if state in REVIEW_STATES:
        reviews = reviews_in_state(reviews, state)
    rows = [(review, review_state(review)) for review in reviews[:500]]
    return render(
        request,
        "reviews/list.html",
        {"rows": rows, "state": state, "states": STATE_LABELS},
    )


def _detail(request: HttpRequest, review: PostDeploymentReview, form: Any = None) -> HttpResponse:
    context = {
        "review": review,
        "state": review_state(review),
        "state_label": STATE_LABELS[review_state(review)],
        "figures": review_figure_rows(review.figures),
        "complaints": list(
            complaints_visible_to(request.user).filter(deployment=review.deployment)
        ),
        "can_sign": can_sign_off_review(request.user, review.deployment),
        "form": form or ReviewSignOffForm(),
    }
    return render(request, "reviews/detail.html", context, status=400 if form else 200)


@login_required_view
def review_detail(request: HttpRequest, review_id: Any) -> HttpResponse:
    return _detail(request, _review(request, review_id))


@require_POST
@login_required_view
def review_sign_off_view(request: HttpRequest, review_id: Any) -> HttpResponse:
    review = _review(request, review_id)
    form = ReviewSignOffForm(request.POST)
    if form.is_valid() and attempt(
        request,
        form,
        lambda: review_sign_off(actor=request.user, review=review, **form.cleaned_data),
        success="Review signed off: its public summary is now on the transparency page.",
    ):
        return redirect("review-detail", review_id=review.public_id)
    return _detail(request, review, form)
