"""Deployment screens: the schedule, drafting, the review, going live and the kill switch."""

from calendar import Calendar
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..engines import ENGINE_PROFILES
from ..forms import (
    CameraAddForm,
    DeploymentForm,
    DocumentForm,
    OperatorForm,
    OptionalReasonForm,
    ReasonForm,
    ScheduleFilterForm,
)
from ..models import Camera, DeploymentStatus, Role
from ..permissions import can_publish_signage_photos, has_role, is_authorising_officer
from ..selectors.accuracy import deployment_accuracy, expected_false_alerts
from ..selectors.deployments import deployment_operators, deployments_visible_to
from ..selectors.field import sign_photo_review, signage_visible_to
from ..selectors.pages import actions_for, alert_counts, go_live_checklist, watchlist_summary
from ..selectors.recognition import with_shown_state
from ..services import deployments as services
from ..services import publication
from .common import attempt, login_required_view, visible_or_404

PAGE_SIZE = 25
# Which template variable holds each inline form on the deployment page, by prefix.
FORM_NAMES = {
    "doc": "document_form",
    "cam": "camera_form",
    "op": "operator_form",
    "resume": "resume_form",
}


def _deployment(request, public_id):
    return visible_or_404(deployments_visible_to(request.user), public_id=public_id)


def _detail_url(deployment):
    return reverse("deployment-detail", args=[deployment.public_id])


@login_required_view
def schedule(request):
    """Planned, live and past deployments: a month calendar and a timeline of windows."""
    form = ScheduleFilterForm(request.GET or None)
    deployments = deployments_visible_to(request.user).order_by("starts_at")
    if form.is_valid():
        if form.cleaned_data["borough"]:
            deployments = deployments.filter(borough__iexact=form.cleaned_data["borough"])
        if form.cleaned_data["status"]:
            deployments = deployments.filter(status=form.cleaned_data["status"])
    today = timezone.localdate()
    try:
        month = datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
        if not 1 < month.year < 9999:
            # The calendar's first and last weeks and its neighbouring months need
            # dates on both sides, which years 1 and 9999 do not have.
            raise ValueError(month)
    except ValueError:
        month = today.replace(day=1)
    weeks = Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    first, last = weeks[0][0], weeks[-1][-1]
    in_month = list(deployments.filter(starts_at__date__lte=last, ends_at__date__gte=first))
    calendar = [
        [
            {
                "day": day,
                "in_month": day.month == month.month,
                "today": day == today,
                "deployments": [
                    d
                    for d in in_month
                    if timezone.localdate(d.starts_at) <= day <= timezone.localdate(d.ends_at)
                ],
            }
            for day in week
        ]
        for week in weeks
    ]
    # Only whole windows can be drawn; a half-set one (saved before the window rule) is skipped.
    timed = deployments.filter(starts_at__isnull=False, ends_at__isnull=False)
    page = Paginator(timed, PAGE_SIZE).get_page(request.GET.get("page"))
    # The timeline scales each window to the span of the page's deployments.
    rows = list(page)
    if rows:
        span_start = min(d.starts_at for d in rows)
        span_end = max(d.ends_at for d in rows)
        span = max((span_end - span_start).total_seconds(), 3600)
        for d in rows:
            d.bar_left = 100 * (d.starts_at - span_start).total_seconds() / span
            d.bar_width = max(100 * (d.ends_at - d.starts_at).total_seconds() / span, 0.8)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("month", None)
    return render(
        request,
        "deployments/schedule.html",
        {
            "form": form,
            "calendar": calendar,
            "month": month,
            "previous_month": (month - timedelta(days=1)).replace(day=1),
            "next_month": (month + timedelta(days=32)).replace(day=1),
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "can_create": has_role(request.user, Role.DEPLOYMENT_PLANNER),
        },
    )


def _deployment_form_initial(deployment):
    data = {field: getattr(deployment, field) for field in DeploymentForm.base_fields}
    for field in ("starts_at", "ends_at"):
        if data[field]:
            data[field] = timezone.localtime(data[field]).strftime("%Y-%m-%dT%H:%M")
    return data


@login_required_view
def deployment_create(request):
    if not has_role(request.user, Role.DEPLOYMENT_PLANNER):
        raise Http404("Not found")
    profile = ENGINE_PROFILES["opencv-sface"]
    form = DeploymentForm(
        request.POST or None,
        initial={"engine": profile.name, "threshold": profile.default_threshold, "radius_m": 100},
    )
    if request.method == "POST" and form.is_valid():
        deployment = attempt(
            request,
            form,
            lambda: services.deployment_create(actor=request.user, **form.cleaned_data),
            success="Draft saved. Add documents and cameras, then submit it for approval.",
        )
        if deployment:
            return redirect(_detail_url(deployment))
    return render(request, "deployments/form.html", {"form": form, "engines": ENGINE_PROFILES})


@login_required_view
def deployment_edit(request, public_id):
    deployment = _deployment(request, public_id)
    if not actions_for(request.user, deployment)["edit"]:
        raise Http404("Not found")
    form = DeploymentForm(request.POST or None, initial=_deployment_form_initial(deployment))
    if request.method == "POST" and form.is_valid():
        changed = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
        done = attempt(
            request,
            form,
            lambda: services.deployment_update(
                actor=request.user, deployment=deployment, **changed
            ),
            success="Changes saved.",
        )
        if done:
            return redirect(_detail_url(deployment))
    return render(
        request,
        "deployments/form.html",
        {"form": form, "deployment": deployment, "engines": ENGINE_PROFILES},
    )


def _withdraw_form(sign, data=None):
    # One form per sign on the page: the ids must differ, the field name need not.
    form = ReasonForm(data, auto_id=f"id_withdraw_{sign.public_id}_%s")
    form.fields["reason"].label = "Why withdraw it"
    form.fields["reason"].error_messages["required"] = "Withdrawing a photo needs a reason."
    return form


def _signage(request, deployment):
    """The deployment's signs; for those who decide on photos, each photo's state and forms."""
    signs = list(deployment.signage.all())
    for sign in signs:
        sign.photo_review = sign_photo_review(request.user, deployment, sign)
        if sign.photo_review and sign.photo_review.can_withdraw:
            sign.withdraw_form = _withdraw_form(sign)
    return signs


def _detail_context(request, deployment, **extra):
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
        "signage": _signage(request, deployment),
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
        "now": timezone.now(),
        "accuracy": accuracy,
        "rates": {
            "per_face": accuracy.false_per_face.describe("faces processed"),
            "per_alert": accuracy.false_per_alert.describe("alerts adjudicated"),
        }
        if accuracy
        else None,
        "resume_form": ReasonForm(prefix="resume"),
    }
    context.update(extra)
    return context


@login_required_view
def deployment_detail(request, public_id):
    deployment = _deployment(request, public_id)
    return render(request, "deployments/detail.html", _detail_context(request, deployment))


def _post_action(request, public_id, make_form, action, success):
    """A POST that runs one service on the deployment, then shows the page again."""
    deployment = _deployment(request, public_id)
    form = make_form(deployment)
    if form is None or form.is_valid():
        done = attempt(request, form, lambda: action(deployment, form), success=success)
        if done:
            return redirect(_detail_url(deployment))
    if form is None:
        return redirect(_detail_url(deployment))
    context = _detail_context(request, deployment)
    context[FORM_NAMES[form.prefix]] = form
    return render(request, "deployments/detail.html", context, status=400)


@require_POST
@login_required_view
def deployment_document(request, public_id):
    return _post_action(
        request,
        public_id,
        lambda d: DocumentForm(request.POST, prefix="doc"),
        lambda d, f: services.deployment_document_set(
            actor=request.user, deployment=d, **f.cleaned_data
        ),
        "Document recorded.",
    )


@require_POST
@login_required_view
def deployment_camera_add(request, public_id):
    def form_for(deployment):
        return CameraAddForm(request.POST, prefix="cam", cameras=Camera.objects.all())

    return _post_action(
        request,
        public_id,
        form_for,
        lambda d, f: services.deployment_camera_add(
            actor=request.user,
            deployment=d,
            camera=Camera.objects.get(public_id=f.cleaned_data["camera"]),
            position=f.cleaned_data["position"],
        ),
        "Camera booked for the window.",
    )


@require_POST
@login_required_view
def deployment_camera_remove(request, public_id, camera_id):
    deployment = _deployment(request, public_id)
    camera = visible_or_404(Camera.objects.all(), public_id=camera_id)
    attempt(
        request,
        None,
        lambda: services.deployment_camera_remove(
            actor=request.user, deployment=deployment, camera=camera
        ),
        success="Camera removed.",
    )
    return redirect(_detail_url(deployment))


@require_POST
@login_required_view
def deployment_operator_assign(request, public_id):
    def form_for(deployment):
        return OperatorForm(
            request.POST, prefix="op", operators=User.objects.filter(groups__name=Role.OPERATOR)
        )

    return _post_action(
        request,
        public_id,
        form_for,
        lambda d, f: services.deployment_operator_assign(
            actor=request.user,
            deployment=d,
            operator=User.objects.get(username=f.cleaned_data["operator"]),
        ),
        "Operator assigned.",
    )


@require_POST
@login_required_view
def deployment_operator_remove(request, public_id):
    deployment = _deployment(request, public_id)
    assigned = {u.get_username(): u for u in deployment_operators(deployment)}
    operator = assigned.get(request.POST.get("operator", ""))
    if operator is None:
        messages.error(
            request,
            "That operator is not assigned to this deployment; reload the page to see who is.",
        )
        return redirect(_detail_url(deployment))
    attempt(
        request,
        None,
        lambda: services.deployment_operator_remove(
            actor=request.user, deployment=deployment, operator=operator
        ),
        success=f"{operator.get_full_name() or operator.get_username()} no longer operates "
        "this deployment.",
    )
    return redirect(_detail_url(deployment))


@require_POST
@login_required_view
def deployment_submit(request, public_id):
    deployment = _deployment(request, public_id)
    attempt(
        request,
        None,
        lambda: services.deployment_submit(actor=request.user, deployment=deployment),
        success="Submitted to the authorising officers.",
    )
    return redirect(_detail_url(deployment))


@login_required_view
def deployment_review(request, public_id):
    """The authorising officer's whole case on one screen, and the decision."""
    deployment = _deployment(request, public_id)
    if not is_authorising_officer(request.user):
        raise Http404("Not found")
    approve_form = OptionalReasonForm(prefix="approve")
    reject_form = ReasonForm(prefix="reject")
    if request.method == "POST":
        if "approve" in request.POST:
            approve_form = OptionalReasonForm(request.POST, prefix="approve")
            if approve_form.is_valid() and attempt(
                request,
                approve_form,
                lambda: services.deployment_approve(
                    actor=request.user,
                    deployment=deployment,
                    reason=approve_form.cleaned_data["reason"],
                ),
                success="Approved. The deployment may go live inside its window.",
            ):
                return redirect(_detail_url(deployment))
        else:
            reject_form = ReasonForm(request.POST, prefix="reject")
            if reject_form.is_valid() and attempt(
                request,
                reject_form,
                lambda: services.deployment_reject(
                    actor=request.user,
                    deployment=deployment,
                    reason=reject_form.cleaned_data["reason"],
                ),
                success="Rejected; the planner has your reasons.",
            ):
                return redirect(_detail_url(deployment))
    approve_form.fields["reason"].label = "Note with your approval (optional)"
    reject_form.fields["reason"].label = "Reasons for rejecting"
    problems = services.approval_problems(deployment)
    context = _detail_context(
        request,
        deployment,
        approve_form=approve_form,
        reject_form=reject_form,
        problems=problems,
        expected=_expected_false_alerts(deployment),
    )
    status = 400 if request.method == "POST" else 200
    return render(request, "deployments/review.html", context, status=status)


def _expected_false_alerts(deployment):
    return expected_false_alerts(deployment)


@require_POST
@login_required_view
def deployment_start(request, public_id):
    deployment = _deployment(request, public_id)
    attempt(
        request,
        None,
        lambda: services.deployment_start(
            actor=request.user,
            deployment=deployment,
            advisory_reason=request.POST.get("advisory_reason", ""),
        ),
        success="Live. Recognition has started on every camera.",
    )
    if (
        deployment.status == DeploymentStatus.APPROVED
        and actions_for(request.user, deployment)["operate"]
    ):
        deployment.refresh_from_db()
        if deployment.status == DeploymentStatus.LIVE:
            return redirect(reverse("deployment-operate", args=[deployment.public_id]))
    return redirect(_detail_url(deployment))


def _confirmed_action(request, public_id, *, action, form_class, service, template, success):
    """A page that asks once, with a reason, before an action that ends a deployment."""
    deployment = _deployment(request, public_id)
    if not actions_for(request.user, deployment)[action]:
        raise Http404("Not found")
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            request,
            form,
            lambda: service(
                actor=request.user, deployment=deployment, reason=form.cleaned_data["reason"]
            ),
            success=success,
        )
        if done:
            return redirect(_detail_url(deployment))
    return render(request, template, {"deployment": deployment, "form": form})


@login_required_view
def deployment_stop(request, public_id):
    """The kill switch: one confirmation, then recognition stops at once."""
    return _confirmed_action(
        request,
        public_id,
        action="stop",
        form_class=OptionalReasonForm,
        service=services.deployment_stop,
        template="deployments/stop.html",
        success="Stopped. Recognition has ended on every camera.",
    )


@login_required_view
def deployment_cancel(request, public_id):
    return _confirmed_action(
        request,
        public_id,
        action="cancel",
        form_class=ReasonForm,
        service=services.deployment_cancel,
        template="deployments/cancel.html",
        success="Cancelled.",
    )


def _sign(request, sign_id):
    return visible_or_404(signage_visible_to(request.user), public_id=sign_id)


@require_POST
@login_required_view
def signage_photo_publish(request, sign_id):
    """Shows the sign's photo on the public transparency page; the service checks who and when."""
    sign = _sign(request, sign_id)
    attempt(
        request,
        None,
        lambda: publication.signage_photo_publish(actor=request.user, record=sign),
        success="Photo published on the transparency page.",
    )
    return redirect(_detail_url(sign.deployment))


@require_POST
@login_required_view
def signage_photo_withdraw(request, sign_id):
    sign = _sign(request, sign_id)
    form = _withdraw_form(sign, request.POST)
    review = sign_photo_review(request.user, sign.deployment, sign)
    if form.is_valid() or not (review and review.can_withdraw):
        # Whoever the page offers no form to hears the service's refusal, naming the rule.
        attempt(
            request,
            None,
            lambda: publication.signage_photo_withdraw(
                actor=request.user, record=sign, reason=form.cleaned_data.get("reason", "")
            ),
            success="Photo withdrawn from the transparency page.",
        )
        return redirect(_detail_url(sign.deployment))
    context = _detail_context(request, _deployment(request, sign.deployment.public_id))
    for shown in context["signage"]:
        if shown.pk == sign.pk:
            shown.withdraw_form = form
    return render(request, "deployments/detail.html", context, status=400)


@require_POST
@login_required_view
def deployment_resume(request, public_id):
    """An authorising officer's recorded decision to resume after a suspension."""
    return _post_action(
        request,
        public_id,
        lambda d: ReasonForm(request.POST, prefix="resume"),
        lambda d, f: services.deployment_resume(
            actor=request.user, deployment=d, reason=f.cleaned_data["reason"]
        ),
        "Resumed: recognition starts again on every camera.",
    )
