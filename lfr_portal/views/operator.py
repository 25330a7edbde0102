"""The operator's live view: camera states and a queue of alerts that arrives by itself."""

from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..forms import AdjudicationForm
from ..models import Adjudication
from ..permissions import can_operate, is_authorising_officer
from ..selectors.alerts import alerts_visible_to, crops_waiting_for
from ..selectors.deployments import deployments_visible_to
from ..services.alerts import alert_adjudicate
from .common import attempt, login_required_view, visible_or_404

QUEUE_STATES = (Adjudication.PENDING, Adjudication.UNRESOLVED)
QUEUE_LIMIT = 50


def _operated(request, public_id):
    deployment = visible_or_404(deployments_visible_to(request.user), public_id=public_id)
    if not (can_operate(request.user, deployment) or is_authorising_officer(request.user)):
        raise Http404("Not found")
    return deployment


def _queue(request, deployment):
    return list(
        alerts_visible_to(request.user)
        .filter(deployment=deployment, adjudication__in=QUEUE_STATES)
        .order_by("captured_at")[:QUEUE_LIMIT]
    )


def _cameras(deployment):
    return list(deployment.cameras.select_related("camera").order_by("camera__name"))


@login_required_view
def operate(request, public_id):
    deployment = _operated(request, public_id)
    return render(
        request,
        "operator/operate.html",
        {
            "deployment": deployment,
            "cameras": _cameras(deployment),
            "queue": _queue(request, deployment),
            "can_adjudicate": can_operate(request.user, deployment),
            "outcomes": AdjudicationForm.base_fields["outcome"].choices[1:],
            "feed_url": reverse("deployment-operate-feed", args=[deployment.public_id]),
            "crops_waiting": crops_waiting_for(request.user, deployment),
        },
    )


@login_required_view
def operate_feed(request, public_id):
    deployment = _operated(request, public_id)
    deployment.refresh_from_db(fields=["status", "faces_processed"])
    waiting = crops_waiting_for(request.user, deployment)
    return JsonResponse(
        {
            "status": deployment.get_status_display(),
            "live": deployment.status == "live",
            "faces_processed": deployment.faces_processed,
            "at": timezone.now().isoformat(),
            "storage_warning": waiting.message if waiting else "",
            "cameras": [
                {
                    "name": b.camera.name,
                    "state": b.state,
                    "state_label": b.get_state_display(),
                    "detail": b.state_detail,
                    "frames": b.frames_processed,
                    "faces": b.faces_processed,
                }
                for b in _cameras(deployment)
            ],
            "alerts": [
                {
                    "id": str(a.public_id),
                    "captured_at": timezone.localtime(a.captured_at).strftime("%H:%M:%S"),
                    "camera": a.camera.camera.name,
                    "score": str(a.score),
                    "name": a.entry.display_name if a.entry else "",
                    "reference": a.entry_reference,
                    "category": a.entry.get_category_display() if a.entry else "",
                    "adjudication": a.get_adjudication_display(),
                    "crop_url": reverse("alert-crop", args=[a.public_id]) if a.crop else "",
                    "reference_url": reverse("entry-image", args=[a.entry.public_id])
                    if a.entry and a.entry.reference_image
                    else "",
                    "adjudicate_url": reverse("alert-adjudicate", args=[a.public_id]),
                }
                for a in _queue(request, deployment)
            ],
        }
    )


@require_POST
@login_required_view
def adjudicate(request, alert_id):
    alert = visible_or_404(alerts_visible_to(request.user), public_id=alert_id)
    form = AdjudicationForm(request.POST)
    back = reverse("deployment-operate", args=[alert.deployment.public_id])
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not form.is_valid():
        message = "Choose confirmed match, false alert or not resolved, then the outcome."
        if wants_json:
            return JsonResponse({"detail": message}, status=400)
        from django.contrib import messages

        messages.error(request, message)
        return redirect(back)
    done = attempt(
        request,
        None if not wants_json else form,
        lambda: alert_adjudicate(
            actor=request.user,
            alert=alert,
            adjudication=form.cleaned_data["adjudication"],
            outcome=form.cleaned_data["outcome"],
            outcome_detail=form.cleaned_data["outcome_detail"],
        ),
        success=None if wants_json else "Adjudication recorded.",
    )
    if wants_json:
        if not done:
            errors = form.errors.get("__all__") or next(iter(form.errors.values()), [""])
            return JsonResponse({"detail": " ".join(errors)}, status=400)
        return JsonResponse({"ok": True})
    return redirect(back)
