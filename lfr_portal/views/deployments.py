"""Deployment screens: the schedule, drafting, the review, going live and the kill switch."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
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
from ..models import Camera, Deployment, DeploymentStatus, Role
from ..permissions import has_role, is_authorising_officer
from ..selectors.accuracy import expected_false_alerts
from ..selectors.deployments import deployment_operators, deployments_visible_to
from ..selectors.legality import approval_warnings
from ..selectors.pages import (
    actions_for,
    neighbouring_months,
    schedule_bars,
    schedule_calendar,
    schedule_month,
)
from ..selectors.place_history import NEARBY_METRES, earlier_deployments_here
from ..selectors.readiness import approval_problems, hours_text
from ..services import deployment_lifecycle as lifecycle
from ..services import deployment_staff as staff
from ..services import deployments as services
from .common import attempt, login_required_view, visible_or_404
from .deployment_page import deployment_or_404, detail_context, detail_url

PAGE_SIZE = 25
# Which template variable holds each inline form on the deployment page, by prefix.
FORM_NAMES = {
    "doc": "document_form",
    "cam": "camera_form",
    "op": "operator_form",
    "resume": "resume_form",
}


@login_required_view
def schedule(request: HttpRequest) -> HttpResponse:
    """Planned, live and past deployments: a month calendar and a timeline of windows."""
    form = ScheduleFilterForm(request.GET or None)
    deployments = deployments_visible_to(request.user).order_by("starts_at")
    if form.is_valid():
        if form.cleaned_data["borough"]:
            deployments = deployments.filter(borough__iexact=form.cleaned_data["borough"])
        if form.cleaned_data["status"]:
            deployments = deployments.filter(status=form.cleaned_data["status"])
    today = timezone.localdate()
    month = schedule_month(request.GET.get("month", ""), today)
    # Only whole windows can be drawn; a half-set one (saved before the window rule) is skipped.
    timed = deployments.filter(starts_at__isnull=False, ends_at__isnull=False)
    page = Paginator(timed, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page)
    schedule_bars(rows)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("month", None)
    previous_month, next_month = neighbouring_months(month)
    return render(
        request,
        "deployments/schedule.html",
        {
            "form": form,
            "calendar": schedule_calendar(deployments, month, today),
            "month": month,
            "previous_month": previous_month,
            "next_month": next_month,
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
    profile = ENGINE_PROFILES[settings.LFR_DEFAULT_ENGINE]
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
            return redirect(detail_url(deployment))
    return _form_page(request, form)


@login_required_view
def deployment_edit(request, public_id):
    deployment = deployment_or_404(request, public_id)
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
            return redirect(detail_url(deployment))
    return _form_page(request, form, deployment)


def _form_page(
    request: HttpRequest, form: DeploymentForm, deployment: Deployment | None = None
) -> HttpResponse:
    return render(
        request,
        "deployments/form.html",
        {
            "form": form,
            "deployment": deployment,
            "engines": ENGINE_PROFILES,
            "max_window_hours": hours_text(settings.LFR_MAX_AUTHORISATION),
        },
    )


@login_required_view
def deployment_detail(request, public_id):
    deployment = deployment_or_404(request, public_id)
    return render(request, "deployments/detail.html", detail_context(request, deployment))


def _post_action(request, public_id, make_form, action, success):
    """A POST that runs one service on the deployment, then shows the page again."""
    deployment = deployment_or_404(request, public_id)
    form = make_form(deployment)
    if form is None or form.is_valid():
        done = attempt(request, form, lambda: action(deployment, form), success=success)
        if done:
            return redirect(detail_url(deployment))
    if form is None:
        return redirect(detail_url(deployment))
    context = detail_context(request, deployment)
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
    deployment = deployment_or_404(request, public_id)
    camera = visible_or_404(Camera.objects.all(), public_id=camera_id)
    attempt(
        request,
        None,
        lambda: services.deployment_camera_remove(
            actor=request.user, deployment=deployment, camera=camera
        ),
        success="Camera removed.",
    )
    return redirect(detail_url(deployment))


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
        lambda d, f: staff.deployment_operator_assign(
            actor=request.user,
            deployment=d,
            operator=User.objects.get(username=f.cleaned_data["operator"]),
        ),
        "Operator assigned.",
    )


@require_POST
@login_required_view
def deployment_operator_remove(request, public_id):
    deployment = deployment_or_404(request, public_id)
    assigned = {u.get_username(): u for u in deployment_operators(deployment)}
    operator = assigned.get(request.POST.get("operator", ""))
    if operator is None:
        messages.error(
            request,
            "That operator is not assigned to this deployment; reload the page to see who is.",
        )
        return redirect(detail_url(deployment))
    attempt(
        request,
        None,
        lambda: staff.deployment_operator_remove(
            actor=request.user, deployment=deployment, operator=operator
        ),
        success=f"{operator.get_full_name() or operator.get_username()} no longer operates "
        "this deployment.",
    )
    return redirect(detail_url(deployment))


@require_POST
@login_required_view
def deployment_submit(request, public_id):
    deployment = deployment_or_404(request, public_id)
    attempt(
        request,
        None,
        lambda: services.deployment_submit(actor=request.user, deployment=deployment),
        success="Submitted to the authorising officers.",
    )
    return redirect(detail_url(deployment))


@login_required_view
def deployment_review(request, public_id):
    """The authorising officer's whole case on one screen, and the decision."""
    deployment = deployment_or_404(request, public_id)
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
                return redirect(detail_url(deployment))
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
                return redirect(detail_url(deployment))
    approve_form.fields["reason"].label = "Note with your approval (optional)"
    reject_form.fields["reason"].label = "Reasons for rejecting"
    problems = approval_problems(deployment)
    context = detail_context(
        request,
        deployment,
        approve_form=approve_form,
        reject_form=reject_form,
        problems=problems,
        warnings=approval_warnings(deployment),
        place_history=earlier_deployments_here(request.user, deployment),
        nearby_metres=NEARBY_METRES,
        expected=expected_false_alerts(deployment),
    )
    status = 400 if request.method == "POST" else 200
    return render(request, "deployments/review.html", context, status=status)


@require_POST
@login_required_view
def deployment_start(request, public_id):
    deployment = deployment_or_404(request, public_id)
    attempt(
        request,
        None,
        lambda: lifecycle.deployment_start(
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
    return redirect(detail_url(deployment))


def _confirmed_action(request, public_id, *, action, form_class, service, template, success):
    """A page that asks once, with a reason, before an action that ends a deployment."""
    deployment = deployment_or_404(request, public_id)
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
            return redirect(detail_url(deployment))
    return render(request, template, {"deployment": deployment, "form": form})


@login_required_view
def deployment_stop(request, public_id):
    """The kill switch: one confirmation, then recognition stops at once."""
    return _confirmed_action(
        request,
        public_id,
        action="stop",
        form_class=OptionalReasonForm,
        service=lifecycle.deployment_stop,
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
        service=lifecycle.deployment_cancel,
        template="deployments/cancel.html",
        success="Cancelled.",
    )


@require_POST
@login_required_view
def deployment_resume(request, public_id):
    """An authorising officer's recorded decision to resume after a suspension."""
    return _post_action(
        request,
        public_id,
        lambda d: ReasonForm(request.POST, prefix="resume"),
        lambda d, f: lifecycle.deployment_resume(
            actor=request.user, deployment=d, reason=f.cleaned_data["reason"]
        ),
        "Resumed: recognition starts again on every camera.",
    )
