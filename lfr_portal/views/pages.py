from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from ..selectors.dashboard import dashboard_for


def home(request):
    return render(request, "portal/home.html")


@login_required
def dashboard(request):
    return render(
        request,
        "portal/dashboard.html",
        {"dashboard": dashboard_for(request.user), "today": timezone.localdate()},
    )


def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    answer = {"status": "ok"}
    # Anonymous callers learn only that it is up; which database runs it helps an attacker.
    if request.user.is_authenticated and request.user.is_staff:
        answer["database"] = connection.vendor
    return JsonResponse(answer)
