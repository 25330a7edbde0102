"""Field evidence from a phone: a sign (with the camera's photo and location) or a leaflet drop."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from ..forms import LeafletForm, SignageForm
from ..models import Role
from ..permissions import has_role
from ..selectors.deployments import deployments_visible_to
from ..services import field as services
from .common import attempt, login_required_view, visible_or_404


@login_required_view
def field_evidence(request, public_id):
    if not has_role(request.user, Role.FIELD_OFFICER):
        raise Http404("Not found")
    deployment = visible_or_404(deployments_visible_to(request.user), public_id=public_id)
    sign_form = SignageForm(prefix="sign")
    leaflet_form = LeafletForm(prefix="leaflet")
    if request.method == "POST":
        if "sign" in request.POST:
            sign_form = SignageForm(request.POST, request.FILES, prefix="sign")
            if sign_form.is_valid():
                fields = {k: v for k, v in sign_form.cleaned_data.items() if v is not None}
                photo = fields.pop("photo", None) or None
                if attempt(
                    request,
                    sign_form,
                    lambda: services.signage_record(
                        actor=request.user, deployment=deployment, photo=photo, **fields
                    ),
                    success="Sign recorded.",
                ):
                    return redirect(reverse("field-evidence", args=[deployment.public_id]))
        else:
            leaflet_form = LeafletForm(request.POST, prefix="leaflet")
            if leaflet_form.is_valid():
                fields = {k: v for k, v in leaflet_form.cleaned_data.items() if v is not None}
                if attempt(
                    request,
                    leaflet_form,
                    lambda: services.leaflet_record(
                        actor=request.user, deployment=deployment, **fields
                    ),
                    success="Leaflets recorded.",
                ):
                    return redirect(reverse("field-evidence", args=[deployment.public_id]))
    return render(
        request,
        "field/evidence.html",
        {
            "deployment": deployment,
            "sign_form": sign_form,
            "leaflet_form": leaflet_form,
            "signage": deployment.signage.all(),
            "leaflets": deployment.leaflets.all(),
        },
        status=400 if request.method == "POST" else 200,
    )
