"""The deployment page's shared parts: finding the deployment, and everything its page shows."""

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from ..engines import ENGINE_PROFILES
from ..forms import CameraAddForm, DocumentForm, FieldOfficerForm, OperatorForm, ReasonForm
from ..models import Camera, Deployment, DeploymentStatus, Role, SignageRecord
from ..permissions import can_publish_signage_photos
from ..selectors.accuracy import deployment_accuracy
from ..selectors.deployments import deployment_operators, deployments_visible_to
from ..selectors.engagement_figures import deployment_engagement_figures, figure_rows
from ..selectors.engagements import deployment_field_officers
from ..selectors.field import sign_photo_review
from ..selectors.pages import actions_for, alert_counts, go_live_checklist, watchlist_summary
from ..selectors.recognition import with_shown_state
from ..selectors.reviews import reviews_visible_to
from .common import visible_or_404


def deployment_or_404(request: HttpRequest, public_id: Any) -> Deployment:
    return visible_or_404(deployments_visible_to(request.user), public_id=public_id)


def detail_url(deployment: Deployment) -> str:
    return reverse("deployment-detail", args=[deployment.public_id])


def field_officer_form(data: Any = None) -> FieldOfficerForm:
    """The deployment page's form to assign a field officer, offering every active one."""
    officers = User.objects.filter(groups__name=Role.FIELD_OFFICER, is_active=True)
    return FieldOfficerForm(data, prefix="fo", officers=officers.order_by("username"))


def withdraw_form(sign: SignageRecord, data: Any = None) -> ReasonForm:
    # One form per sign on the page: the ids must differ, the field name need not.
    form = ReasonForm(data, auto_id=f"id_withdraw_{sign.public_id}_%s")
    form.fields["reason"].label = "Why withdraw it"
    form.fields["reason"].error_messages["required"] = "Withdrawing a photo needs a reason."
    return form


def signage_with_reviews(request: HttpRequest, deployment: Deployment) -> list[SignageRecord]:
    """The deployment's signs; for those who decide on photos, each photo's state and forms."""
    signs = list(deployment.signage.all())
    for sign in signs:
        sign.photo_review = sign_photo_review(request.user, deployment, sign)
        if sign.photo_review and sign.photo_review.can_withdraw:
            sign.withdraw_form = withdraw_form(sign)
    return signs


def detail_context(request: HttpRequest, deployment: Deployment, **extra: Any) -> dict[str, Any]:
    actions = actions_for(request.user, deployment)
    checklist, _ = (
        go_live_checklist(deployment)
        if deployment.status in (DeploymentStatus.APPROVED, DeploymentStatus.SUBMITTED)
        else ([], [])
    )
    cameras = with_shown_state(deployment.cameras.select_related("camera"))
    booked = {b.camera_id for b in cameras}
    accuracy = deployment_accuracy(deployment) if deployment.went_live_at else None
    context = {
        "deployment": deployment,
        "actions": actions,
        "documents": list(deployment.documents.all()),
        "cameras": cameras,
        "summary": watchlist_summary(deployment.watchlist),
        "signage": signage_with_reviews(request, deployment),
        "photo_reviewer": can_publish_signage_photos(request.user),
        "leaflets": list(deployment.leaflets.all()),
        "alerts": alert_counts(deployment),
        "checklist": checklist,
        "profile": ENGINE_PROFILES.get(deployment.engine),
        "document_form": DocumentForm(prefix="doc"),
        "camera_form": CameraAddForm(prefix="cam", cameras=Camera.objects.exclude(pk__in=booked)),
        "operators": deployment_operators(deployment),
        "operator_form": OperatorForm(
            prefix="op", operators=User.objects.filter(groups__name=Role.OPERATOR, is_active=True)
        ),
        "field_officers": deployment_field_officers(deployment),
        "field_officer_form": field_officer_form(),
        "now": timezone.now(),
        "accuracy": accuracy,
        # Exact figures: this page is for officers, not the public.
        "engagement_rows": figure_rows(deployment_engagement_figures(deployment).as_dict())
        if deployment.went_live_at
        else None,
        "rates": {
            "per_face": accuracy.false_per_face.describe("faces processed"),
            "per_alert": accuracy.false_per_alert.describe("alerts adjudicated"),
        }
        if accuracy
        else None,
        "resume_form": ReasonForm(prefix="resume"),
        # Its post-deployment review, for the roles that read reviews.
        "post_review": reviews_visible_to(request.user).filter(deployment=deployment).first(),
    }
    context.update(extra)
    return context
