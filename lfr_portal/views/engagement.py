"""The engagement officer's phone: alerts sent for engagement arrive without a reload, and
the officer acknowledges one, records what the stop found and then its outcome.

Nothing biometric may stay on the device: every answer here (pages and the feed) says
`Cache-Control: no-store`, the feed carries no images (only URLs of the guarded media
view, which serves them only while the engagement is open), and there is no service worker.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ..forms import EngagementOutcomeForm, EngagementResultForm
from ..models import Engagement, EngagementOutcome, EngagementResult, Role
from ..permissions import has_role
from ..selectors.engagements import engagement_for, engagement_stage, open_engagements_for
from ..services.engagements import (
    engagement_acknowledge,
    engagement_outcome_record,
    engagement_result_record,
)
from .common import attempt, login_required_view

FEED_LIMIT = 20
POLL_MS = 3000


def _field_officer(request):
    if not has_role(request.user, Role.FIELD_OFFICER):
        raise Http404("Not found")


def _engagement(request, engagement_id) -> Engagement:
    try:
        return engagement_for(request.user, engagement_id)
    except (Engagement.DoesNotExist, ValueError):
        raise Http404("Not found") from None


def card_stage(engagement: Engagement, user) -> str:
    """What the card asks of this officer next."""
    if engagement.officer_id is None:
        return "dispatched"
    if engagement.officer_id != user.pk:
        return "taken"
    if not engagement.result:
        return "result"
    if engagement.result == EngagementResult.CONFIRMED_PERSON and not engagement.outcome:
        return "outcome"
    return "done"


def _where(alert):
    """The camera's place, else the deployment's: what the card's map shows."""
    camera = alert.camera.camera if alert.camera_id else None
    if camera is not None and camera.latitude is not None and camera.longitude is not None:
        return camera.latitude, camera.longitude
    deployment = alert.deployment
    return deployment.latitude, deployment.longitude


def _card_context(request, engagement, *, result_form=None, outcome_form=None):
    alert = engagement.alert
    entry = alert.entry
    lat, lng = _where(alert)
    return {
        "e": engagement,
        "alert": alert,
        "entry": entry,
        "stage": card_stage(engagement, request.user),
        "camera": alert.camera.camera.name if alert.camera_id else "",
        "lat": lat,
        "lng": lng,
        "crop_url": reverse("alert-crop", args=[alert.public_id]) if alert.crop else "",
        "reference_url": reverse("entry-image", args=[entry.public_id])
        if entry and entry.reference_image
        else "",
        "result_form": result_form or EngagementResultForm(prefix=str(engagement.public_id)),
        "outcome_form": outcome_form or EngagementOutcomeForm(prefix=str(engagement.public_id)),
        "misidentified": engagement.result == EngagementResult.NOT_THE_PERSON,
    }


def _card_html(request, engagement, **forms):
    return render_to_string(
        "engagement/_card.html", _card_context(request, engagement, **forms), request=request
    )


def _open(request):
    return list(open_engagements_for(request.user).order_by("-dispatched_at")[:FEED_LIMIT])


@never_cache
@login_required_view
def field_engagements(request):
    _field_officer(request)
    cards = [_card_context(request, e) for e in _open(request)]
    return _page(request, cards)


def _page(request, cards, status=200):
    return render(
        request,
        "engagement/engagements.html",
        {
            "cards": cards,
            "feed_url": reverse("field-engagements-feed"),
            "poll_ms": POLL_MS,
            "map_tile_url": settings.LFR_MAP_TILE_URL,
            "map_tile_attribution": settings.LFR_MAP_TILE_ATTRIBUTION,
        },
        status=status,
    )


@never_cache
@login_required_view
def field_engagements_feed(request):
    """The open engagements as cards, newest first: URLs of images, never images."""
    _field_officer(request)
    return JsonResponse(
        {
            "at": timezone.now().isoformat(),
            "engagements": [
                {
                    "id": str(e.public_id),
                    "stage": card_stage(e, request.user),
                    "html": _card_html(request, e),
                }
                for e in _open(request)
            ],
        }
    )


def _answer(request, engagement, done, success, **forms):
    """JSON with the card as it now stands for the page's script; else back to the page."""
    engagement.refresh_from_db()
    if "application/json" in request.headers.get("Accept", ""):
        body = {
            "ok": bool(done),
            "id": str(engagement.public_id),
            "stage": card_stage(engagement, request.user),
            "html": _card_html(request, engagement, **({} if done else forms)),
        }
        if not done:
            form = next(iter(forms.values()), None)
            errors = form.errors.get("__all__") if form is not None else None
            body["detail"] = " ".join(errors or ["Check the answers marked on the card."])
        return JsonResponse(body, status=200 if done else 400)
    if done:
        messages.success(request, success)
        if engagement.result == EngagementResult.NOT_THE_PERSON:
            return redirect("field-engagement-explanation", engagement_id=engagement.public_id)
        return redirect("field-engagements")
    cards = [
        _card_context(request, e, **(forms if e.pk == engagement.pk else {}))
        for e in _open(request)
    ]
    if not any(c["e"].pk == engagement.pk for c in cards):
        cards.insert(0, _card_context(request, engagement, **forms))
    return _page(request, cards, status=400)


@never_cache
@require_POST
@login_required_view
def acknowledge(request, engagement_id):
    _field_officer(request)
    engagement = _engagement(request, engagement_id)
    done = attempt(
        request,
        None,
        lambda: engagement_acknowledge(actor=request.user, engagement=engagement),
    )
    return _answer(request, engagement, done, "Acknowledged: it is yours.")


@never_cache
@require_POST
@login_required_view
def record_result(request, engagement_id):
    _field_officer(request)
    engagement = _engagement(request, engagement_id)
    form = EngagementResultForm(request.POST, prefix=str(engagement.public_id))
    done = None
    if form.is_valid():
        data = form.cleaned_data
        engaged = data["result"] in (
            EngagementResult.CONFIRMED_PERSON,
            EngagementResult.NOT_THE_PERSON,
        )
        done = attempt(
            request,
            form,
            lambda: engagement_result_record(
                actor=request.user,
                engagement=engagement,
                result=data["result"],
                engaged_at=(data["engaged_at"] or timezone.now()) if engaged else None,
                stop_minutes=data["stop_minutes"],
                identity_check=data["identity_check"],
                not_engaged_reason=data["not_engaged_reason"],
                held_minutes=data["held_minutes"],
                explanation_given=data["explanation_given"],
                complaints_route_given=data["complaints_route_given"],
                perceived_sex=data["perceived_sex"] if engaged else "",
                perceived_ethnicity=data["perceived_ethnicity"] if engaged else "",
            ),
        )
    return _answer(request, engagement, done, "Result recorded.", result_form=form)


@never_cache
@require_POST
@login_required_view
def record_outcome(request, engagement_id):
    _field_officer(request)
    engagement = _engagement(request, engagement_id)
    form = EngagementOutcomeForm(request.POST, prefix=str(engagement.public_id))
    done = None
    if form.is_valid():
        done = attempt(
            request,
            form,
            lambda: engagement_outcome_record(
                actor=request.user, engagement=engagement, **form.service_arguments()
            ),
        )
    words = "Outcome recorded."
    if done and form.cleaned_data.get("outcome") == EngagementOutcome.ARREST:
        words = "Arrest recorded." + (
            " The image is held for review." if form.cleaned_data.get("hold") == "hold" else ""
        )
    return _answer(request, engagement, done, words, outcome_form=form)


@never_cache
@login_required_view
def explanation(request, engagement_id):
    """For a person stopped who was not the person sought: what happened, how to complain,
    how to ask for their data. Nothing biometric, and no name from the watchlist."""
    engagement = _engagement(request, engagement_id)
    if engagement.result != EngagementResult.NOT_THE_PERSON:
        raise Http404("Not found")
    deployment = engagement.alert.deployment
    return render(
        request,
        "engagement/explanation.html",
        {
            "engagement": engagement,
            "deployment": deployment,
            "transparency_url": request.build_absolute_uri(
                reverse("transparency-deployment", args=[deployment.public_id])
            ),
            "about_url": request.build_absolute_uri(reverse("transparency-about")),
            "alert_days": settings.LFR_ALERT_RETENTION.days,
        },
    )


@never_cache
@login_required_view
def engagement_detail(request, engagement_id):
    """Where one engagement stands (the notifications link here). The officer who can still
    act on it is taken to its card on the phone page; no images here."""
    engagement = _engagement(request, engagement_id)
    if open_engagements_for(request.user).filter(pk=engagement.pk).exists():
        return redirect(reverse("field-engagements") + f"#eng-{engagement.public_id}")
    return render(
        request,
        "engagement/detail.html",
        {
            "e": engagement,
            "alert": engagement.alert,
            "stage": engagement_stage(engagement.alert),
            "misidentified": engagement.result == EngagementResult.NOT_THE_PERSON,
        },
    )
