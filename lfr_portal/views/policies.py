"""The policy library on screen: every signed-in officer reads it and downloads its
versions; authorising and compliance officers add documents, upload versions and decide
which versions the public may read."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..forms import DATE
from ..models import PolicyDocument, PolicyKind, PolicyVersion
from ..permissions import can_manage_policies
from ..selectors.policies import (
    library_rows,
    policy_versions,
    retention_differences,
    retention_rule_choices,
)
from ..services import policies as services
from .common import attempt, login_required_view, visible_or_404


class PolicyDocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=PolicyKind.choices)
    title = forms.CharField(max_length=200)


class PolicyVersionForm(forms.Form):
    document = forms.ModelChoiceField(
        queryset=PolicyDocument.objects.all(), to_field_name="public_id", empty_label=None
    )
    file = forms.FileField(label="Document file", help_text="A PDF, ODT, DOCX or plain-text file.")
    issued_on = forms.DateField(widget=DATE, label="Issued on")
    review_by = forms.DateField(widget=DATE, label="Review by")
    change_summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What changed",
        help_text="For a first version, say it is the first issue.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One optional field per retention rule in force, so a difference is caught here.
        self.rules = retention_rule_choices()
        for key, label, days in self.rules:
            self.fields[f"retention_{key}"] = forms.FloatField(
                required=False,
                min_value=0,
                max_value=services.MAX_STATED_DAYS,
                label=f"{label}: days the document states",
                help_text=f"The rule in force: {days:g} days. Leave empty if it says nothing.",
            )

    def stated_retention(self) -> dict[str, float]:
        return {
            key: self.cleaned_data[f"retention_{key}"]
            for key, _, _ in self.rules
            if self.cleaned_data.get(f"retention_{key}") is not None
        }


class PublishableForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Why take it off the public page",
    )


def _library(request: HttpRequest, status: int = 200, **forms_: forms.Form) -> HttpResponse:
    manager = can_manage_policies(request.user)
    context = {
        "rows": library_rows(timezone.localdate()),
        "manager": manager,
        "document_form": forms_.get("document_form") or PolicyDocumentForm(prefix="doc"),
        "version_form": forms_.get("version_form") or PolicyVersionForm(prefix="ver"),
    }
    return render(request, "policies/library.html", context, status=status)


@login_required_view
def policy_library(request: HttpRequest) -> HttpResponse:
    return _library(request)


def _manager_or_404(request: HttpRequest) -> None:
    # Pages a role cannot use do not exist for it; the services refuse as well.
    if not can_manage_policies(request.user):
        raise Http404("Not found")


@require_POST
@login_required_view
def policy_document_create(request: HttpRequest) -> HttpResponse:
    _manager_or_404(request)
    form = PolicyDocumentForm(request.POST, prefix="doc")
    if form.is_valid() and attempt(
        request,
        form,
        lambda: services.policy_document_create(actor=request.user, **form.cleaned_data),
        success="Document added to the library. Upload its first version next.",
    ):
        return redirect("policy-library")
    return _library(request, 400, document_form=form)


@require_POST
@login_required_view
def policy_version_upload(request: HttpRequest) -> HttpResponse:
    _manager_or_404(request)
    form = PolicyVersionForm(request.POST, request.FILES, prefix="ver")
    if not form.is_valid():
        return _library(request, 400, version_form=form)
    data = form.cleaned_data
    version = attempt(
        request,
        form,
        lambda: services.policy_version_upload(
            actor=request.user,
            document=data["document"],
            upload=data["file"],
            issued_on=data["issued_on"],
            review_by=data["review_by"],
            change_summary=data["change_summary"],
            stated_retention=form.stated_retention(),
        ),
    )
    if not version:
        return _library(request, 400, version_form=form)
    messages.success(request, f"Uploaded {version}; SHA-256 {version.sha256}.")
    for difference in retention_differences(version.stated_retention):
        messages.warning(request, f"{version}: {difference.sentence}")
    return redirect("policy-library")


@require_POST
@login_required_view
def policy_version_publishable(request: HttpRequest, version_id: Any) -> HttpResponse:
    _manager_or_404(request)
    version = visible_or_404(policy_versions(), public_id=version_id)
    publishable = request.POST.get("publishable") == "1"
    form = PublishableForm(request.POST, auto_id=f"id_pub_{version.public_id}_%s")
    form.is_valid()
    attempt(
        request,
        None,
        lambda: services.policy_version_set_publishable(
            actor=request.user,
            version=version,
            publishable=publishable,
            reason=form.cleaned_data.get("reason", ""),
        ),
        success=f"{version} is now {'on' if publishable else 'off'} the public page.",
    )
    return redirect("policy-library")


def _file_response(version: PolicyVersion, *, cache: str) -> FileResponse:
    try:
        handle = default_storage.open(version.file.name, "rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The file is not held.") from None
    extension = version.file.name.rsplit(".", 1)[-1]
    filename = f"{version.document.title[:80]} v{version.number}.{extension}"
    # Always a download, never shown inline: the file is the force's, not this site's page.
    response = FileResponse(
        handle, content_type=version.content_type, as_attachment=True, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache
    return response


@login_required_view
def policy_version_download(request: HttpRequest, version_id: Any) -> HttpResponse:
    version = visible_or_404(policy_versions(), public_id=version_id)
    return _file_response(version, cache="private, no-store")
