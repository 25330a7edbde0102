from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..models import Notification
from ..selectors.dashboard import dashboard_for
from ..selectors.health import cameras_with_health
from ..selectors.notifications import notifications_for
from ..services.notifications import notification_mark_read
from .common import visible_or_404


def home(request):
    return render(request, "portal/home.html")


@login_required
def dashboard(request):
    sections = dashboard_for(request.user)
    # Live deployments carry their cameras' health: one query for all of them.
    cameras = cameras_with_health([d.pk for d in sections["live"]])
    for deployment in sections["live"]:
        deployment.live_cameras = cameras[deployment.pk]
    return render(
        request,
        "portal/dashboard.html",
        {"dashboard": sections, "today": timezone.localdate()},
    )


@require_POST
@login_required
def notification_read(request, pk):
    """Mark one of the user's own notifications read; anyone else's answers 404."""
    notification: Notification = visible_or_404(notifications_for(request.user), pk=pk)
    notification_mark_read(actor=request.user, notification=notification)
    return redirect("dashboard")


def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    answer = {"status": "ok"}
    # Anonymous callers learn only that it is up; which database runs it helps an attacker.
    if request.user.is_authenticated and request.user.is_staff:
        answer["database"] = connection.vendor
    return JsonResponse(answer)
