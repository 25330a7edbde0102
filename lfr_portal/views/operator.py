"""The operator's live view: camera states and health, and a queue of alerts that arrives
by itself.

Each adjudication is confirmed before it is recorded: the card shows the decision back
to the operator, and the server records it only with that confirmation attached.
"""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..errors import GovernanceError
from ..forms import AdjudicationForm
from ..models import Adjudication, Outcome
from ..permissions import can_operate, is_authorising_officer
from ..selectors.accuracy import adjudication_due
from ..selectors.alerts import alerts_visible_to, crops_waiting_for
from ..selectors.deployments import deployments_visible_to
from ..selectors.engagements import engagement_stage, engagements_visible_to
from ..selectors.health import LAG_LIMIT_S, with_health
from ..selectors.pages import alert_counts
from ..services.alerts import alert_adjudicate
from ..services.engagements import alert_send_for_engagement
from .common import attempt, login_required_view, visible_or_404

QUEUE_STATES = (Adjudication.PENDING, Adjudication.UNRESOLVED)
DECIDED_STATES = (Adjudication.CONFIRMED, Adjudication.FALSE_ALERT)
QUEUE_LIMIT = 50
RECENT_LIMIT = 10
SENT_LIMIT = 20
# What the confirmation step sends back for "possible match: send for engagement".
SEND_CONFIRMATION = "send"


def _operated(request, public_id):
    deployment = visible_or_404(deployments_visible_to(request.user), public_id=public_id)
    if not (can_operate(request.user, deployment) or is_authorising_officer(request.user)):
        raise Http404("Not found")
    return deployment


def _queue(request, deployment):
    alerts = list(
        alerts_visible_to(request.user)
        .filter(deployment=deployment, adjudication__in=QUEUE_STATES)
        .order_by("captured_at")[:QUEUE_LIMIT]
    )
    due = adjudication_due()
    now = timezone.now()
    for alert in alerts:
        # Unresolved alerts were looked at in time; only pending ones run against the clock.
        alert.due_at = alert.captured_at + due
        alert.overdue = alert.adjudication == Adjudication.PENDING and alert.due_at <= now
    return alerts


def _recent(request, deployment):
    return list(
        alerts_visible_to(request.user)
        .filter(deployment=deployment, adjudication__in=DECIDED_STATES)
        .select_related("adjudicated_by")
        .order_by("-adjudicated_at")[:RECENT_LIMIT]
    )


def _sent(request, deployment):
    """The alerts sent for engagement: who has each, when it was acknowledged, its stage."""
    rows = []
    for e in engagements_visible_to(request.user).filter(alert__deployment=deployment)[:SENT_LIMIT]:
        officer = e.officer.get_full_name() or e.officer.get_username() if e.officer else ""
        rows.append(
            {
                "id": str(e.public_id),
                "reference": e.alert.entry_reference,
                "sent_at": timezone.localtime(e.dispatched_at).strftime("%H:%M:%S"),
                "officer": officer,
                "acknowledged_at": timezone.localtime(e.acknowledged_at).strftime("%H:%M:%S")
                if e.acknowledged_at
                else "",
                "stage": engagement_stage(e.alert).label,
            }
        )
    return rows


def _counts(deployment):
    counts = alert_counts(deployment)
    return {
        "pending": counts["pending"],
        "unresolved": counts["total"] - counts["pending"] - counts["confirmed"] - counts["false"],
        "adjudicated": counts["confirmed"] + counts["false"],
        "faces_processed": deployment.faces_processed,
    }


def _cameras(deployment):
    return with_health(deployment.cameras.select_related("camera").order_by("camera__name"))


def confirm_token(adjudication, outcome):
    """What the confirmation step sends back: the decision exactly as it was shown."""
    return f"{adjudication}/{outcome}"


def decision_words(adjudication, outcome):
    words = Adjudication(adjudication).label
    return f"{words}, outcome: {Outcome(outcome).label.lower()}" if outcome else words


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
            "recent": _recent(request, deployment),
            "sent": _sent(request, deployment),
            "counts": _counts(deployment),
            "due_minutes": int(adjudication_due().total_seconds() // 60),
            "can_adjudicate": can_operate(request.user, deployment),
            "outcomes": AdjudicationForm.base_fields["outcome"].choices[1:],
            "feed_url": reverse("deployment-operate-feed", args=[deployment.public_id]),
            "crops_waiting": crops_waiting_for(request.user, deployment),
            "lag_limit_s": LAG_LIMIT_S,
        },
    )


def _alert_json(a, deployment):
    return {
        "id": str(a.public_id),
        "captured_at": timezone.localtime(a.captured_at).strftime("%H:%M:%S"),
        "camera": a.camera.camera.name,
        "score": str(a.score),
        "threshold": str(deployment.threshold),
        "due_at": a.due_at.isoformat(),
        "due_label": timezone.localtime(a.due_at).strftime("%H:%M"),
        "overdue": a.overdue,
        "pending": a.adjudication == Adjudication.PENDING,
        "name": a.entry.display_name if a.entry else "",
        "reference": a.entry_reference,
        "category": a.entry.get_category_display() if a.entry else "",
        "adjudication": a.get_adjudication_display(),
        "crop_url": reverse("alert-crop", args=[a.public_id]) if a.crop else "",
        "reference_url": reverse("entry-image", args=[a.entry.public_id])
        if a.entry and a.entry.reference_image
        else "",
        "adjudicate_url": reverse("alert-adjudicate", args=[a.public_id]),
        "send_url": reverse("alert-send-for-engagement", args=[a.public_id]),
        # Art. 14(5), where the deployment asks for a second person's verification.
        "verify_url": reverse("alert-verify", args=[a.public_id]),
        "verified": a.verified_by_id is not None,
    }


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
            "counts": _counts(deployment),
            "ends_at": deployment.ends_at.isoformat() if deployment.ends_at else "",
            "at": timezone.now().isoformat(),
            "storage_warning": waiting.message if waiting else "",
            "cameras": [
                {
                    "name": b.camera.name,
                    "state": b.shown_state,
                    "state_label": b.shown_state_label,
                    "detail": b.state_detail,
                    "frames": b.frames_processed,
                    "faces": b.faces_processed,
                    "health": b.camera_health.as_json(),
                }
                for b in _cameras(deployment)
            ],
            "alerts": [_alert_json(a, deployment) for a in _queue(request, deployment)],
            "sent": _sent(request, deployment),
            "recent": [
                {
                    "id": str(a.public_id),
                    "reference": a.entry_reference,
                    "decision": decision_words(a.adjudication, a.outcome),
                    "at": timezone.localtime(a.adjudicated_at).strftime("%H:%M:%S")
                    if a.adjudicated_at
                    else "",
                }
                for a in _recent(request, deployment)
            ],
        }
    )


def _ask_confirmation(request, alert, form, back, *, wants_json):
    """The decision as it will be recorded, to be sent back confirmed."""
    adjudication = form.cleaned_data["adjudication"]
    outcome = form.cleaned_data["outcome"]
    decision = decision_words(adjudication, outcome)
    token = confirm_token(adjudication, outcome)
    if wants_json:
        return JsonResponse(
            {
                "detail": f"Confirm the decision before it is recorded: {decision}.",
                "confirm": token,
            },
            status=400,
        )
    # Without the page's script: the same confirmation, as a page of its own.
    return render(
        request,
        "operator/confirm.html",
        {"alert": alert, "form": form, "decision": decision, "token": token, "back": back},
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
        messages.error(request, message)
        return redirect(back)
    adjudication = form.cleaned_data["adjudication"]
    outcome = form.cleaned_data["outcome"]
    # The server, not only the page, holds the operator to the confirmation step: a
    # decision is recorded only when it comes back confirmed exactly as it was shown.
    if request.POST.get("confirm") != confirm_token(adjudication, outcome):
        return _ask_confirmation(request, alert, form, back, wants_json=wants_json)
    done = attempt(
        request,
        None if not wants_json else form,
        lambda: alert_adjudicate(
            actor=request.user,
            alert=alert,
            adjudication=adjudication,
            outcome=outcome,
            outcome_detail=form.cleaned_data["outcome_detail"],
        ),
        success=None if wants_json else "Adjudication recorded.",
    )
    if wants_json:
        if not done:
            errors = form.errors.get("__all__") or next(iter(form.errors.values()), [""])
            return JsonResponse({"detail": " ".join(errors)}, status=400)
        return JsonResponse(
            {
                "ok": True,
                "decision": decision_words(adjudication, outcome),
                "reference": alert.entry_reference,
                "resolved": adjudication in DECIDED_STATES,
            }
        )
    return redirect(back)


@require_POST
@login_required_view
def send_for_engagement(request, alert_id):
    """The operator's "possible match": sent to the field officers, once confirmed."""
    alert = visible_or_404(alerts_visible_to(request.user), public_id=alert_id)
    back = reverse("deployment-operate", args=[alert.deployment.public_id])
    wants_json = "application/json" in request.headers.get("Accept", "")
    words = "Possible match: send to the engagement officers"
    if request.POST.get("confirm") != SEND_CONFIRMATION:
        if wants_json:
            return JsonResponse(
                {"detail": f"Confirm before it is sent: {words}.", "confirm": SEND_CONFIRMATION},
                status=400,
            )
        return render(
            request,
            "operator/confirm_send.html",
            {"alert": alert, "decision": words, "token": SEND_CONFIRMATION, "back": back},
        )
    try:
        alert_send_for_engagement(actor=request.user, alert=alert)
    except GovernanceError as exc:
        if wants_json:
            return JsonResponse({"detail": exc.message_with_next_step}, status=400)
        messages.error(request, exc.message_with_next_step)
        return redirect(back)
    if wants_json:
        return JsonResponse({"ok": True, "decision": words, "reference": alert.entry_reference})
    messages.success(request, "Sent for engagement.")
    return redirect(back)
