"""Subject access for the data protection officer: one reference in, the deployments it
was on and its alerts out. The lookup is a POST (the reference is personal data and stays
out of URLs and logs), and each one is recorded on the audit trail by the service."""

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ..permissions import can_answer_subject_access
from ..selectors.subject_access import REFERENCE_MAX
from ..services.subject_access import subject_access_lookup
from .common import attempt, login_required_view


class SubjectAccessForm(forms.Form):
    reference = forms.CharField(
        max_length=REFERENCE_MAX,
        label="Custody or case reference",
        help_text="As the person's request gives it; compared without regard to case.",
    )


@login_required_view
def subject_access(request: HttpRequest) -> HttpResponse:
    # Pages a role cannot use do not exist for it.
    if not can_answer_subject_access(request.user):
        raise Http404("Not found")
    form = SubjectAccessForm(request.POST or None)
    answer = None
    if request.method == "POST" and form.is_valid():
        answer = attempt(
            request,
            form,
            lambda: subject_access_lookup(
                actor=request.user, reference=form.cleaned_data["reference"]
            ),
        )
    status = 400 if form.is_bound and not answer else 200
    return render(
        request, "subject_access/lookup.html", {"form": form, "answer": answer}, status=status
    )
